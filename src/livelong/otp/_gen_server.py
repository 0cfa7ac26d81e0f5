"""GenServer: a long-lived process that keeps state and answers requests.

The article's ``SimpleGenServer`` is a receive loop that hands every message and the
state to a function and loops with the new state.  ``GenServer`` is that loop written
once, with the parts every server needs: a start that waits for ``init`` to succeed,
synchronous calls with timeouts that fail cleanly, casts, deferred replies, orderly
stops and crash reports.

Example
-------
>>> import livelong
>>> from livelong import GenServer, Reply, NoReply
>>> class Stack(GenServer):
...     def init(self, items):
...         return list(items)                  # the initial state
...     def handle_call(self, request, from_, state):
...         if request == "pop":
...             return Reply(state[0], state[1:])
...         return Reply(state, state)
...     def handle_cast(self, request, state):
...         _push, item = request
...         return NoReply([item, *state])
>>> async def main():
...     pid = await Stack.start_link(["hello"])
...     GenServer.cast(pid, ("push", "world"))
...     return await GenServer.call(pid, "pop")
>>> livelong.run(main)
'world'

Client API and server callbacks
-------------------------------
The client functions run in the caller's process: ``start``/``start_link`` (classmethods
of your subclass), ``call``, ``cast``, ``stop``, ``reply`` and ``whereis`` (static, on
``GenServer``).  The callbacks run in the server process, one message at a time; each
may be a plain method or ``async def``:

===============================================  =========================================
callback                                         returns
===============================================  =========================================
``init(arg)``                                    the state, ``Ok(state, ...)``,
                                                 ``Ignore()`` or ``Stop(reason)``
``handle_call(request, from_, state)``           ``Reply(value, state, ...)``,
                                                 ``NoReply(state, ...)``,
                                                 ``Stop(reason, state, reply=...)``
``handle_cast(request, state)``                  ``NoReply(state, ...)`` or ``Stop(...)``
``handle_info(message, state)``                  ``NoReply(state, ...)`` or ``Stop(...)``
``handle_continue(arg, state)``                  ``NoReply(state, ...)`` or ``Stop(...)``
``terminate(reason, state)``                     ignored
``format_status(state)``                         what crash reports show of the state
===============================================  =========================================

``Ok``, ``Reply`` and ``NoReply`` take the keywords of Elixir's extra tuple element:
``timeout=seconds`` (no message within that time delivers ``"timeout"`` to
``handle_info``), ``continue_=arg`` (``handle_continue(arg, state)`` runs before the
next message) and ``hibernate=True`` (accepted and ignored: a Python process has no
heap of its own to compact).  ``timeout`` and ``continue_`` exclude each other, as in
Elixir.

Defaults: ``init(arg)`` returns ``arg``; ``handle_info`` logs an unexpected message and
keeps the state; a call, cast or continue that the server does not handle stops it with
a ``NotImplementedError`` naming the server and the request.

Calls, timeouts and failures
----------------------------
``call(server, request, timeout=5.0)`` monitors the server and uses the monitor
reference as the reply tag; the reference is also an alias of the caller (see
``livelong.alias``) that the reply, a timeout or the server's death deactivates.  It
raises :class:`~livelong.Exit` with

* reason ``"noproc"`` when there is no such server,
* the server's exit reason when it dies before replying,
* reason ``("timeout", context)`` when no reply comes in time,

and ``exc.context`` names the call (``GenServer.call(#PID<0.83.0>, 'get', 5.0)``).
Every timeout of the OTP layer is checked before anything is sent: seconds >= 0, or
``None``/``"infinity"``/``math.inf`` (an int too big for a float too) for none; NaN, a
negative number or a non-number raise ``ValueError``/``TypeError`` naming it.  A
reply that comes after the caller gave up is dropped: it never lands in the caller's
mailbox.  Messages from one process arrive in the order they were sent, so calls and
casts from one client are handled in order.

Names
-----
``name="counter"`` registers the server locally (``whereis("counter")``);
``name=("via", Registry, (registry_name, key))`` registers it through a
:class:`~livelong.Registry` (any object with ``register_name``, ``unregister_name`` and
``whereis_name`` works as the middle element).  Every client function takes a pid or
either form of name.

Starting and stopping
---------------------
``start_link`` links the server to the caller (its *parent*) and returns its pid once
``init`` succeeded; it returns ``None`` if ``init`` returned ``Ignore()``.
``start_link_pid`` (and ``start_pid``) is the start for a server that always starts,
as Elixir's ``{:ok, pid} = GenServer.start_link(...)``: it returns a ``Pid``, never
None (no ``None`` check for type checkers), and raises ``Exit("ignore")`` on
``Ignore()``.  If ``init``
raises, the exception propagates from ``start_link`` (a note says which server); if it
returns ``Stop(reason)``, ``start_link`` raises ``Exit(reason)``.  Unlike Elixir, a
server that fails to start does not also send its caller an exit signal: the exception
is the report.  A name already taken raises ``Exit(("already_started", pid))``.

A server stops when a callback returns ``Stop``, when a callback raises (the exception
is the exit reason), on ``GenServer.stop``, or -- when it traps exits -- when its parent
exits.  In each case ``terminate(reason, state)`` runs first.  A server that does not
trap exits is stopped by its parent's exit signal without running ``terminate``, as in
OTP.  Any abnormal stop from inside the server is logged as a crash report naming the
server, the last message and the state (truncated), on the ``livelong.gen_server``
logger.

Supervision
-----------
``Counter.child_spec(arg)`` (or just ``(Counter, arg)`` in a children list) describes
how a supervisor starts the server: ``Counter.start_link(arg)``, restart
``"permanent"``, shutdown 5 s.  Change the defaults for a class with keywords:

>>> class Worker(GenServer, restart="transient", shutdown=1.0): ...
>>> spec = Worker.child_spec("arg")
>>> spec.restart, spec.shutdown
('transient', 1.0)
"""

from __future__ import annotations

import functools
import logging
import math
import types
from collections import deque
from collections.abc import Callable
from time import perf_counter as _now
from typing import Any, ClassVar, Generic, NamedTuple, TypeVar, cast, overload

from .._core import (
    ANY,
    Exit,
    Pid,
    Process,
    Ref,
    demonitor,
    make_ref,
    monitor,
    receive,
    receive_nowait,
    register,
    send,
    spawn,
    spawn_link,
    unlink,
    whereis,
)
from .._core import self as _self
from ..lowlevel import telemetry_attached
from ._child_spec import ChildSpec
from ._reports import (
    CALL_EVENT,
    _call_event,
    _crash_report,
    _is_normal,
    _server_desc,
    format_term,
)
from ._request import Request
from ._returns import (
    _NOTHING,
    CallResult,
    Ignore,
    InitResult,
    NoReply,
    NoReplyResult,
    Ok,
    Reply,
    Stop,
)
from ._seconds import timeout_arg

__all__ = [
    "GenServer",
    "Reply",
    "NoReply",
    "Stop",
    "Ok",
    "Ignore",
    "CallContext",
    "whereis_server",
    "format_term",
]

logger = logging.getLogger("livelong.gen_server")

S = TypeVar("S")
T = TypeVar("T")  # a reply's type (the static methods' own, not GenServer's S)

_Coroutine = types.CoroutineType
_INF = math.inf


# ----------------------------------------------------------------------------------
# Context carried by exits of client calls


class CallContext(NamedTuple):
    """Which client function failed, on which server, with which request.  It is
    ``exc.context[0]`` of the :class:`~livelong.Exit` that ``call`` raises, and prints
    as the call: ``GenServer.call(#PID<0.83.0>, 'get', 5.0)``."""

    function: str
    server: Any
    request: Any
    timeout: float | None

    def __repr__(self) -> str:
        server = _server_text(self.server)
        return f"{self.function}({server}, {format_term(self.request, 200)}, {self.timeout!r})"


def _server_text(server: Any) -> str:
    """A server as a person names it: ``('via', Registry, ('rooms', 'lobby'))``, not
    ``('via', <class 'livelong.otp._registry.Registry'>, ...)``."""
    if type(server) is tuple and len(server) == 3 and server[0] == "via":
        mod = server[1]
        shown = mod.__qualname__ if isinstance(mod, type) else getattr(mod, "__name__", None)
        return f"('via', {shown or repr(mod)}, {format_term(server[2], 200)})"
    return repr(server)


# ----------------------------------------------------------------------------------
# Names


def whereis_server(server: Any) -> Pid | None:
    """The pid behind a server reference: a pid, a registered name or
    ``("via", module, key)``.  None when nothing is registered under the name."""
    if isinstance(server, Pid):
        return server
    if isinstance(server, str):
        return whereis(server)
    if type(server) is tuple and len(server) == 3 and server[0] == "via":
        found = server[1].whereis_name(server[2])
        return found if isinstance(found, Pid) else None
    raise TypeError(
        f"not a server: {server!r}; expected a Pid, a registered name (str) or ('via', module, key)"
    )


def _check_name(name: Any) -> None:
    if name is None or isinstance(name, str):
        return
    if type(name) is tuple and len(name) == 3 and name[0] == "via":
        mod = name[1]
        for fn in ("register_name", "whereis_name", "unregister_name"):
            if not callable(getattr(mod, fn, None)):
                raise TypeError(f"name {name!r}: {mod!r} has no {fn}()")
        return
    raise TypeError(f"name must be None, a str or ('via', module, key), got {name!r}")


def _register(name: Any, me: Pid) -> Pid | None:
    """Register ``me`` under ``name``; the current holder when it is taken."""
    if isinstance(name, str):
        try:
            register(name, me)
        except ValueError:
            return whereis(name) or me
        return None
    mod, key = name[1], name[2]
    if mod.register_name(key, me):
        return None
    holder = mod.whereis_name(key)
    return holder if isinstance(holder, Pid) else me


# ----------------------------------------------------------------------------------
# The server process


_CALL = "$gen_call"
_CAST = "$gen_cast"
_STOP = "$gen_stop"


class _Stopping(Exception):
    """Internal: the loop was asked to stop (a ``Stop`` result, ``GenServer.stop``, the
    parent's exit)."""

    def __init__(
        self, reason: Any, state: Any, from_: Any = None, reply: Any = _NOTHING, inside: bool = True
    ) -> None:
        self.reason = reason
        self.state = state
        self.from_ = from_
        self.reply = reply
        self.inside = inside


async def _server_main(
    cls: type[GenServer[Any]], arg: Any, name: Any, parent: Pid | None, starter: Pid, tag: Any
) -> Any:
    me = _self()
    Process.put("$process_label", cls.__qualname__)  # the label of its log records

    def fail(err: BaseException) -> None:
        # The start fails: tell the starter; do not also signal it through the link.
        if parent is not None:
            unlink(parent)
        send(starter, (tag, "error", err))

    if name is not None:
        try:
            holder = _register(name, me)
        except Exception as e:  # say, a via name in a registry that is not running
            fail(e)
            raise Exit(e) from None
        if holder is not None:
            fail(Exit(("already_started", holder)))
            return None
    try:
        server = cls()
        r: Any = server.init(arg)
        if type(r) is _Coroutine:
            r = await r
        tr = type(r)
        if tr is NoReply or tr is Reply:
            raise TypeError(
                f"{cls.__qualname__}.init returned {format_term(r, 200)}; init returns the "
                "state, Ok(state, ...), Ignore() or Stop(reason)"
            )
    except Exception as e:
        reason = exit_reason(e)
        logger.error(
            "GenServer %s failed to start: init %s",
            _server_desc(cls, name),
            f"raised {type(e).__name__}: {e}" if reason is e else f"exited: {format_term(reason)}",
            exc_info=e,
        )
        fail(e)
        raise Exit(reason) from None
    if tr is Ignore or r is Ignore:
        fail(_IGNORED)
        return None
    if tr is Stop:
        reason = r.reason
        fail(reason if isinstance(reason, BaseException) else Exit(reason))
        raise Exit(reason)
    if tr is Ok:
        state, timeout, cont = r.state, r.timeout, r.continue_
    else:
        state, timeout, cont = r, None, _NOTHING
    send(starter, (tag, "ok", me))
    return await _loop(server, state, parent, name, timeout, cont)


_IGNORED = Exit("ignore")


async def _loop(
    server: GenServer[Any], state: Any, parent: Pid | None, name: Any, timeout: Any, cont: Any
) -> Any:
    """Receive, dispatch, interpret the result; until something stops the server."""
    msg: Any = _NOTHING
    r: Any
    callback = "init"
    handle_call = server.handle_call
    handle_cast = server.handle_cast
    handle_info = server.handle_info
    stash = server._livelong_stash
    unstashed = 0
    try:
        while True:
            from_: Any = None
            if cont is not _NOTHING:
                callback = "handle_continue"
                r = server.handle_continue(cont, state)
                cont = _NOTHING
            else:
                if stash:  # messages the server took out of its mailbox come first
                    msg = stash.popleft()
                    unstashed += 1
                    if not unstashed & 63:
                        await Process.sleep(0)  # let others run now and then, as receive does
                elif timeout is None:
                    msg = await receive()
                else:
                    try:
                        msg = await receive(timeout=timeout)
                    except TimeoutError:
                        msg = "timeout"
                if type(msg) is tuple and msg:
                    kind = msg[0]
                    n = len(msg)
                    if kind == _CALL and n == 3:
                        callback = "handle_call"
                        from_ = msg[1]
                        r = handle_call(msg[2], from_, state)
                    elif kind == _CAST and n == 2:
                        callback = "handle_cast"
                        r = handle_cast(msg[1], state)
                    elif kind == "EXIT" and n == 3 and parent is not None and msg[1] == parent:
                        raise _Stopping(msg[2], state, inside=False)
                    elif kind == _STOP and n == 2:
                        raise _Stopping(msg[1], state, inside=False)
                    else:
                        callback = "handle_info"
                        r = handle_info(msg, state)
                else:
                    callback = "handle_info"
                    r = handle_info(msg, state)
            if type(r) is _Coroutine:
                r = await r
            tr = type(r)
            if tr is NoReply:
                state = r.state
                timeout = r.timeout
                cont = r.continue_
            elif tr is Reply and from_ is not None:
                _reply(from_, r.value)
                state = r.state
                timeout = r.timeout
                cont = r.continue_
            elif tr is Stop and (r.reply is _NOTHING or from_ is not None):
                raise _Stopping(r.reason, r.state, from_, r.reply)
            else:
                raise TypeError(_bad_return(server, callback, r))
    except _Stopping as s:
        # report only what the server decided itself, not a stop asked from outside
        reason = await _terminate(
            server, name, s.reason, s.state, msg, report=s.inside, callback=callback
        )
        if s.reply is not _NOTHING:
            _reply(s.from_, s.reply)
        raise Exit(reason) from None
    except Exit as e:
        reason = await _terminate(
            server, name, e.reason, state, msg, report=True, callback=callback, raised=e
        )
        raise Exit(reason) from None
    except Exception as e:
        reason = await _terminate(
            server, name, e, state, msg, report=True, callback=callback, raised=e
        )
        raise Exit(reason) from None


async def _terminate(
    server: GenServer[Any],
    name: Any,
    reason: Any,
    state: Any,
    last: Any,
    *,
    report: bool,
    callback: str = "",
    raised: BaseException | None = None,
) -> Any:
    """Run ``terminate`` and report an abnormal stop; returns the final exit reason.
    ``raised``: the exception a callback raised (its traceback is the report's)."""
    if report and not _is_normal(reason):
        _crash_report(server, name, reason, last, state, callback, raised)
    try:
        r = server.terminate(reason, state)
        if type(r) is _Coroutine:
            await r
    except Exit as e:
        return e.reason
    except Exception as e:
        logger.error(
            "GenServer %s: terminate(%s, state) raised %s: %s",
            _server_desc(type(server), name),
            format_term(reason, 200),
            type(e).__name__,
            e,
            exc_info=e,
        )
        return e
    return reason


def _bad_return(server: GenServer[Any], callback: str, r: Any) -> str:
    cls = type(server).__qualname__
    if callback == "handle_call":
        expected = "Reply(value, state), NoReply(state) or Stop(reason, state, reply=...)"
    else:
        expected = "NoReply(state) or Stop(reason, state)"
        if type(r) is Reply:
            return (
                f"{cls}.{callback} returned {format_term(r, 200)}: only handle_call can "
                f"reply; expected {expected}"
            )
        if type(r) is Stop:
            return (
                f"{cls}.{callback} returned {format_term(r, 200)}: reply= is only for handle_call"
            )
    return f"{cls}.{callback} returned {format_term(r, 200)}; expected {expected}"


def reply_or_down(ref: Ref) -> Callable[[Any], bool]:
    """A receive pattern for ``(ref, reply)`` or ``("DOWN", ref, _, _, _)``: the same as
    those two templates, but a predicate with an identity fast path is about twice as
    quick for the kernel to match (this is the hot path of every call)."""

    def pattern(m: Any) -> bool:
        if type(m) is not tuple:
            return False
        n = len(m)
        if n == 2:
            tag = m[0]
            return tag is ref or (type(tag) is Ref and tag == ref)
        return n == 5 and (m[1] is ref or m[1] == ref) and m[0] == "DOWN"

    return pattern


def _reply(from_: Any, value: Any) -> None:
    # The tag is the caller's monitor ref, made an alias for the call: once the
    # caller gives up (timeout, demonitor) the alias is inactive and a late reply
    # is dropped by send instead of landing in its mailbox.
    _pid, tag = from_
    send(tag, (tag, value))


# ----------------------------------------------------------------------------------
# The behaviour


class GenServer(Generic[S]):
    """Base class of generic servers: subclass it and override the callbacks.

    See the module documentation (``help(livelong.otp._gen_server)`` or docs/otp.md)
    for the return conventions, names, timeouts and supervision.

    ``GenServer[S]`` is generic over the state for type checkers: in
    ``class Counter(GenServer[int])`` the callbacks' ``state`` is an ``int``, and they
    return ``Reply[V, int]``, ``NoReply[int]`` or ``Stop[int]`` (``init`` the state
    itself, ``Ok``, ``Ignore`` or ``Stop``).  The callbacks' parameters are
    positional-only, so an override may name them as it likes (``msg``, ``s``).
    """

    _child_defaults: ClassVar[dict[str, Any]] = {}

    #: Messages the server took out of its mailbox (with :func:`drain_mailbox`), which
    #: the loop handles before the mailbox, oldest first.  None (the default) for a
    #: server that never does; the supervisors set it in ``init``.
    _livelong_stash: deque[Any] | None = None

    def __init_subclass__(cls, **child_defaults: Any) -> None:
        unknown = set(child_defaults) - {"restart", "shutdown", "id"}
        if unknown:
            raise TypeError(
                f"class {cls.__qualname__}({cls.__bases__[0].__name__}, ...): unknown "
                f"keywords {sorted(unknown)}; child spec defaults are restart, shutdown, id"
            )
        super().__init_subclass__()
        merged = dict(getattr(cls, "_child_defaults", {}))
        merged.update(child_defaults)
        cls._child_defaults = merged
        if child_defaults:  # validate now: a bad restart= fails at the class statement
            fields = {k: v for k, v in merged.items() if k != "id"}
            ChildSpec(merged.get("id", cls), _start_placeholder, **_spec_fields(fields))

    # --- callbacks: override these ----------------------------------------------------
    def init(self, arg: Any, /) -> InitResult[S]:
        """Return the initial state (default: ``arg``), ``Ok(state, ...)``,
        ``Ignore()`` or ``Stop(reason)``.  Runs in the new process; ``start_link``
        waits for it."""
        return cast("InitResult[S]", arg)

    def handle_call(self, request: Any, from_: Any, state: S, /) -> CallResult[S]:
        """Answer a ``call``: ``Reply(value, state)``, ``NoReply(state)`` to answer
        later with ``GenServer.reply(from_, value)``, or ``Stop(...)``."""
        raise NotImplementedError(
            f"{type(self).__qualname__} received the call {format_term(request, 200)} but "
            "defines no handle_call"
        )

    def handle_cast(self, request: Any, state: S, /) -> NoReplyResult[S]:
        """Handle a ``cast``: ``NoReply(state)`` or ``Stop(reason, state)``."""
        raise NotImplementedError(
            f"{type(self).__qualname__} received the cast {format_term(request, 200)} but "
            "defines no handle_cast"
        )

    def handle_info(self, message: Any, state: S, /) -> NoReplyResult[S]:
        """Handle any other message (and ``"timeout"``).  Default: log it, keep the state."""
        logger.warning(
            "%s %r received an unexpected message in handle_info: %s",
            type(self).__qualname__,
            _self(),
            format_term(message, 300),
        )
        return NoReply(state)

    def handle_continue(self, arg: Any, state: S, /) -> NoReplyResult[S]:
        """Run ``continue_=arg`` work before the next message: ``NoReply`` or ``Stop``."""
        raise NotImplementedError(
            f"{type(self).__qualname__} asked to continue with {format_term(arg, 200)} but "
            "defines no handle_continue"
        )

    def terminate(self, reason: Any, state: S, /) -> Any:
        """Clean up before the server exits with ``reason``.  Default: nothing."""
        return None

    def format_status(self, state: S, /) -> Any:
        """What crash reports show of ``state`` (override to hide secrets)."""
        return state

    # --- client API ---------------------------------------------------------------------
    @classmethod
    async def start_link(
        cls, arg: Any = None, *, name: Any = None, timeout: float | None = None
    ) -> Pid | None:
        """Start the server linked to the caller; returns its pid when ``init`` is done
        (None after ``Ignore()``).  Raises what ``init`` raised, or ``Exit``."""
        return await _start(cls, arg, name, timeout, link=True)

    @classmethod
    async def start(
        cls, arg: Any = None, *, name: Any = None, timeout: float | None = None
    ) -> Pid | None:
        """Like :meth:`start_link` without the link."""
        return await _start(cls, arg, name, timeout, link=False)

    @classmethod
    async def start_link_pid(
        cls, arg: Any = None, *, name: Any = None, timeout: float | None = None
    ) -> Pid:
        """:meth:`start_link` for a server that always starts: the pid, never None
        (Elixir's ``{:ok, pid} = GenServer.start_link(...)``, a match that fails on
        ``:ignore``).  Raises ``Exit("ignore")`` if ``init`` returned ``Ignore()``."""
        pid = await _start(cls, arg, name, timeout, link=True)
        if pid is None:
            ctx = CallContext(f"{cls.__qualname__}.start_link_pid", name, arg, timeout)
            raise Exit("ignore", ctx)
        return pid

    @classmethod
    async def start_pid(
        cls, arg: Any = None, *, name: Any = None, timeout: float | None = None
    ) -> Pid:
        """Like :meth:`start_link_pid` without the link."""
        pid = await _start(cls, arg, name, timeout, link=False)
        if pid is None:
            ctx = CallContext(f"{cls.__qualname__}.start_pid", name, arg, timeout)
            raise Exit("ignore", ctx)
        return pid

    @classmethod
    def child_spec(cls, arg: Any = None, **overrides: Any) -> ChildSpec:
        """How a supervisor starts this server: ``cls.start_link(arg)``, restart and
        shutdown from the class keywords.  ``overrides``: ``id``, ``restart``,
        ``shutdown``, and ``name`` (passed to ``start_link``)."""
        opts = dict(cls._child_defaults)
        opts.update(overrides)
        name = opts.pop("name", None)
        child_id = opts.pop("id", cls)
        start = (
            (cls.start_link, (arg,))
            if name is None
            else (functools.partial(cls.start_link, name=name), (arg,))
        )
        return ChildSpec(child_id, start, **_spec_fields(opts))

    @overload
    @staticmethod
    async def call(server: Any, request: Request[T], timeout: float | None = 5.0) -> T: ...
    @overload
    @staticmethod
    async def call(server: Any, request: Any, timeout: float | None = 5.0) -> Any: ...
    @staticmethod
    async def call(server: Any, request: Any, timeout: float | None = 5.0) -> Any:
        """Send ``request`` to ``server`` and wait for its reply (see the module doc for
        the exits it raises).  For type checkers the reply is a ``T`` when ``request``
        is a :class:`~livelong.Request` ``[T]``, else ``Any``."""
        started = _now() if telemetry_attached(CALL_EVENT) else None
        pid = server if isinstance(server, Pid) else whereis_server(server)
        if timeout is not None and not (type(timeout) is float and 0.0 <= timeout < _INF):
            timeout = timeout_arg(timeout, "GenServer.call: timeout")
        if pid is None:
            if started is not None:
                _call_event(started, server, request, "exit")
            raise Exit("noproc", CallContext("GenServer.call", server, request, timeout))
        me = _self()
        if pid is me or pid == me:
            raise Exit("calling_self", CallContext("GenServer.call", server, request, timeout))
        # The monitor ref is also an alias that the reply deactivates, along with the
        # monitor itself ("reply_demonitor"): the success path has nothing to undo,
        # and after a timeout the demonitor makes a late reply drop at the sender.
        ref = monitor(pid, alias="reply_demonitor")
        send(pid, (_CALL, (me, ref), request))
        try:
            msg = await receive(reply_or_down(ref), timeout=timeout, since=ref)
        except TimeoutError:
            demonitor(ref, flush=True)
            if started is not None:
                _call_event(started, server, request, "exit")
            ctx = CallContext("GenServer.call", server, request, timeout)
            raise Exit(("timeout", ctx), ctx) from None
        if started is not None:
            _call_event(started, server, request, "ok" if len(msg) == 2 else "exit")
        if len(msg) == 2:
            return msg[1]
        raise Exit(msg[4], CallContext("GenServer.call", server, request, timeout))

    @staticmethod
    def cast(server: Any, request: Any) -> None:
        """Send ``request`` to ``server`` without waiting.  Never fails: a cast to a
        dead or unknown server is dropped."""
        pid = server if isinstance(server, Pid) else whereis_server(server)
        if pid is not None:
            send(pid, (_CAST, request))

    @staticmethod
    def reply(from_: Any, value: Any) -> None:
        """Answer a call whose ``handle_call`` returned ``NoReply``; ``from_`` is the
        second argument of that ``handle_call``.  Any process may reply."""
        if (
            type(from_) is not tuple
            or len(from_) != 2
            or not isinstance(from_[0], Pid)
            or not isinstance(from_[1], Ref)
        ):
            raise TypeError(
                "GenServer.reply: from_ must be the (pid, tag) of a call, as handle_call "
                f"got it (the tag is a Ref), got {from_!r}"
            )
        _reply(from_, value)

    @staticmethod
    async def stop(server: Any, reason: Any = "normal", timeout: float | None = None) -> None:
        """Stop ``server`` with ``reason`` (its ``terminate`` runs) and wait until it is
        gone.  Raises ``Exit("noproc")`` if it is not running, ``Exit(other)`` if it
        exited with another reason, ``Exit(("timeout", ...))`` after ``timeout``."""
        timeout = timeout_arg(timeout, "GenServer.stop: timeout")
        ctx = CallContext("GenServer.stop", server, reason, timeout)
        pid = whereis_server(server)
        if pid is None:
            raise Exit("noproc", ctx)
        if pid == _self():
            raise Exit("calling_self", ctx)
        ref = monitor(pid)
        send(pid, (_STOP, reason))
        try:
            down = await receive(("DOWN", ref, ANY, ANY, ANY), timeout=timeout)
        except TimeoutError:
            demonitor(ref, flush=True)
            raise Exit(("timeout", ctx), ctx) from None
        got = down[4]
        if got == reason:
            return None
        raise Exit(got, ctx)

    @staticmethod
    def whereis(server: Any) -> Pid | None:
        """The pid of ``server`` (a pid, a name, a via tuple), or None."""
        return whereis_server(server)


def _start_placeholder() -> None:  # used only to validate class keywords
    return None


def _spec_fields(opts: dict[str, Any]) -> dict[str, Any]:
    unknown = set(opts) - {"restart", "shutdown", "type", "modules"}
    if unknown:
        raise TypeError(f"unknown child spec options {sorted(unknown)}")
    return opts


async def _start(
    cls: type[GenServer[Any]], arg: Any, name: Any, timeout: Any, *, link: bool
) -> Pid | None:
    if not (isinstance(cls, type) and issubclass(cls, GenServer)):
        raise TypeError(f"start: {cls!r} is not a GenServer subclass")
    _check_name(name)
    what = f"{cls.__qualname__}.start_link" if link else f"{cls.__qualname__}.start"
    timeout = timeout_arg(timeout, f"{what}: timeout")
    me = _self()
    tag = make_ref()
    if link:
        pid = spawn_link(_server_main, cls, arg, name, me, me, tag)
    else:
        pid = spawn(_server_main, cls, arg, name, None, me, tag)
    mref = monitor(pid)
    ctx = CallContext(what, name or pid, arg, timeout)
    try:
        msg = await receive((tag, ANY, ANY), ("DOWN", mref, ANY, ANY, ANY), timeout=timeout)
    except TimeoutError:
        if link:
            unlink(pid)
        Process.exit(pid, "kill")
        await receive(("DOWN", mref, ANY, ANY, ANY))
        take_waiting(("EXIT", pid, ANY))  # a trapping caller's
        raise Exit(("timeout", ctx), ctx) from None
    # a DOWN can only be waiting if the server died since it answered (a scan of the
    # whole mailbox otherwise: a supervisor's many EXITs, say)
    demonitor(mref, flush=not Process.alive(pid))
    if msg[0] == "DOWN":  # killed before init finished
        if link:
            take_waiting(("EXIT", pid, ANY))
        raise Exit(msg[4], ctx)
    status = msg[1]
    if status == "ok":
        return pid
    err = msg[2]
    if err is _IGNORED:
        return None
    if isinstance(err, Exit):
        raise Exit(err.reason, ctx)
    if isinstance(err, BaseException):
        err.add_note(f"(raised in init of {cls.__qualname__} {pid!r}, started by {ctx!r})")
        raise err
    raise Exit(err, ctx)


def drain_mailbox() -> list[Any]:
    """Every message now in the caller's mailbox, oldest first, taken out of it (it
    never waits).

    A server that keeps many messages waiting while its callbacks do selective
    receives (a supervisor with thousands of EXITs, starting children) moves them to
    its ``_livelong_stash`` with this: each receive then looks at a short mailbox,
    and the loop still handles every message in the order it came.  (Stashed
    messages no longer count in ``Process.info(pid, "message_queue_len")``.)"""
    out: list[Any] = []
    try:
        while True:
            out.append(receive_nowait())
    except TimeoutError:
        return out


def take_waiting(*patterns: Any) -> Any:
    """The first message already in the mailbox that matches ``patterns``, taken out of
    it; None if there is none (it never waits).  For patterns that never match None."""
    try:
        return receive_nowait(*patterns)
    except TimeoutError:
        return None


def exit_reason(e: BaseException) -> Any:
    """The exit reason an exception stands for: an ``Exit``'s reason, else itself."""
    return e.reason if isinstance(e, Exit) else e


def is_normal_reason(reason: Any) -> bool:
    """``"normal"``, ``"shutdown"`` or ``("shutdown", term)``: an exit that is not a crash."""
    return _is_normal(reason)
