"""The livelong kernel: process records, the run queue, mailboxes, links, monitors,
names and timers.

Principles, in the spirit of a microkernel:

* A process is a Python coroutine (or a plain function) plus a small record.  The
  kernel drives coroutines itself from a deque run queue inside one asyncio event
  loop callback (a *slice*): delivering a message costs an ``append`` and, when the
  receiver was waiting, one more ``append`` to the run queue -- never an asyncio Task
  wake-up.
* Anything else a coroutine awaits (``asyncio.sleep``, streams, aiohttp) is an
  asyncio future: the kernel parks the process on it and puts it back on the run
  queue from the future's done callback, as an asyncio Task would.  While a process
  runs it is the loop's *current task*, so ``asyncio.timeout`` and friends work.
* Fairness by reductions: sends, receives, spawns and tail calls cost one each; a
  process that spends its budget is put at the back of the queue.
* Exit signals, links and monitors follow OTP.  A crash ends one process and is
  reported through :mod:`logging`; it never unwinds the scheduler.
* The kernel knows nothing of GenServer, supervisors, the shell, the dashboard or
  distribution.  Distribution plugs in through :data:`remote` hooks.

One node runs per OS process at a time; its state lives in module globals so the
hot paths (``send``, ``receive``) read them with a single global lookup.
"""

from __future__ import annotations

import asyncio
import asyncio.tasks as _asyncio_tasks
import ctypes
import gc
import heapq
import inspect
import itertools
import logging
import sys
import threading
import time
import types
from collections import deque
from collections.abc import Callable
from typing import Any

from ._ids import LOCAL_NODE, Pid, Ref
from ._patterns import match_any

logger = logging.getLogger("livelong")

# Process states.  ``status`` is one of these strings (compared by identity).
RUNNING = "running"
RUNNABLE = "runnable"
PREEMPTED = "preempted"  # put back in the queue after spending its budget: "running"
WAITING = "waiting"  # in receive: a message makes it runnable
WAITING_SEL = "waiting "  # in a selective receive: only a matching message wakes it
SUSPENDED = "suspended"  # awaiting an asyncio future: only the future wakes it
EXITING = "exiting"
EXITED = "exited"

BUDGET = 2000  # reductions a process may spend before it is put back in the queue
# The cyclic GC thresholds a running node sets (see Node.attach)
GC_THRESHOLD: tuple[int, int, int] = (50_000, 50, 100)
SLICE_SECONDS = 0.005  # time the kernel runs processes before asyncio gets a turn

_WAIT = object()  # yielded by receive: "park me until a message arrives"
_YIELD = object()  # yielded when the reduction budget is spent


class NotInProcessError(RuntimeError):
    """A process-only operation (``receive``, ``self``...) was used outside a process."""


class Exit(Exception):
    """An exit: raised by ``exit(reason)``, or by a call whose server exited.

    ``reason`` is the exit reason (``"normal"``, ``"shutdown"``, ``"noproc"``,
    ``("shutdown", term)``, an exception, or any term).
    """

    def __init__(self, reason: Any, *context: Any) -> None:
        super().__init__(reason, *context)
        self.reason = reason
        self.context = context

    def __str__(self) -> str:
        if self.context:
            return f"exit {self.reason!r} in {', '.join(map(repr, self.context))}"
        return f"exit {self.reason!r}"


class _ExitSignal(BaseException):
    """Raised inside the running process to end it at once (a signal it does not trap)."""

    def __init__(self, reason: Any) -> None:
        super().__init__(reason)
        self.reason = reason


class _Killed(BaseException):
    """Injected into the loop thread to stop a runaway process (``kill`` from a thread)."""


class Tail:
    """``return tail(fn, *args)``: continue this process in ``fn(*args)``, stack-free."""

    __slots__ = ("fn", "args")

    def __init__(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        self.fn = fn
        self.args = args

    def __repr__(self) -> str:
        return f"tail({getattr(self.fn, '__qualname__', self.fn)!r}, ...)"


def tail(fn: Callable[..., Any], *args: Any) -> Tail:
    """Return ``tail(fn, *args)`` from a process function to continue in ``fn``
    without growing the stack (the last-call optimisation of Erlang)."""
    if not callable(fn):
        raise TypeError(f"tail() needs a function to continue in, got {fn!r}")
    return Tail(fn, args)


class LocalPid(Pid):
    """The pid of a process of this node, which is also the kernel's record of that
    process (the kernel calls it ``Proc``).

    ``spawn`` returns this very object: as a :class:`Pid` it compares, hashes,
    orders and prints by its identity fields alone, and it stays a valid (dead) pid
    after the process exits, when the kernel drops everything else it held.  One
    object per process instead of a pid and a record halved the allocations of a
    spawn.  It also implements the subset of :class:`asyncio.Task` that
    ``asyncio.timeout`` and aiohttp use, since a running process is the loop's
    current task.
    """

    __slots__ = (
        "status",
        "coro",
        "fn",
        "start",
        "patterns",
        "matched",
        "mailbox",
        "timer",
        "timed_out",
        "fut",
        "signal",
        "links",
        "monitors",
        "watcher_ref",
        "watcher",
        "monitored_by",
        "trap_exit",
        "name",
        "reductions",
        "yield_at",
        "dictionary",
        "initial",
        "cancel_requests",
        "on_exit",
        "aliases",
    )

    def __init__(
        self, node: str, id: int, creation: int, fn: Callable[..., Any], args: tuple[Any, ...]
    ) -> None:
        self.node = node
        self.id = id
        self.serial = 0
        self.creation = creation
        self.status = RUNNABLE
        self.coro: Any = None
        self.fn = fn
        self.start: Any = args  # the arguments of ``fn`` until it starts; see _special_step
        self.patterns: tuple[Any, ...] = ()
        self.matched = -1  # mailbox index of the message that woke a selective receive
        self.mailbox: deque[Any] | None = None  # made at the first message: idle is cheap
        self.timer: Any = None
        self.timed_out = False
        self.fut: Any = None
        self.signal: Any = None
        self.links: set[Pid] | None = None
        self.monitors: dict[Ref, Any] | None = None
        # Who monitors this process: the first monitor in two slots (most processes
        # have at most one watcher: spawn_monitor, a Task's owner, a GenServer's
        # caller), the others in a dict.  A dict for every spawn_monitor cost a tenth
        # of it (allocation, GC and the cache misses of 224 bytes).
        self.watcher_ref: Ref | None = None
        self.watcher: Pid | None = None
        self.monitored_by: dict[Ref, Pid] | None = None
        self.trap_exit = False
        self.name: str | None = None
        self.reductions = 0
        self.yield_at = BUDGET
        self.dictionary: dict[Any, Any] | None = None
        self.initial = fn
        self.cancel_requests = 0
        self.on_exit: list[Callable[[Any, Any], None]] | None = None
        self.aliases: set[Ref] | None = None  # explicit aliases (monitor aliases: monitors)

    # --- the asyncio Task protocol subset that asyncio.timeout and aiohttp use ----
    def cancel(self, msg: Any = None) -> bool:
        if self.status is EXITED or self.status is EXITING:
            return False
        self.cancel_requests += 1
        fut = self.fut
        if fut is not None:
            return bool(fut.cancel(msg=msg))
        self.signal = ("throw", asyncio.CancelledError(msg) if msg else asyncio.CancelledError())
        _make_runnable(self)
        return True

    def cancelling(self) -> int:
        return self.cancel_requests

    def uncancel(self) -> int:
        if self.cancel_requests > 0:
            self.cancel_requests -= 1
        return self.cancel_requests

    def done(self) -> bool:
        return self.status is EXITED

    def cancelled(self) -> bool:
        return False

    def get_loop(self) -> asyncio.AbstractEventLoop:
        assert _node is not None
        return _node.loop

    def get_name(self) -> str:
        return repr(self)

    def get_coro(self) -> Any:
        return self.coro

    def _fut_done(self, fut: Any) -> None:
        if self.fut is fut:
            self.fut = None
            _make_runnable(self)


Proc = LocalPid


# ----------------------------------------------------------------------------------
# Node state (module globals: one node per OS process at a time)

_node: Node | None = None
_current: Proc | None = None
_runq: deque[Proc] = deque()
_loop_tid: int = -1
_get_ident = threading.get_ident
_clock = time.perf_counter
_monotonic = time.monotonic
_node_names: dict[str, int] = {LOCAL_NODE: 0}

# While a process runs it is its loop's current task: asyncio.timeout, TaskGroup and
# aiohttp ask for it.  Up to Python 3.13 asyncio keeps the current tasks in a dict
# that the kernel writes directly; from 3.14 on, in the thread's state, set through
# _swap_current_task (a call per step).  Both are asyncio internals: tests run the
# second way on every Python that has it.
_current_tasks: dict[Any, Any] | None = getattr(_asyncio_tasks, "_current_tasks", None)
_swap_current_task: Callable[[Any, Any], Any] | None = None
if sys.version_info >= (3, 14) or _current_tasks is None:
    _current_tasks = None
    _swap_current_task = getattr(_asyncio_tasks, "_swap_current_task", None)


class _RemoteHooks:
    """Where distribution plugs in under the primitives.  Default: no distribution."""

    def send(self, pid: Pid, msg: Any) -> None:
        logger.debug("dropping message to %r: node %s is not connected", pid, pid.node)

    def send_name(self, name: str, node: str, msg: Any) -> None:
        logger.debug("dropping message to %s on %s: not connected", name, node)

    def send_alias(self, ref: Ref, msg: Any) -> None:
        logger.debug("dropping message to alias %r on %s: not connected", ref, ref.node)

    def link(self, local: Pid, remote: Pid) -> bool:
        return False

    def unlink(self, local: Pid, remote: Pid) -> None:
        return None

    def exit(self, from_: Pid, to: Pid, reason: Any) -> None:
        return None

    def monitor(self, watcher: Pid, target: Pid, ref: Ref) -> bool:
        return False

    def demonitor(self, watcher: Pid, target: Pid, ref: Ref) -> None:
        return None


remote = _RemoteHooks()


def node_index(node: str) -> int:
    idx = _node_names.get(node)
    if idx is None:
        idx = _node_names[node] = len(_node_names)
    return idx


def local_node_name() -> str:
    return _node.name if _node is not None else LOCAL_NODE


def pid_for(node: str, id: int, serial: int = 0, creation: int = 0) -> Pid:
    """The pid with these fields: the live process itself when it is local."""
    pid = Pid(node, id, serial, creation)
    proc = proc_of(pid)
    return proc if proc is not None else pid


def proc_of(pid: Pid) -> Proc | None:
    """The live local process of ``pid``, also for a pid rebuilt from its fields."""
    if type(pid) is Proc:
        return pid if pid.status is not EXITED else None
    n = _node
    if n is not None and pid.node == n.name:
        proc = n.procs.get(pid.id)
        if proc is not None and proc.serial == pid.serial and proc.creation == pid.creation:
            return proc
    return None


def monotonic() -> float:
    """The node's clock, in seconds: its event loop's, so a virtual clock in tests
    (``livelong.testing.VirtualClock``) moves every timeout, timer and sleep alike."""
    return _monotonic()


def current_node() -> Node:
    n = _node
    if n is None:
        raise NotInProcessError(
            "no livelong node is running: start one with livelong.run(main) or livelong.start()"
        )
    return n


def current_proc(what: str) -> Proc:
    """The running process, or a clear error naming ``what`` needed one."""
    proc = _current
    if proc is None or _get_ident() != _loop_tid:
        raise NotInProcessError(f"{what} must be called inside a livelong process")
    return proc


def _kick() -> None:
    n = _node
    if n is not None and not n.scheduled:
        n.scheduled = True
        if _get_ident() == _loop_tid:
            n.loop.call_soon(n._run_slice)
        else:
            n.loop.call_soon_threadsafe(n._run_slice)


def _stop_waiting(proc: Proc) -> None:
    """Drop what ``proc`` waits on: its receive timeout, the asyncio future it awaits."""
    if proc.timer is not None:
        _drop_timeout(proc)
    fut = proc.fut
    if fut is not None:
        proc.fut = None
        fut.remove_done_callback(proc._fut_done)
        fut.cancel()


def _make_runnable(proc: Proc) -> None:
    st = proc.status
    if st is WAITING or st is WAITING_SEL or st is SUSPENDED:
        _stop_waiting(proc)
        proc.status = RUNNABLE
        _runq.append(proc)
        _kick()


# ----------------------------------------------------------------------------------
# send and receive: the hot paths


def deliver(proc: Proc, msg: Any) -> None:
    """Put ``msg`` in ``proc``'s mailbox and wake it if it waits in receive."""
    mb = proc.mailbox
    if mb is None:
        mb = proc.mailbox = deque()
    mb.append(msg)
    st = proc.status
    if st is WAITING or (st is WAITING_SEL and match_any(proc.patterns, msg)):
        if st is WAITING_SEL:
            proc.matched = len(mb) - 1  # receive takes it without matching again
        proc.status = RUNNABLE
        _runq.append(proc)
        n = _node
        if n is not None and not n.scheduled:
            _kick()


def send(dest: Any, msg: Any) -> Any:
    """Send ``msg`` to a pid or a registered name; returns ``msg``.  Never blocks;
    a message to a dead pid is dropped, as in Erlang."""
    if _get_ident() != _loop_tid:
        return _send_from_thread(dest, msg)
    cur = _current
    if cur is not None:
        cur.reductions += 1
    tp = type(dest)
    if tp is Proc:  # a local process (a dead one drops the message)
        st = dest.status
        if st is not EXITED:
            if _copy:
                msg = _isolate(msg)
            mb = dest.mailbox
            if mb is None:
                mb = dest.mailbox = deque()
            mb.append(msg)
            if st is WAITING:
                dest.status = RUNNABLE
                _runq.append(dest)
                if not _node.scheduled:  # type: ignore[union-attr]
                    _kick()
            elif st is WAITING_SEL and match_any(dest.patterns, msg):
                dest.matched = len(mb) - 1  # receive takes it without matching again
                dest.status = RUNNABLE
                _runq.append(dest)
                _kick()
        return msg
    if tp is Pid:
        if _node is not None:
            if dest.node != _node.name:
                remote.send(dest, _isolate(msg) if _copy else msg)
            else:  # a local pid rebuilt from its fields: find its process
                proc = proc_of(dest)
                if proc is not None:
                    deliver(proc, _isolate(msg) if _copy else msg)
        return msg
    if type(dest) is Ref and _node is not None:  # an alias: the reply path of every call
        aliases = _node.aliases
        entry = aliases.get(dest)
        if entry is not None:
            proc, mode = entry
            if mode == "reply_demonitor":  # drop_alias and _forget_monitor, inlined
                del aliases[dest]
                mons = proc.monitors
                target = mons.pop(dest, None) if mons else None
                if target is not None:
                    if type(target) is Proc:
                        if target.watcher_ref is dest:  # unwatch, inlined
                            target.watcher_ref = target.watcher = None
                        elif target.monitored_by is not None:
                            target.monitored_by.pop(dest, None)
                    elif target.node != _node.name:
                        remote.demonitor(proc, target, dest)
            deliver(proc, _isolate(msg) if _copy else msg)
            return msg
    return _send_slow(dest, msg)


def _send_slow(dest: Any, msg: Any) -> Any:
    n = current_node()
    if isinstance(dest, Ref):  # not an active local alias (send handled those)
        if dest.node != n.name:
            remote.send_alias(dest, _isolate(msg) if _copy else msg)
        return msg  # an inactive alias: dropped, as in Erlang
    if isinstance(dest, str):
        proc = n.names.get(dest)
        if proc is None:
            raise ValueError(f"send: no process is registered as {dest!r}")
        deliver(proc, _isolate(msg) if _copy else msg)
        return msg
    if type(dest) is tuple and len(dest) == 2 and isinstance(dest[0], str):
        name, node = dest
        if node == n.name:
            return _send_slow(name, msg)
        remote.send_name(name, str(node), _isolate(msg) if _copy else msg)
        return msg
    if isinstance(dest, Pid):
        return send(Pid(dest.node, dest.id, dest.serial, dest.creation), msg)
    raise TypeError(
        f"send: destination must be a Pid, an alias (Ref), a registered name (str) or a "
        f"(name, node) tuple, not {type(dest).__name__}: {dest!r}"
    )


ALIAS_MODES = ("explicit_unalias", "demonitor", "reply_demonitor")


def add_alias(proc: Proc, ref: Ref, mode: str) -> None:
    """Make ``ref`` an alias of ``proc``: messages sent to ``ref`` reach ``proc``
    while the alias is active.  ``mode`` says what deactivates it: ``unalias`` only
    (``"explicit_unalias"``), also demonitor or DOWN (``"demonitor"``), or also the
    first message through it (``"reply_demonitor"``)."""
    if mode not in ALIAS_MODES:
        raise ValueError(f"alias: unknown mode {mode!r}; expected one of {ALIAS_MODES}")
    n = _node
    assert n is not None
    n.aliases[ref] = (proc, mode)
    if mode == "explicit_unalias":  # the others end with their monitor
        if proc.aliases is None:
            proc.aliases = set()
        proc.aliases.add(ref)


def drop_alias(ref: Ref) -> bool:
    n = _node
    entry = n.aliases.pop(ref, None) if n is not None else None
    if entry is None:
        return False
    aliases = entry[0].aliases
    if aliases is not None:
        aliases.discard(ref)
    return True


def _forget_monitor(proc: Proc, ref: Ref) -> None:
    """Remove the monitor ``ref`` held by ``proc`` (both sides), if it is still there."""
    mons = proc.monitors
    target = mons.pop(ref, None) if mons else None
    if type(target) is Proc:
        unwatch(target, ref)
    elif type(target) is Pid and _node is not None and target.node != _node.name:
        remote.demonitor(proc, target, ref)


def watch(target: Proc, ref: Ref, watcher: Pid) -> None:
    """Record that ``watcher`` monitors ``target`` with ``ref`` (target's side)."""
    if target.watcher_ref is None:
        target.watcher_ref = ref
        target.watcher = watcher
    else:
        if target.monitored_by is None:
            target.monitored_by = {}
        target.monitored_by[ref] = watcher


def unwatch(target: Proc, ref: Ref) -> None:
    """Forget the monitor ``ref`` on ``target``'s side, if it is there."""
    if target.watcher_ref is ref:
        target.watcher_ref = target.watcher = None
    elif target.monitored_by is not None:
        target.monitored_by.pop(ref, None)


def watchers_of(proc: Proc) -> list[Pid]:
    """The pids that monitor ``proc``, oldest first."""
    out = [] if proc.watcher is None else [proc.watcher]
    if proc.monitored_by:
        out.extend(proc.monitored_by.values())
    return out


def _send_from_thread(dest: Any, msg: Any) -> Any:
    n = current_node()
    if not isinstance(dest, (Pid, str, tuple, Ref)):
        raise TypeError(
            f"send: destination must be a Pid, an alias (Ref), a registered name (str) or a "
            f"(name, node) tuple, not {type(dest).__name__}: {dest!r}"
        )
    if _copy:
        msg = _isolate(msg)
    n.call_threadsafe(_send_ignoring_unknown, dest, msg)
    return msg


def _send_ignoring_unknown(dest: Any, msg: Any) -> None:
    try:
        send(dest, msg)
    except ValueError as e:
        logger.warning("%s", e)


@types.coroutine
def receive(*patterns: Any, timeout: float | None = None) -> Any:
    """``await receive()``: the oldest message.  With patterns, the oldest message
    matching any of them; the others stay in order.  ``timeout`` in seconds raises
    :class:`TimeoutError`; ``timeout=0`` only looks at what is already there."""
    proc = _current
    if proc is None:  # (no thread check here: it costs 10% of a message hop)
        raise NotInProcessError("receive() must be awaited inside a livelong process")
    proc.reductions += 1
    mb = proc.mailbox
    i = 0  # messages before index i are known not to match
    if not patterns:
        if mb:
            if proc.reductions >= proc.yield_at:
                yield _YIELD
            return mb.popleft()
        if timeout is None:  # the plainest wait: a message hop's path
            proc.status = WAITING
            yield _WAIT
            mb = proc.mailbox
            while not mb:  # woken without a message (cancel/throw handled by the kernel)
                proc.status = WAITING
                yield _WAIT
                mb = proc.mailbox
            return mb.popleft()
    elif mb:
        for m in mb:
            if match_any(patterns, m):
                del mb[i]
                if proc.reductions >= proc.yield_at:
                    yield _YIELD
                return m
            i += 1
    # Nothing yet: wait, for a matching message when there are patterns, and until
    # the deadline when there is a timeout.  (One generator: a sub-generator for this
    # part cost a tenth of a GenServer call.)
    tm = None
    seq = 0
    if timeout is not None:
        if type(timeout) is not float or not timeout >= 0:  # (a float: a call's timeout)
            timeout = seconds_arg(timeout, "receive: timeout")
        if timeout == 0:
            raise TimeoutError("receive: no matching message (timeout=0)")
        assert _node is not None
        tm = _node.timeouts
        seq = next(tm.seq)  # arm a timeout (see Timeouts)
        when = _monotonic() + timeout
        heapq.heappush(tm.heap, (when, seq, proc))
        proc.timer = seq
        if when < tm.armed_at:
            tm._rearm(when)
        proc.timed_out = False
    try:
        while True:
            if patterns:
                proc.patterns = patterns
                proc.status = WAITING_SEL
            else:
                proc.status = WAITING
            yield _WAIT
            mb = proc.mailbox
            if mb is not None:
                j = proc.matched
                if j >= 0:  # deliver matched it already
                    proc.matched = -1
                    m = mb[j]
                    del mb[j]
                    return m
                n = len(mb)
                while i < n:
                    m = mb[i]
                    if not patterns or match_any(patterns, m):
                        del mb[i]
                        return m
                    i += 1
            if proc.timed_out:
                raise TimeoutError(f"receive: no matching message within {timeout} s")
    finally:
        if tm is not None:
            proc.timed_out = False
            if proc.timer == seq:  # _drop_timeout, inlined: this is every call's path
                proc.timer = None
                tm.stale += 1
                if tm.stale > 1024:
                    tm.sweep()


def seconds_arg(value: Any, what: str) -> float:
    """``value`` checked as a number of seconds >= 0 (``inf``: forever), or a clear
    error that names ``what``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{what} must be a number (of seconds), got {value!r}")
    if not value >= 0:  # (NaN too)
        raise ValueError(f"{what} must be >= 0, got {value!r}")
    return value


def receive_nowait(*patterns: Any) -> Any:
    """The oldest message (matching any of ``patterns``, if given) of the calling
    process, taken at once without awaiting; :class:`TimeoutError` if there is none.
    The synchronous twin of ``await receive(*patterns, timeout=0)``."""
    proc = current_proc("receive_nowait()")
    proc.reductions += 1
    mb = proc.mailbox
    if mb:
        if not patterns:
            return mb.popleft()
        for i, m in enumerate(mb):
            if match_any(patterns, m):
                del mb[i]
                return m
    raise TimeoutError("receive_nowait: no matching message")


def _drop_timeout(proc: Proc) -> None:
    proc.timer = None
    n = _node
    if n is not None:
        n.timeouts.stale += 1
        n.timeouts.sweep()


class Timeouts:
    """Receive timeouts: one heap of ``(deadline, seq, proc)`` and a single asyncio
    timer for its earliest entry.

    An asyncio ``call_later`` per timed receive (a handle, a context copy, a heap push
    and a cancel) cost about 1.4 us, most of a GenServer call; this costs a tuple and
    a heap push.  A finished receive does not search the heap: its entry goes stale
    (``proc.timer`` no longer equals its ``seq``) and is skipped when it comes due,
    or swept out when stale entries outnumber live ones.
    """

    __slots__ = ("loop", "heap", "seq", "handle", "armed_at", "stale")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.heap: list[tuple[float, int, Proc]] = []
        self.seq = itertools.count(1)
        self.handle: asyncio.TimerHandle | None = None
        self.armed_at = float("inf")
        self.stale = 0

    def sweep(self) -> None:
        """Drop the stale entries from the heap once they are the majority."""
        if self.stale > 1024 and self.stale * 2 > len(self.heap):
            self.heap = [e for e in self.heap if e[2].timer == e[1]]
            heapq.heapify(self.heap)
            self.stale = 0

    def _rearm(self, when: float) -> None:
        if self.handle is not None:
            self.handle.cancel()
        self.armed_at = when
        # deadlines are on _monotonic (see Node.attach), which need not be the loop's
        # own clock: a relative call_later, not call_at
        self.handle = self.loop.call_later(max(0.0, when - _monotonic()), self._fire)

    def _fire(self) -> None:
        self.handle = None
        self.armed_at = float("inf")
        heap = self.heap
        now = _monotonic()
        while heap and heap[0][0] <= now:
            _, seq, proc = heapq.heappop(heap)
            if proc.timer != seq:
                if self.stale > 0:
                    self.stale -= 1
                continue
            proc.timer = None
            proc.timed_out = True
            if proc.status is WAITING or proc.status is WAITING_SEL:
                proc.status = RUNNABLE
                _runq.append(proc)
                _kick()
        if heap:
            self._rearm(heap[0][0])

    def cancel_all(self) -> None:
        if self.handle is not None:
            self.handle.cancel()
        self.handle = None
        self.heap.clear()


# ----------------------------------------------------------------------------------
# isolation of messages


_copy = False
_IMMUTABLE = frozenset({int, float, str, bytes, bool, type(None), complex, Pid, Ref, range})


def _isolate(msg: Any) -> Any:
    """Copy what a receiver could see mutated (copy mode): immutable data is shared."""
    tp = type(msg)
    if tp in _IMMUTABLE:
        return msg
    if tp is tuple or tp is frozenset:
        for item in msg:
            if type(item) not in _IMMUTABLE:
                break
        else:
            return msg
    import copy

    return copy.deepcopy(msg)


def set_copy_messages(on: bool) -> None:
    global _copy
    _copy = bool(on)


# ----------------------------------------------------------------------------------
# the node: spawning, the slice, exits


class Node:
    """A livelong node: one event loop, one run queue, its processes and names.

    Its public methods are thread-safe: code in other threads (or plain asyncio code
    in the loop's thread) spawns into the node and sends to it through them.
    """

    def __init__(
        self,
        name: str = LOCAL_NODE,
        *,
        copy_messages: bool = False,
        watchdog_seconds: float | None = 2.0,
        gc_threshold: tuple[int, int, int] | None = GC_THRESHOLD,
    ) -> None:
        self.name = name
        self.gc_threshold = gc_threshold
        self._old_gc: tuple[int, int, int] | None = None
        self.creation = 0
        self.copy_messages = copy_messages
        self.loop: asyncio.AbstractEventLoop = None  # type: ignore[assignment]
        self.thread_id = -1
        self.procs: dict[int, Proc] = {}
        self.names: dict[str, Proc] = {}
        self.timers: dict[Ref, Any] = {}
        self.aliases: dict[Ref, tuple[Proc, str]] = {}
        self.timeouts: Timeouts = None  # type: ignore[assignment]
        self.scheduled = False
        self.ids = itertools.count(80)
        self.started_at = time.time()
        self.watchdog_seconds = watchdog_seconds
        self._watchdog: Watchdog | None = None
        self.stopping = False

    # --- attaching to an event loop ---------------------------------------------
    def attach(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        """Make this the node of ``loop`` (default: the running loop) and this thread."""
        global _node, _loop_tid, _monotonic
        if _node is not None and _node is not self:
            raise RuntimeError(
                f"a livelong node ({_node.name}) is already running in this OS process; "
                "one node runs per OS process"
            )
        self.loop = loop if loop is not None else asyncio.get_running_loop()
        self.timeouts = Timeouts(self.loop)
        self.thread_id = threading.get_ident()
        # Receive deadlines are on the loop's clock (a virtual one in tests); the stock
        # loop's clock is time.monotonic, called directly on the hot path.
        if type(self.loop).time is not asyncio.BaseEventLoop.time:
            _monotonic = self.loop.time
        _node = self
        _loop_tid = self.thread_id
        _runq.clear()
        _node_names[self.name] = 0
        set_copy_messages(self.copy_messages)
        if self.gc_threshold is not None:
            # Python's cyclic GC walks every young container; a node allocates a few
            # per spawn and per tail call, so the default (700, 10, 10) made spawning
            # 3x slower, and each full collection walks every process of the node.
            # A node owns its OS process, so it tunes the collector for it.
            self._old_gc = gc.get_threshold()
            gc.set_threshold(*map(max, self.gc_threshold, self._old_gc))
        if self.watchdog_seconds is not None:
            self._watchdog = Watchdog(self, self.watchdog_seconds)
            self._watchdog.start()

    def detach(self) -> None:
        """Stop every process left (their ``finally`` blocks run) and release the node."""
        global _node, _loop_tid, _current, _monotonic
        self.stopping = True
        if self._watchdog is not None:
            self._watchdog.stop()
        for proc in list(self.procs.values()):
            _current = proc
            try:
                self._close(proc)
            finally:
                _current = None
            self._cleanup(proc, "shutdown", None)
        for h in self.timers.values():
            h.cancel()
        self.timers.clear()
        self.timeouts.cancel_all()
        _runq.clear()
        if self._old_gc is not None:
            gc.set_threshold(*self._old_gc)
            self._old_gc = None
        if _node is self:
            _node = None
            _loop_tid = -1
            _monotonic = time.monotonic

    def call_threadsafe(self, fn: Callable[..., Any], *args: Any) -> None:
        if _get_ident() == self.thread_id:
            fn(*args)
        else:
            self.loop.call_soon_threadsafe(fn, *args)

    # --- spawning ------------------------------------------------------------------
    def spawn_proc(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> Proc:
        if not callable(fn):
            raise TypeError(f"spawn: expected a function to run, got {fn!r}")
        proc = Proc(self.name, next(self.ids), self.creation, fn, args)
        self.procs[proc.id] = proc
        return proc

    def schedule_new(self, proc: Proc) -> None:
        if _get_ident() == self.thread_id:
            _runq.append(proc)
            if not self.scheduled:
                _kick()
        else:
            self.loop.call_soon_threadsafe(self._enqueue, proc)

    def _enqueue(self, proc: Proc) -> None:
        if proc.status is RUNNABLE and proc.coro is None and proc.start is not None:
            _runq.append(proc)
            _kick()

    # --- the slice -------------------------------------------------------------------
    def _run_slice(self) -> None:
        global _current
        rq = _runq
        ct = _current_tasks
        swap = _swap_current_task
        loop = self.loop
        steps = 0
        budget = BUDGET
        deadline = _clock() + SLICE_SECONDS
        try:
            while rq:
                steps += 1
                if not steps & 63 and _clock() > deadline:
                    break
                proc = rq.popleft()
                _current = proc
                if ct is not None:
                    ct[loop] = proc
                elif swap is not None:
                    swap(loop, proc)
                proc.status = RUNNING
                proc.yield_at = proc.reductions + budget
                coro = proc.coro
                if coro is None or proc.signal is not None:
                    if proc.signal is None and type(proc.start) is tuple:  # a new process
                        args = proc.start
                        proc.start = None
                        self._run(proc, proc.fn, args)
                    else:
                        self._special_step(proc)
                    continue
                try:
                    r = coro.send(None)
                except StopIteration as e:
                    v = e.value
                    if type(v) is Tail:
                        self._continue(proc, v)
                    else:  # _continue, inlined: the end of every process
                        self._cleanup(proc, "normal", v)
                    continue
                except BaseException as e:
                    self._crashed(proc, e)
                    continue
                if r is _WAIT:
                    continue
                self._yielded(proc, r)
        finally:
            _current = None
            if ct is not None:
                ct.pop(loop, None)
            elif swap is not None and steps:
                swap(loop, None)
            self.scheduled = False
            if rq:
                self.scheduled = True
                loop.call_soon(self._run_slice)

    def _yielded(self, proc: Proc, r: Any) -> None:
        if r is _WAIT:
            return
        if r is _YIELD or r is None:
            proc.status = PREEMPTED
            _runq.append(proc)
            return
        if getattr(r, "_asyncio_future_blocking", None) is not None:
            if r.get_loop() is not self.loop:
                self._throw_later(
                    proc,
                    RuntimeError(f"process {proc!r} awaited a future of another loop: {r!r}"),
                )
                return
            r._asyncio_future_blocking = False
            proc.status = SUSPENDED
            proc.fut = r
            r.add_done_callback(proc._fut_done)
            return
        self._throw_later(
            proc,
            RuntimeError(
                f"process {proc!r} yielded {r!r}: await only livelong operations "
                "and asyncio awaitables inside a process"
            ),
        )

    def _throw_later(self, proc: Proc, exc: BaseException) -> None:
        proc.signal = ("throw", exc)
        proc.status = RUNNABLE
        _runq.append(proc)

    def _special_step(self, proc: Proc) -> None:
        sig = proc.signal
        if sig is not None:
            proc.signal = None
            kind, value = sig
            if kind == "exit":
                self._close(proc)
                self._cleanup(proc, value, None)
                return
            coro = proc.coro
            if coro is None:  # a throw before the process started: it never runs
                self._crashed(proc, value)
                return
            self._step(proc, coro, value)
            return
        start = proc.start
        proc.start = None
        if type(start) is Tail:  # a plain-function tail call preempted by its budget
            self._run(proc, start.fn, start.args)
        else:  # a new process: ``start`` holds the arguments of ``proc.fn``
            self._run(proc, proc.fn, start)

    def _continue(self, proc: Proc, value: Any) -> None:
        """A coroutine returned ``value``: follow a tail call, or end the process."""
        if type(value) is Tail:
            # The process's first tail call: from now on _tail_calls follows them.
            proc.fn = value.fn
            self._step(proc, _tail_calls(proc, value.fn, value.args))
        else:
            self._cleanup(proc, "normal", value)

    def _run(self, proc: Proc, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        """Call ``fn(*args)`` as the process's body and step it; a plain function's
        tail calls are followed here."""
        while True:
            proc.reductions += 1
            proc.fn = fn
            proc.coro = None
            try:
                r = fn(*args)
            except BaseException as e:
                self._crashed(proc, e)
                return
            if type(r) is types.CoroutineType:
                break
            if type(r) is Tail:
                if proc.reductions >= proc.yield_at:
                    proc.start = r
                    proc.status = PREEMPTED
                    _runq.append(proc)
                    return
                fn, args = r.fn, r.args
                continue
            if r is None or not _is_awaitable(r):
                self._cleanup(proc, "normal", r)
                return
            r = _await_it(r)
            break
        self._step(proc, r)

    def _step(self, proc: Proc, coro: Any, throw: BaseException | None = None) -> None:
        """Make ``coro`` the process's body and run it to its next wait (throwing
        ``throw`` into it, if given)."""
        proc.coro = coro
        if proc.reductions >= proc.yield_at and throw is None:
            proc.status = PREEMPTED
            _runq.append(proc)
            return
        try:
            y = coro.send(None) if throw is None else coro.throw(throw)
        except StopIteration as e:
            self._continue(proc, e.value)
            return
        except BaseException as e:
            self._crashed(proc, e)
            return
        if y is not _WAIT:  # (waiting in receive: the commonest, nothing to do)
            self._yielded(proc, y)

    def _crashed(self, proc: Proc, e: BaseException) -> None:
        if isinstance(e, _ExitSignal):
            reason: Any = e.reason
        elif isinstance(e, Exit):
            reason = e.reason
        elif isinstance(e, _Killed):
            reason = "killed"
        elif isinstance(e, GeneratorExit):
            reason = "killed"
        else:
            reason = e
            tb = e.__traceback__
            while tb is not None and tb.tb_frame.f_code.co_filename in _INTERNAL_FILES:
                tb = tb.tb_next  # the kernel's own frames say nothing about the crash
            if tb is not None:
                e.__traceback__ = tb
            logger.error(
                "Process %r (%s) raised an exception\n** (%s) %s",
                proc,
                mfa_text(proc.initial),
                type(e).__name__,
                e,
                exc_info=e,
            )
        self._cleanup(proc, reason, None)
        if isinstance(e, (KeyboardInterrupt, SystemExit)):
            raise e

    def _close(self, proc: Proc) -> None:
        """End ``proc``'s coroutine now, running its ``finally`` blocks."""
        coro = proc.coro
        proc.coro = None
        proc.status = EXITING
        _stop_waiting(proc)
        if coro is not None:
            try:
                coro.close()
            except BaseException as e:  # a finally block that raised or kept going
                logger.error("Process %r failed while exiting: %r", proc, e, exc_info=e)

    def _cleanup(self, proc: Proc, reason: Any, result: Any) -> None:
        """The process is gone: unregister it and fire its links and monitors."""
        if proc.status is EXITED:
            return
        proc.status = EXITED
        pid = proc  # the record is the pid that links and monitors are told about
        self.procs.pop(pid.id, None)
        proc.coro = None
        proc.start = None
        if proc.timer is not None:
            _drop_timeout(proc)
        if proc.name is not None:
            if self.names.get(proc.name) is proc:
                del self.names[proc.name]
            proc.name = None
        proc.mailbox = None
        links = proc.links
        if links:
            proc.links = None
            for other in links:
                if type(other) is Proc:
                    if other.status is not EXITED:
                        if other.links is not None:
                            other.links.discard(pid)
                        exit_signal(other, pid, reason, linked=True)
                elif other.node != self.name:
                    remote.exit(pid, other, reason)
        mons = proc.monitors
        if mons:
            proc.monitors = None
            aliases = self.aliases
            for ref, target in mons.items():
                if ref in aliases:
                    del aliases[ref]
                if type(target) is Proc:
                    unwatch(target, ref)
        first = proc.watcher_ref
        if first is not None:
            watcher = proc.watcher
            proc.watcher_ref = proc.watcher = None
            self._down(watcher, first, pid, reason)  # type: ignore[arg-type]
        watchers = proc.monitored_by
        if watchers:
            proc.monitored_by = None
            for ref, watcher in watchers.items():
                self._down(watcher, ref, pid, reason)
        if proc.aliases:
            for ref in list(proc.aliases):
                self.aliases.pop(ref, None)
            proc.aliases = None
        cbs = proc.on_exit
        if cbs:
            proc.on_exit = None
            for cb in cbs:
                try:
                    cb(reason, result)
                except Exception:
                    logger.exception("exit callback of %r failed", pid)
        # The record lives on as a dead pid, maybe for long (in a supervisor's state,
        # in messages): it must keep nothing of the process alive.
        proc.fn = proc.initial = None  # type: ignore[assignment]
        if proc.dictionary is not None:
            proc.dictionary = None
        if proc.patterns:
            proc.patterns = ()
        proc.signal = None

    def _down(self, watcher: Pid, ref: Ref, pid: Pid, reason: Any) -> None:
        """Tell ``watcher`` that its monitor ``ref`` of ``pid`` fired."""
        down = ("DOWN", ref, "process", pid, reason)
        if type(watcher) is Proc:
            if watcher.status is EXITED:
                return
            if watcher.monitors is not None:
                watcher.monitors.pop(ref, None)  # a monitor ends with its DOWN
            aliases = self.aliases
            if aliases:
                entry = aliases.get(ref)
                if entry is not None and entry[1] != "explicit_unalias":
                    del aliases[ref]
            deliver(watcher, down)
        elif watcher.node != self.name:
            remote.send(watcher, down)


def _is_awaitable(obj: Any) -> bool:
    return inspect.isawaitable(obj)  # also generator-based coroutines (types.coroutine)


async def _await_it(aw: Any) -> Any:
    return await aw


@types.coroutine
def _preempt() -> Any:
    yield _YIELD


async def _tail_calls(proc: Proc, fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    """The body of a process from its first tail call on: it follows the tail calls
    itself.  ``await`` takes a returning coroutine's value without the StopIteration
    the kernel's ``send`` would raise, and without a trip through the kernel: a
    receive loop written with ``tail`` pays a third less per message."""
    while True:
        proc.reductions += 1
        proc.fn = fn
        r = fn(*args)
        if type(r) is types.CoroutineType:
            r = await r
        elif type(r) is not Tail:
            if r is None or not _is_awaitable(r):
                return r
            r = await r
        if type(r) is not Tail:
            return r
        fn, args = r.fn, r.args
        if proc.reductions >= proc.yield_at:
            await _preempt()


# ----------------------------------------------------------------------------------
# exit signals


def exit_signal(target: Proc, from_: Pid, reason: Any, linked: bool) -> None:
    """Deliver an exit signal from ``from_`` to ``target`` as OTP does."""
    if target.status is EXITED or target.status is EXITING:
        return
    if reason == "kill" and not linked:
        kill(target, "killed")
    elif target.trap_exit:
        deliver(target, ("EXIT", from_, reason))
    elif reason == "normal":
        if not linked and from_ == target:
            kill(target, "normal")
    else:
        kill(target, reason)


def kill(proc: Proc, reason: Any) -> None:
    """End ``proc`` with ``reason`` as soon as possible, whatever it is doing."""
    if proc.status is EXITED or proc.status is EXITING:
        return
    on_loop = _get_ident() == _loop_tid
    if proc is _current and on_loop:
        raise _ExitSignal(reason)
    if not on_loop:
        n = current_node()
        if proc is _current and proc.status is RUNNING:
            _interrupt_runaway(n, proc)
        n.loop.call_soon_threadsafe(kill, proc, reason)
        return
    proc.signal = ("exit", reason)
    st = proc.status
    if st is WAITING or st is WAITING_SEL or st is SUSPENDED:
        _make_runnable(proc)
    # RUNNABLE: already queued; RUNNING (another frame up the stack): handled on return


def _interrupt_runaway(n: Node, proc: Proc) -> None:
    """The loop thread is inside ``proc`` and may never yield: raise in that thread."""
    reds = proc.reductions
    time.sleep(0.02)
    if _current is proc and proc.reductions == reds and proc.status is RUNNING:
        ctypes.pythonapi.PyThreadState_SetAsyncExc(
            ctypes.c_ulong(n.thread_id), ctypes.py_object(_Killed)
        )


# ----------------------------------------------------------------------------------
# introspection helpers


def mfa(fn: Any) -> tuple[str, str, int]:
    """``(module, qualified name, arity)`` of a function, as Erlang's ``{M, F, A}``."""
    code = getattr(fn, "__code__", None)
    if code is None:
        call = getattr(type(fn), "__call__", None)  # noqa: B004 (a callable object)
        code = getattr(call, "__code__", None)
    arity = code.co_argcount if code is not None else 0
    if code is not None and getattr(fn, "__self__", None) is not None:
        arity -= 1
    module = getattr(fn, "__module__", None) or "?"
    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or repr(fn)
    return (module, name, arity)


def _arity(code: types.CodeType) -> int:
    """Arguments a caller passes: a method's ``self`` or ``cls`` does not count."""
    n = code.co_argcount
    if n and code.co_varnames[0] in ("self", "cls"):
        n -= 1
    return n


def mfa_text(fn: Any) -> str:
    m, f, a = mfa(fn)
    return f"{m}.{f}/{a}" if m not in ("__main__", "?") else f"{f}/{a}"


_INTERNAL_FILES = (__file__,)


def current_function(proc: Proc) -> tuple[str, str, int]:
    """Where the process is now: its innermost frame that is not livelong's own."""
    if proc.status is RUNNING and _get_ident() != _loop_tid and _current is proc:
        frame = sys._current_frames().get(_loop_tid)
        best = None
        while frame is not None:
            if frame.f_code.co_filename not in _INTERNAL_FILES:
                best = frame
            else:
                break
            frame = frame.f_back
        if best is not None:
            code = best.f_code
            return (best.f_globals.get("__name__", "?"), code.co_qualname, _arity(code))
    coro = proc.coro
    best_code = None
    best_mod = "?"
    while coro is not None:  # down the await chain, to the innermost frame of its own
        ccode = getattr(coro, "cr_code", None) or getattr(coro, "gi_code", None)
        if ccode is None:
            break
        if ccode.co_filename in _INTERNAL_FILES:
            if best_code is not None:  # receive & co.: the process's code ends here
                break
        else:  # (the kernel's own _tail_calls may come first)
            frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
            best_code = ccode
            if frame is not None:
                best_mod = frame.f_globals.get("__name__", "?")
        coro = getattr(coro, "cr_await", None) or getattr(coro, "gi_yieldfrom", None)
    if best_code is not None:
        return (best_mod, best_code.co_qualname, _arity(best_code))
    return mfa(proc.fn)


def memory_of(proc: Proc) -> int:
    """An honest estimate, in bytes, of what this process holds."""
    mailbox = proc.mailbox
    size = sys.getsizeof(proc)
    if mailbox is not None:
        size += sys.getsizeof(mailbox)
    coro = proc.coro
    while coro is not None:
        size += sys.getsizeof(coro)
        coro = getattr(coro, "cr_await", None) or getattr(coro, "gi_yieldfrom", None)
    for m in list(mailbox or ()):
        size += _deep_size(m, 2)
    if proc.dictionary:
        size += _deep_size(proc.dictionary, 2)
    if proc.links:
        size += sys.getsizeof(proc.links)
    if proc.monitors:
        size += sys.getsizeof(proc.monitors)
    if proc.monitored_by:
        size += sys.getsizeof(proc.monitored_by)
    return size


def _deep_size(obj: Any, depth: int) -> int:
    size = sys.getsizeof(obj)
    if depth <= 0:
        return size
    if isinstance(obj, (tuple, list, set, frozenset)):
        for x in obj:
            size += _deep_size(x, depth - 1)
    elif isinstance(obj, dict):
        for k, v in obj.items():
            size += _deep_size(k, depth - 1) + _deep_size(v, depth - 1)
    return size


def runaway_process() -> Proc | None:
    """The process that holds the node's thread right now without yielding, as the
    watchdog found it (None when there is none).  Safe from any thread and from a
    signal handler."""
    n = _node
    wd = n._watchdog if n is not None else None
    proc = wd.runaway if wd is not None else None
    return proc if proc is not None and proc is _current else None


class Watchdog:
    """A thread that notices a process that holds the scheduler without yielding.

    It answers even while the loop thread is stuck: it only reads the kernel's
    plain data (the current process and its reduction count) and the loop thread's
    frame."""

    def __init__(self, node: Node, seconds: float) -> None:
        self.node = node
        self.seconds = seconds
        self.runaway: Proc | None = None  # the process holding the node, once reported
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="livelong-watchdog", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _watch(self) -> None:
        tick = min(0.25, self.seconds / 4)
        seen: Proc | None = None
        reds = -1
        since = 0.0
        reported = 0.0
        while not self._stop.wait(tick):
            if _node is not self.node:
                return
            cur = _current
            now = time.monotonic()
            if cur is None or cur is not seen or cur.reductions != reds:
                seen = cur
                reds = cur.reductions if cur is not None else -1
                since = now
                reported = 0.0
                self.runaway = None
                continue
            stuck = now - since
            if stuck >= self.seconds:
                self.runaway = cur
            if stuck >= self.seconds and now - reported >= max(self.seconds, 10.0):
                reported = now
                m, f, a = current_function(cur)
                logger.warning(
                    "runaway process %r has run for %.1f s without yielding to the "
                    "scheduler, in %s.%s/%d; other processes wait. Stop it with "
                    "Process.exit(pid, 'kill') from another thread.",
                    cur,
                    stuck,
                    m,
                    f,
                    a,
                )
