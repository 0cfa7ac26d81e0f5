"""Supervisor: a process that starts children, watches them, and restarts them by rule.

Example
-------
>>> import livelong
>>> from livelong import Supervisor, GenServer, Process
>>> class Worker(GenServer):
...     pass
>>> async def main():
...     sup = await Supervisor.start_link(
...         [Worker.child_spec(1, id="a"), Worker.child_spec(2, id="b")],
...         strategy="one_for_one",
...     )
...     [(_, a, _, _), _] = await Supervisor.which_children(sup)
...     Process.exit(a, "kill")                       # a crash...
...     await Process.sleep(0.01)
...     [(_, a2, _, _), _] = await Supervisor.which_children(sup)
...     return a2 != a and Process.alive(a2)          # ...and a restart
>>> livelong.run(main)
True

Two ways to define one: ``Supervisor.start_link(children, strategy=...)`` with a list of
child specs, or a subclass whose ``init(arg)`` returns the children and whose class
attributes ``strategy``, ``max_restarts`` and ``max_seconds`` set the flags:

>>> from livelong import Registry
>>> class Cache(GenServer):
...     pass
>>> class App(Supervisor):
...     strategy = "rest_for_one"
...     def init(self, arg):
...         return [Registry.child_spec(keys="unique", name="reg"), (Cache, arg)]
>>> async def main():
...     await App.start_link({}, name="app")
...     children = await Supervisor.which_children("app")  # by its name
...     return [c.id for c in children] == ["reg", Cache]   # (Cache, arg)'s id: Cache
>>> livelong.run(main)
True

Theory of operation
-------------------
Children start one at a time in list order, each start waiting for the child's ``init``;
if one fails, the ones already started are stopped and the supervisor's start raises
:class:`SupervisorError` naming the child.  The supervisor traps exits, so a child's
exit arrives as an ``("EXIT", pid, reason)`` message.  What happens next is decided by
the two tables below, and nowhere else:

* :data:`RESTART` -- given the child's ``restart`` type and the kind of exit
  reason, is it restarted?
* :data:`STRATEGY` -- given a child to restart, which children are stopped (in reverse
  start order) and started again (in start order) with it?  Siblings stopped this way
  are started again only if :data:`RESTART_AS_SIBLING` says so (temporary ones are
  dropped).

Every restart is counted: more than ``max_restarts`` within ``max_seconds`` and the
supervisor stops all its children and exits with reason ``"shutdown"``, so that its own
supervisor decides what to do.  A child that fails to restart is tried again (each try
counts as a restart).  Stopping a child means: unlink, the exit signal ``"shutdown"``,
``shutdown`` seconds to go, then ``"kill"``; ``"brutal_kill"`` kills at once.  When the
supervisor stops it stops its children in reverse start order.

Every step costs the same however many children there are: children are found by id
and by pid in dicts, and before it starts or stops a child (whose start handshake and
shutdown are selective receives) the supervisor moves its mailbox to a stash that its
GenServer loop handles first, in order (:meth:`_State.drain`).  So when thousands of
children die at once, each restart looks at a short mailbox instead of scanning all
the waiting EXITs.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from typing import Any, ClassVar, NamedTuple

from .._core import ANY, Exit, Pid, Process, monitor, monotonic, receive, send, unlink
from .._core import self as _self
from ..lowlevel import telemetry_attached
from ..telemetry import execute as _telemetry_execute
from ._child_spec import (
    ChildSpec,
    call_start,
    child_name,
    normalize_child,
    normalize_children,
)
from ._gen_server import (
    GenServer,
    Ignore,
    NoReply,
    Reply,
    Stop,
    drain_mailbox,
    exit_reason,
    format_term,
    is_normal_reason,
    take_waiting,
)
from ._seconds import shutdown_arg, timeout_arg, window_arg

__all__ = [
    "Supervisor",
    "SupervisorError",
    "ChildInfo",
    "RESTART",
    "STRATEGY",
    "RESTART_AS_SIBLING",
    "shutdown_child",
]

logger = logging.getLogger("livelong.supervisor")
RESTART_EVENT = ("livelong", "supervisor", "restart")

# ----------------------------------------------------------------------------------
# The restart decisions: every rule of the supervisor is in these tables.


def reason_kind(reason: Any) -> str:
    """``"normal"``, ``"shutdown"`` (also ``("shutdown", term)``) or ``"abnormal"``."""
    if reason == "normal":
        return "normal"
    if is_normal_reason(reason):
        return "shutdown"
    return "abnormal"


#: Is a child that exited on its own restarted?  ``RESTART[restart][reason_kind]``.
RESTART: dict[str, dict[str, bool]] = {
    #              exit reason: normal  shutdown  abnormal (a crash, "killed", ...)
    "permanent": {"normal": True, "shutdown": True, "abnormal": True},
    "transient": {"normal": False, "shutdown": False, "abnormal": True},
    "temporary": {"normal": False, "shutdown": False, "abnormal": False},
}

#: After an exit that is not restarted: is the spec kept (with no process)?  A temporary
#: child's spec is deleted.
KEEP_SPEC: dict[str, bool] = {"permanent": True, "transient": True, "temporary": False}

#: Which children go with a restart of child ``i`` of ``n``: ``STRATEGY[strategy](i, n)``
#: is the range of positions stopped (in reverse) and started again (in order).
STRATEGY: dict[str, Callable[[int, int], range]] = {
    "one_for_one": lambda i, n: range(i, i + 1),
    "one_for_all": lambda i, n: range(0, n),
    "rest_for_one": lambda i, n: range(i, n),
}

#: A sibling stopped because of another child's restart: is it started again?
RESTART_AS_SIBLING: dict[str, bool] = {"permanent": True, "transient": True, "temporary": False}


# ----------------------------------------------------------------------------------
# Plain data the client functions return


class ChildInfo(NamedTuple):
    """One row of ``which_children``: ``pid`` is None when the child is not running
    and ``"restarting"`` while a failed restart waits to be tried again."""

    id: Any
    pid: Pid | str | None
    type: str
    modules: Any


class SupervisorError(Exception):
    """A supervisor refused a request or could not start a child.  ``reason`` is plain
    data as in Elixir: ``"not_found"``, ``"running"``, ``("already_started", pid)``,
    ``"already_present"``, ``"max_children"``, or
    ``("failed_to_start_child", id, error)``."""

    def __init__(self, message: str, reason: Any) -> None:
        super().__init__(message)
        self.reason = reason


def start_failure(who: str, child_id: Any, e: Exception) -> SupervisorError:
    """The error for a child whose start raised ``e``: reason
    ``("failed_to_start_child", id, error)``; ``who`` names the supervisor."""
    reason = exit_reason(e)
    if isinstance(reason, tuple) and len(reason) == 2 and reason[0] == "already_started":
        # A child registered under a name that is taken: Elixir's start_child answers
        # {:error, {:already_started, pid}}, not a failed start.
        return SupervisorError(
            f"{who}: child {child_name(child_id)} is already started as {reason[1]!r}", reason
        )
    return SupervisorError(
        f"{who}: child {child_name(child_id)} failed to start: {format_term(reason, 300)}",
        ("failed_to_start_child", child_id, reason),
    )


def validate_flags(strategy: Any, max_restarts: Any, max_seconds: Any, what: str) -> float:
    """Check the supervisor flags; returns ``max_seconds`` as a float (``math.inf``
    for an int too big for one)."""
    if strategy not in STRATEGY:
        raise ValueError(f"{what}: unknown strategy {strategy!r}; use one of {sorted(STRATEGY)}")
    if isinstance(max_restarts, bool) or not isinstance(max_restarts, int) or max_restarts < 0:
        raise ValueError(f"{what}: max_restarts must be an int >= 0, got {max_restarts!r}")
    return window_arg(max_seconds, f"{what}: max_seconds")


# ----------------------------------------------------------------------------------
# Stopping a child


async def shutdown_child(pid: Pid, shutdown: float | str, who: str = "") -> Any:
    """Stop a linked child as a supervisor does (``Task.shutdown`` too); returns its
    exit reason.

    The caller must trap exits.  The child is unlinked first, so its exit does not come
    back as an EXIT message; an EXIT already waiting is taken (its reason is the real
    one)."""
    shutdown = shutdown_arg(shutdown, f"{who or 'shutdown_child'}: shutdown")
    mref = monitor(pid)
    unlink(pid)
    early = take_waiting(("EXIT", pid, ANY))
    if shutdown == "brutal_kill":
        Process.exit(pid, "kill")
        down = await receive(("DOWN", mref, ANY, ANY, ANY))
    else:
        Process.exit(pid, "shutdown")
        wait = None if shutdown == "infinity" else float(shutdown)
        try:
            down = await receive(("DOWN", mref, ANY, ANY, ANY), timeout=wait)
        except TimeoutError:
            logger.warning(
                "%s: child %r did not stop within %s s of 'shutdown'; killing it", who, pid, wait
            )
            Process.exit(pid, "kill")
            down = await receive(("DOWN", mref, ANY, ANY, ANY))
    reason = down[4]
    if reason == "noproc" and early is not None:
        reason = early[2]
    return reason


def _expected_shutdown(reason: Any, shutdown: Any) -> bool:
    if shutdown == "brutal_kill":
        return bool(reason == "killed")
    return is_normal_reason(reason)


# ----------------------------------------------------------------------------------
# The supervisor process


class _Child:
    """A child of a :class:`Supervisor`: its spec and its pid, None when it is not
    running and ``"restarting"`` while a failed restart waits.  Setting ``pid`` keeps
    ``index`` (the state's running children by pid) up to date."""

    __slots__ = ("spec", "_pid", "_index")

    def __init__(self, spec: ChildSpec, index: dict[Pid, _Child], pid: Pid | None = None):
        self.spec = spec
        self._index = index
        self._pid: Pid | str | None = None
        self.pid = pid

    @property
    def pid(self) -> Pid | str | None:
        return self._pid

    @pid.setter
    def pid(self, pid: Pid | str | None) -> None:
        old = self._pid
        if isinstance(old, Pid) and self._index.get(old) is self:
            del self._index[old]
        self._pid = pid
        if isinstance(pid, Pid):
            self._index[pid] = self

    @property
    def running(self) -> bool:
        return isinstance(self._pid, Pid)


_NO_EXIT: Any = object()


class _State:
    """What a supervisor knows.  Children are found by id and by pid in constant time,
    and ``children`` keeps them in start order.

    ``stash`` holds messages taken out of the mailbox (see :meth:`drain`), which the
    GenServer loop handles before the mailbox; ``early`` has the reasons of the
    EXITs among them, by pid, so that stopping a child that had died finds its reason
    there."""

    __slots__ = (
        "children",
        "pids",
        "strategy",
        "max_restarts",
        "max_seconds",
        "restarts",
        "desc",
        "stash",
        "early",
    )

    def __init__(self, strategy: str, max_restarts: int, max_seconds: float, desc: str) -> None:
        self.children: dict[Any, _Child] = {}  # by id, in start order
        self.pids: dict[Pid, _Child] = {}  # the running ones
        self.strategy = strategy
        self.max_restarts = max_restarts
        self.max_seconds = max_seconds
        self.restarts: deque[float] = deque()
        self.desc = desc
        self.stash: deque[Any] = deque()
        self.early: dict[Pid, Any] = {}

    def find(self, child_id: Any) -> _Child | None:
        try:
            return self.children.get(child_id)
        except TypeError:  # unhashable: no child has that id
            return None

    def by_pid(self, pid: Pid) -> _Child | None:
        return self.pids.get(pid)

    def add(self, spec: ChildSpec, pid: Pid | None) -> _Child:
        child = self.children[spec.id] = _Child(spec, self.pids, pid)
        return child

    def remove(self, child: _Child) -> None:
        child.pid = None
        if self.children.get(child.spec.id) is child:
            del self.children[child.spec.id]

    def add_restart(self) -> bool:
        """Count a restart; False when that makes too many within ``max_seconds``."""
        now = monotonic()
        r = self.restarts
        r.append(now)
        while r and r[0] < now - self.max_seconds:
            r.popleft()
        return len(r) <= self.max_restarts

    def drain(self) -> None:
        """Move every message of the mailbox to the end of ``stash``, before a child's
        start or stop: their selective receives then look at a short mailbox instead
        of, say, thousands of EXITs of children that died at once (each start would
        scan them all).  The loop still handles every message in its order."""
        stash = self.stash
        early = self.early
        for m in drain_mailbox():
            stash.append(m)
            if type(m) is tuple and len(m) == 3 and m[0] == "EXIT" and isinstance(m[1], Pid):
                early[m[1]] = m[2]

    def exited(self, msg: Any) -> Pid | None:
        """The pid of an ``("EXIT", pid, reason)`` message (forgetting its early
        reason), or None for any other message."""
        if type(msg) is tuple and len(msg) == 3 and msg[0] == "EXIT" and isinstance(msg[1], Pid):
            if self.early:
                self.early.pop(msg[1], None)
            return msg[1]
        return None


async def start_child_process(state: _State, spec: ChildSpec, extra: tuple[Any, ...] = ()) -> Any:
    """Run a child's start in the supervisor, with a short mailbox (see ``drain``)."""
    state.drain()
    return await call_start(spec, extra)


async def stop_child_process(state: _State, pid: Pid, shutdown: Any) -> Any:
    """:func:`shutdown_child` for a supervisor: with a short mailbox, and the real
    reason of a child whose EXIT was stashed."""
    state.drain()
    early = state.early.pop(pid, _NO_EXIT)
    reason = await shutdown_child(pid, shutdown, state.desc)
    return reason if early is _NO_EXIT else early


def _err(state: _State, message: str, reason: Any) -> tuple[str, SupervisorError]:
    return ("error", SupervisorError(f"supervisor {state.desc}: {message}", reason))


class _SupervisorServer(GenServer[Any]):
    """The GenServer that runs a :class:`Supervisor` (not for direct use)."""

    async def init(self, arg: Any) -> Any:
        module, user_arg, flags = arg
        Process.flag("trap_exit", True)
        me = _self()
        desc = f"{module.__qualname__} {me!r}"
        inst = module()
        children = inst.init(user_arg)
        if hasattr(children, "__await__"):
            children = await children
        if isinstance(children, Ignore) or children is Ignore:
            return Ignore()
        strategy = flags.get("strategy", inst.strategy)
        max_restarts = flags.get("max_restarts", inst.max_restarts)
        max_seconds = flags.get("max_seconds", inst.max_seconds)
        max_seconds = validate_flags(strategy, max_restarts, max_seconds, f"supervisor {desc}")
        specs = normalize_children(children)
        state = _State(strategy, max_restarts, max_seconds, desc)
        self._livelong_stash = state.stash
        for spec in specs:
            try:
                pid = await start_child_process(state, spec)
            except Exception as e:
                await _stop_all(state)
                err = start_failure(f"supervisor {desc}", spec.id, e)
                err.__cause__ = None if isinstance(e, Exit) else e
                return Stop(err)
            state.add(spec, pid)
        return state

    # --- requests -------------------------------------------------------------------
    async def handle_call(self, request: Any, from_: Any, state: _State) -> Any:
        op = request[0]
        if op == "which_children":
            rows = [
                ChildInfo(c.spec.id, c.pid, c.spec.type, c.spec.modules)
                for c in state.children.values()
            ]
            return Reply(("ok", rows), state)
        if op == "count_children":
            return Reply(("ok", _count(state.children.values())), state)
        if op == "start_child":
            return Reply(await self._start_child(request[1], state), state)
        child = state.find(request[1])
        if child is None:
            return Reply(_err(state, f"no child with id {request[1]!r}", "not_found"), state)
        if op == "terminate_child":
            if child.running:
                await self._stop_child(child, state)
            if not KEEP_SPEC[child.spec.restart]:
                state.remove(child)
            child.pid = None
            return Reply(("ok", None), state)
        if op == "restart_child":
            if child.running:
                return Reply(
                    _err(state, f"child {child_name(child.spec.id)} is running", "running"), state
                )
            try:
                child.pid = await start_child_process(state, child.spec)
            except Exception as e:
                return Reply(
                    ("error", start_failure(f"supervisor {state.desc}", child.spec.id, e)), state
                )
            return Reply(("ok", child.pid), state)
        if op == "delete_child":
            if child.running or child.pid == "restarting":
                return Reply(
                    _err(state, f"child {child_name(child.spec.id)} is running", "running"), state
                )
            state.remove(child)
            return Reply(("ok", None), state)
        raise ValueError(f"supervisor {state.desc}: unknown request {request!r}")

    async def _start_child(self, spec: ChildSpec, state: _State) -> Any:
        old = state.find(spec.id)
        if old is not None:
            if old.running:
                return _err(
                    state,
                    f"child {child_name(spec.id)} is already started",
                    ("already_started", old.pid),
                )
            return _err(state, f"child {child_name(spec.id)} is already present", "already_present")
        try:
            pid = await start_child_process(state, spec)
        except Exception as e:
            return ("error", start_failure(f"supervisor {state.desc}", spec.id, e))
        if pid is not None or KEEP_SPEC[spec.restart]:
            state.add(spec, pid)
        return ("ok", pid)

    # --- exits of children ------------------------------------------------------------
    async def handle_info(self, msg: Any, state: _State) -> Any:
        pid = state.exited(msg)
        if pid is not None:
            child = state.by_pid(pid)
            if child is not None:
                return await self._child_exited(child, msg[2], state)
            return NoReply(state)
        if type(msg) is tuple and len(msg) == 3 and msg[0] == "EXIT":
            return NoReply(state)
        if type(msg) is tuple and len(msg) == 2 and msg[0] == "$sup_try_again":
            return await self._try_again(msg[1], state)
        return super().handle_info(msg, state)

    async def _child_exited(self, child: _Child, reason: Any, state: _State) -> Any:
        spec = child.spec
        child.pid = None
        restart = RESTART[spec.restart][reason_kind(reason)]
        if reason_kind(reason) == "abnormal":
            logger.error(
                "supervisor %s: child %s exited: %s; %s",
                state.desc,
                child_name(spec.id),
                format_term(reason, 500),
                "restarting" if restart else f"not restarted ({spec.restart})",
            )
        if not restart:
            if not KEEP_SPEC[spec.restart]:
                state.remove(child)
            return NoReply(state)
        result = await self._restart(child, state)
        if telemetry_attached(RESTART_EVENT):  # one dict look-up when nobody listens
            _telemetry_execute(
                RESTART_EVENT,
                {"restarts": len(state.restarts)},
                {"supervisor": _self(), "child_id": spec.id, "pid": child.pid, "reason": reason},
            )
        return result

    async def _restart(self, child: _Child, state: _State) -> Any:
        if not state.add_restart():
            logger.error(
                "supervisor %s: reached max restart intensity (%d restarts in %s s); shutting down",
                state.desc,
                state.max_restarts,
                state.max_seconds,
            )
            return Stop("shutdown", state)
        if state.strategy == "one_for_one":  # its range(i, i + 1): no need to find i
            group = [child]
        else:
            children = list(state.children.values())
            i = children.index(child)
            group = [children[j] for j in STRATEGY[state.strategy](i, len(children))]
        for c in reversed(group):
            if c is not child and c.running:
                await self._stop_child(c, state)
                c.pid = None
        again = []
        for c in group:
            if c is child or RESTART_AS_SIBLING[c.spec.restart]:
                again.append(c)
            else:
                state.remove(c)
        return await self._start_group(again, state)

    async def _start_group(self, group: list[_Child], state: _State) -> Any:
        for k, c in enumerate(group):
            try:
                c.pid = await start_child_process(state, c.spec)
            except Exception as e:
                logger.error(
                    "supervisor %s: child %s failed to restart: %s; trying again",
                    state.desc,
                    child_name(c.spec.id),
                    format_term(exit_reason(e), 500),
                )
                rest = group[k:]
                for r in rest:
                    r.pid = "restarting"
                send(_self(), ("$sup_try_again", [r.spec.id for r in rest]))
                break
        return NoReply(state)

    async def _try_again(self, ids: list[Any], state: _State) -> Any:
        group = [c for c in (state.find(i) for i in ids) if c is not None and c.pid == "restarting"]
        if not group:
            return NoReply(state)
        if not state.add_restart():
            logger.error(
                "supervisor %s: reached max restart intensity while restarting %s; shutting down",
                state.desc,
                child_name(group[0].spec.id),
            )
            return Stop("shutdown", state)
        return await self._start_group(group, state)

    async def _stop_child(self, child: _Child, state: _State) -> None:
        assert isinstance(child.pid, Pid)
        reason = await stop_child_process(state, child.pid, child.spec.shutdown)
        if not _expected_shutdown(reason, child.spec.shutdown):
            logger.error(
                "supervisor %s: child %s shut down with reason %s",
                state.desc,
                child_name(child.spec.id),
                format_term(reason, 500),
            )

    async def terminate(self, reason: Any, state: Any) -> None:
        if isinstance(state, _State):
            await _stop_all(state)


async def _stop_all(state: _State) -> None:
    """Stop every running child, in reverse start order."""
    for c in reversed(state.children.values()):
        if c.running:
            assert isinstance(c.pid, Pid)
            reason = await stop_child_process(state, c.pid, c.spec.shutdown)
            if not _expected_shutdown(reason, c.spec.shutdown):
                logger.error(
                    "supervisor %s: child %s shut down with reason %s",
                    state.desc,
                    child_name(c.spec.id),
                    format_term(reason, 500),
                )
        c.pid = None


def _count(children: Any) -> dict[str, int]:
    specs = active = sups = workers = 0
    for c in children:
        specs += 1
        if c.running:
            active += 1
        if c.spec.type == "supervisor":
            sups += 1
        else:
            workers += 1
    return {"specs": specs, "active": active, "supervisors": sups, "workers": workers}


async def _request(sup: Any, request: Any, timeout: float | None) -> Any:
    result = await GenServer.call(sup, request, timeout)
    if result[0] == "error":
        raise result[1]
    return result[1]


# ----------------------------------------------------------------------------------
# The behaviour


class Supervisor:
    """Start, watch and restart children (see the module documentation).

    ``Supervisor.start_link(children, strategy=..., max_restarts=3, max_seconds=5.0,
    name=None)`` runs a supervisor of ``children``.  Subclass it and override ``init``
    to compute the children from an argument; the class attributes hold the flags.
    """

    strategy: ClassVar[str] = "one_for_one"
    max_restarts: ClassVar[int] = 3
    max_seconds: ClassVar[float] = 5.0

    def init(self, arg: Any) -> Any:
        """Return the list of child specs (default: ``arg`` itself), or ``Ignore()``."""
        return arg

    # --- starting ---------------------------------------------------------------------
    @classmethod
    async def start_link(
        cls,
        arg: Any = None,
        *,
        name: Any = None,
        strategy: str | None = None,
        max_restarts: int | None = None,
        max_seconds: float | None = None,
        timeout: float | None = None,
    ) -> Pid | None:
        """Start the supervisor linked to the caller and all its children; returns its
        pid.  Malformed specs or flags raise ``ValueError``/``TypeError`` naming the
        child; a child that fails to start raises :class:`SupervisorError`."""
        return await cls._start(arg, name, strategy, max_restarts, max_seconds, timeout, True)

    @classmethod
    async def start(
        cls,
        arg: Any = None,
        *,
        name: Any = None,
        strategy: str | None = None,
        max_restarts: int | None = None,
        max_seconds: float | None = None,
        timeout: float | None = None,
    ) -> Pid | None:
        """Like :meth:`start_link`, not linked to the caller."""
        return await cls._start(arg, name, strategy, max_restarts, max_seconds, timeout, False)

    @classmethod
    async def _start(
        cls,
        arg: Any,
        name: Any,
        strategy: Any,
        max_restarts: Any,
        max_seconds: Any,
        timeout: Any,
        link: bool,
    ) -> Pid | None:
        what = f"{cls.__qualname__}.start_link" if link else f"{cls.__qualname__}.start"
        timeout = timeout_arg(timeout, f"{what}: timeout")
        flags = _flags(strategy, max_restarts, max_seconds)
        if cls.init is Supervisor.init:  # a list of children: check it here, in the caller
            validate_flags(
                flags.get("strategy", cls.strategy),
                flags.get("max_restarts", cls.max_restarts),
                flags.get("max_seconds", cls.max_seconds),
                f"{cls.__qualname__}.start_link",
            )
            normalize_children(arg)
        starter = _SupervisorServer.start_link if link else _SupervisorServer.start
        return await starter((cls, arg, flags), name=name, timeout=timeout)

    @classmethod
    def child_spec(
        cls,
        arg: Any = None,
        *,
        id: Any = None,
        name: Any = None,
        restart: str = "permanent",
        shutdown: float | str = "infinity",
        strategy: str | None = None,
        max_restarts: int | None = None,
        max_seconds: float | None = None,
    ) -> ChildSpec:
        """The spec to supervise this supervisor (type ``"supervisor"``, shutdown
        ``"infinity"``).  ``Supervisor.child_spec(children, id="db", strategy=...)``;
        a list of children is checked here already."""
        if cls.init is Supervisor.init:
            flags = _flags(strategy, max_restarts, max_seconds)
            validate_flags(
                flags.get("strategy", cls.strategy),
                flags.get("max_restarts", cls.max_restarts),
                flags.get("max_seconds", cls.max_seconds),
                f"Supervisor.child_spec(id={id!r})",
            )
            normalize_children(arg)

        async def start() -> Pid | None:
            return await cls.start_link(
                arg,
                name=name,
                strategy=strategy,
                max_restarts=max_restarts,
                max_seconds=max_seconds,
            )

        start.__qualname__ = f"{cls.__qualname__}.start_link"
        return ChildSpec(
            cls if id is None else id, start, restart, shutdown, "supervisor", [cls.__qualname__]
        )

    # --- requests -----------------------------------------------------------------------
    @staticmethod
    async def which_children(sup: Any, timeout: float | None = None) -> list[ChildInfo]:
        """``[ChildInfo(id, pid, type, modules), ...]`` in start order (a snapshot)."""
        return await _request(sup, ("which_children",), timeout)  # type: ignore[no-any-return]

    @staticmethod
    async def count_children(sup: Any, timeout: float | None = None) -> dict[str, int]:
        """``{"specs": n, "active": n, "supervisors": n, "workers": n}``."""
        return await _request(sup, ("count_children",), timeout)  # type: ignore[no-any-return]

    @staticmethod
    async def start_child(sup: Any, spec: Any, timeout: float | None = None) -> Pid | None:
        """Add a child at the end and start it; returns its pid."""
        return await _request(sup, ("start_child", normalize_child(spec)), timeout)  # type: ignore[no-any-return]

    @staticmethod
    async def terminate_child(sup: Any, child_id: Any, timeout: float | None = None) -> None:
        """Stop a child (its spec stays, except a temporary child's)."""
        await _request(sup, ("terminate_child", child_id), timeout)

    @staticmethod
    async def restart_child(sup: Any, child_id: Any, timeout: float | None = None) -> Pid | None:
        """Start again a child that was terminated; returns its new pid."""
        return await _request(sup, ("restart_child", child_id), timeout)  # type: ignore[no-any-return]

    @staticmethod
    async def delete_child(sup: Any, child_id: Any, timeout: float | None = None) -> None:
        """Forget the spec of a child that is not running."""
        await _request(sup, ("delete_child", child_id), timeout)

    @staticmethod
    async def stop(sup: Any, reason: Any = "normal", timeout: float | None = None) -> None:
        """Stop the supervisor and its children (in reverse start order)."""
        await GenServer.stop(sup, reason, timeout)


def _flags(strategy: Any, max_restarts: Any, max_seconds: Any) -> dict[str, Any]:
    flags: dict[str, Any] = {}
    if strategy is not None:
        flags["strategy"] = strategy
    if max_restarts is not None:
        flags["max_restarts"] = max_restarts
    if max_seconds is not None:
        flags["max_seconds"] = max_seconds
    return flags
