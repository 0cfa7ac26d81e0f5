"""The scheduler: the run queue, the slice that steps processes, send and receive.

Principles, in the spirit of a microkernel:

* A process is a Python coroutine (or a plain function) plus a small record
  (:mod:`._process`).  The kernel drives coroutines itself from a deque run queue
  inside one asyncio event loop callback (a *slice*): delivering a message costs an
  ``append`` and, when the receiver was waiting, one more ``append`` to the run
  queue -- never an asyncio Task wake-up.
* Anything else a coroutine awaits (``asyncio.sleep``, streams, aiohttp) is an
  asyncio future: the kernel parks the process on it and puts it back on the run
  queue from the future's done callback, as an asyncio Task would.  While a process
  runs it is the loop's *current task*, so ``asyncio.timeout`` and friends work.
* Fairness by reductions and by the clock.  Sends, receives, spawns and tail calls
  cost a reduction each, but a process leaves the CPU only at a preemption point:
  a ``receive`` that waits, or that finds a message once the budget (BUDGET) is
  spent; a tail call once the budget is spent; awaiting an asyncio future that is
  not done; ``await asyncio.sleep(0)``.  ``send``, ``receive_nowait`` and ``spawn``
  return at once, so a loop of them holds the thread: the watchdog
  (:mod:`._watchdog`) reports it and a kill from another thread interrupts it.  A
  slice hands asyncio its turn after SLICE_SECONDS (see :func:`_run_slice`).
* Exit signals, links and monitors follow OTP.  A crash ends one process and is
  reported through :mod:`logging`; it never unwinds the scheduler.
* The kernel knows nothing of GenServer, supervisors, the shell, the dashboard or
  distribution.  Distribution plugs in through the hooks of :mod:`._remote`.

This module holds what runs per message: the node's state lives in its module
globals so that ``send`` and ``receive`` read it with a single global lookup, and
the hot paths are inlined by hand.  The only places that step a process's coroutine
are :func:`_run_slice` (the common resume, inlined) and :func:`_step`.
"""

from __future__ import annotations

import asyncio
import asyncio.tasks as _asyncio_tasks
import contextvars
import heapq
import inspect
import logging
import sys
import threading
import time
import types
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import _ids, _process, _remote
from ._args import seconds_arg
from ._copying import isolate
from ._ids import Pid, Ref
from ._mfa import internal
from ._patterns import find, match_any, start_at, take
from ._process import (
    BUDGET,
    CHECK_THREADS,
    EXITED,
    NOT_EXITING,
    PREEMPTED,
    RUNNABLE,
    RUNNING,
    SUSPENDED,
    WAIT,
    WAITING,
    WAITING_MATCH,
    YIELD,
    CloseNow,
    NotInProcessError,
    Proc,
    Tail,
)

if TYPE_CHECKING:
    from ._node import Node

internal(__file__)
logger = logging.getLogger("livelong")

SLICE_SECONDS = 0.005  # time the kernel runs processes before asyncio gets a turn
# Steps that end waiting in receive (a message hop's path) do not read the clock each:
# the slice reads it after every WAIT_GAP-th of them at most (see _run_slice).
WAIT_GAP = 16
_QUICK_GAP = SLICE_SECONDS / 16  # steps between two looks that took less were quick


# ----------------------------------------------------------------------------------
# Node state (module globals: one node per OS process at a time)

_node: Node | None = None
_current: Proc | None = None
_fifo: deque[Proc] = deque()
_runq: deque[Proc] = _fifo  # the node's run_queue when it has one (see install)
_loop_tid: int = -1
_get_ident = threading.get_ident
# Processes run in a context where this is True (each slice sets it): receive reads it
# to tell the node's thread from another, at half the cost of get_ident(), which makes
# an int (6% of a message hop); a False sends it to the exact test.  A thread given a
# copy of a process's context (asyncio.to_thread does that) passes: not caught there.
_in_slice_var: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "livelong_in_slice", default=False
)
_in_slice = _in_slice_var.get
_clock = time.perf_counter
_monotonic = time.monotonic
_copy = False
# Slices run so far.  With _current, which step the node's thread is in: the watchdog
# and a kill from another thread read the pair to tell a process that holds the thread
# (the same slice, the same process) from one that keeps coming back to the kernel.
_slices = 0

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


def _exit_path_missing(*args: Any) -> None:
    raise RuntimeError("the livelong scheduler runs only inside an attached Node")


# How a process ends (see _lifecycle): given to install() by the node, so that the
# scheduler does not import the module that imports it.
_crashed: Callable[[Proc, BaseException], None] = _exit_path_missing
_cleanup: Callable[[Proc, Any, Any], None] = _exit_path_missing
_close: Callable[[Proc], None] = _exit_path_missing


def install(
    node: Node,
    clock: Callable[[], float] | None,
    copy_messages: bool,
    exit_path: tuple[
        Callable[[Proc, BaseException], None],
        Callable[[Proc, Any, Any], None],
        Callable[[Proc], None],
    ],
) -> None:
    """Make ``node`` the running node of this thread (called by ``Node.attach``).
    ``exit_path``: how a process ends, ``(crashed, cleanup, close)`` of ``_lifecycle``."""
    global _node, _loop_tid, _monotonic, _copy, _crashed, _cleanup, _close, _runq
    _crashed, _cleanup, _close = exit_path
    _runq = node.run_queue if node.run_queue is not None else _fifo
    _node = node
    _loop_tid = node.thread_id
    # Receive deadlines are on the loop's clock (a virtual one in tests); the stock
    # loop's clock is time.monotonic, called directly on the hot path.
    _monotonic = clock if clock is not None else time.monotonic
    _copy = bool(copy_messages)
    _runq.clear()
    _ids.set_local_node(node.name)


def uninstall(node: Node) -> None:
    """Release the node (called by ``Node.detach``, once its processes are gone)."""
    global _node, _loop_tid, _monotonic, _runq
    _runq.clear()
    if _node is node:
        _runq = _fifo
        _node = None
        _loop_tid = -1
        _monotonic = time.monotonic
        _ids.set_local_node(None)


def set_copy_messages(on: bool) -> None:
    global _copy
    _copy = bool(on)


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


_ids.find_local = proc_of


def monotonic() -> float:
    """The node's clock, in seconds: its event loop's, so a virtual clock in tests
    (``livelong.testing.VirtualClock``) moves every timeout, timer and sleep alike."""
    return _monotonic()


def current_node() -> Node:
    """The running node, or a clear error saying there is none."""
    n = _node
    if n is None:
        raise NotInProcessError(
            "no livelong node is running: start one with livelong.run(main) or livelong.start()"
        )
    return n


def running_node() -> Node | None:
    """The running node, or None."""
    return _node


def current_proc(what: str) -> Proc:
    """The running process, or a clear error naming ``what`` needed one."""
    proc = _current
    if proc is None or _get_ident() != _loop_tid:
        raise NotInProcessError(not_in_process(what, "called"))
    return proc


def not_in_process(what: str, verb: str) -> str:
    """Why ``what`` cannot run here, and the fix: a process-only operation was used
    from plain asyncio code, from an asyncio Task of its own, or from another thread."""
    text = f"{what} must be {verb} inside a livelong process"
    if _node is None:
        return f"{text}, and no node is running: start one with livelong.run(main)"
    if _get_ident() != _loop_tid:
        return f"{text}; from another thread, run it in one with node.call(fn)"
    return (
        f"{text}, not in plain asyncio code or in an asyncio Task of its own "
        f"({_TASK_MAKERS} run it in one): await it in the process itself "
        "(receive(timeout=...) for a timeout), or from asyncio code run it in a process "
        "with `await node.acall(fn)`"
    )


# What wraps an awaitable in a Task of its own: asyncio.wait_for does so before 3.12
# only (from 3.12 it awaits a coroutine in the caller's task, so it works in a process).
_TASK_MAKERS = (
    "asyncio.gather, asyncio.wait_for and create_task"
    if sys.version_info < (3, 12)
    else "asyncio.gather and create_task"
)


def caller() -> Proc | None:
    """The running process when called from inside one, else None."""
    cur = _current
    if cur is not None and _get_ident() == _loop_tid:
        return cur
    return None


def on_node_thread() -> bool:
    return _get_ident() == _loop_tid


def running_process() -> Proc | None:
    """The process the node's thread is inside right now (read from any thread)."""
    return _current


def _node_loop() -> asyncio.AbstractEventLoop:
    return current_node().loop


def _kick() -> None:
    n = _node
    if n is not None and not n.scheduled:
        n.scheduled = True
        if _get_ident() == _loop_tid:
            n.loop.call_soon(_run_slice)
        else:
            n.loop.call_soon_threadsafe(_run_slice)


def enqueue(proc: Proc) -> None:
    """Put a new process on the run queue (in the node's thread)."""
    _runq.append(proc)
    n = _node
    if n is not None and not n.scheduled:
        _kick()


def _stop_waiting(proc: Proc) -> None:
    """Drop what ``proc`` waits on: its receive timeout, the asyncio future it awaits."""
    if proc.timeout_seq is not None:
        _drop_timeout(proc)
    fut = proc.fut
    if fut is not None:
        proc.fut = None
        fut.remove_done_callback(proc._fut_done)
        fut.cancel()


def make_runnable(proc: Proc) -> None:
    """Wake ``proc`` if it waits (in receive, or on a future): put it on the run queue."""
    st = proc.status
    if st is WAITING or st is WAITING_MATCH or st is SUSPENDED:
        _stop_waiting(proc)
        proc.status = RUNNABLE
        _runq.append(proc)
        _kick()


_process.wake = make_runnable
_process.node_loop = _node_loop


def _drop_timeout(proc: Proc) -> None:
    n = _node
    if n is not None:
        n.timeouts.drop(proc)
    else:
        proc.timeout_seq = None


# ----------------------------------------------------------------------------------
# send and receive: the hot paths (see _reference for their readable versions)


def deliver(proc: Proc, msg: Any) -> None:
    """Put ``msg`` in ``proc``'s mailbox and wake it if it waits in receive."""
    mb = proc.mailbox
    if mb is None:
        mb = proc.mailbox = deque()
    mb.append(msg)
    st = proc.status
    if st is WAITING or (st is WAITING_MATCH and match_any(proc.patterns, msg)):
        if st is WAITING_MATCH:
            proc.matched_at = len(mb) - 1  # receive takes it without matching again
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
                msg = isolate(msg)
            mb = dest.mailbox
            if mb is None:
                mb = dest.mailbox = deque()
            mb.append(msg)
            if st is WAITING:
                dest.status = RUNNABLE
                _runq.append(dest)
                if not _node.scheduled:  # type: ignore[union-attr]
                    _kick()
            elif st is WAITING_MATCH and match_any(dest.patterns, msg):
                dest.matched_at = len(mb) - 1  # receive takes it without matching again
                dest.status = RUNNABLE
                _runq.append(dest)
                _kick()
        return msg
    if tp is Pid:
        if _node is not None:
            if dest.node != _node.name:
                _remote.remote.send(dest, isolate(msg) if _copy else msg)
            else:  # a local pid rebuilt from its fields: find its process
                proc = proc_of(dest)
                if proc is not None:
                    deliver(proc, isolate(msg) if _copy else msg)
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
                        _remote.remote.demonitor(proc, target, dest)
            deliver(proc, isolate(msg) if _copy else msg)
            return msg
    return _send_slow(dest, msg)


def _send_slow(dest: Any, msg: Any) -> Any:
    n = current_node()
    if isinstance(dest, Ref):  # not an active local alias (send handled those)
        if dest.node != n.name:
            _remote.remote.send_alias(dest, isolate(msg) if _copy else msg)
        return msg  # an inactive alias: dropped, as in Erlang
    if isinstance(dest, str):
        proc = n.names.get(dest)
        if proc is None:
            raise ValueError(f"send: no process is registered as {dest!r}")
        deliver(proc, isolate(msg) if _copy else msg)
        return msg
    if type(dest) is tuple and len(dest) == 2 and isinstance(dest[0], str):
        name, node = dest
        if node == n.name:
            return _send_slow(name, msg)
        _remote.remote.send_name(name, str(node), isolate(msg) if _copy else msg)
        return msg
    if isinstance(dest, Pid):
        return send(Pid(dest.node, dest.id, dest.serial, dest.creation), msg)
    raise TypeError(
        f"send: destination must be a Pid, an alias (Ref), a registered name (str) or a "
        f"(name, node) tuple, not {type(dest).__name__}: {dest!r}"
    )


def _send_from_thread(dest: Any, msg: Any, node: Node | None = None) -> Any:
    """``send`` from a thread other than the node's: checked and resolved here, in
    the caller's thread, as the node's own ``send`` would (a registered name is
    looked up now: ValueError if there is none), then handed to the node's thread.
    ``node``: the node to send in (``Node.send`` passes itself; it must be the
    running node); default: the running node."""
    n = current_node() if node is None else node
    if isinstance(dest, str) or (
        type(dest) is tuple and len(dest) == 2 and isinstance(dest[0], str) and dest[1] == n.name
    ):
        name = dest if isinstance(dest, str) else dest[0]
        proc = n.names.get(name)
        if proc is None:
            raise ValueError(f"send: no process is registered as {name!r}")
        dest = proc  # (should it exit before the message lands: dropped, as for a pid)
    elif not (
        isinstance(dest, (Pid, Ref))
        or (type(dest) is tuple and len(dest) == 2 and isinstance(dest[0], str))
    ):
        raise TypeError(
            f"send: destination must be a Pid, an alias (Ref), a registered name (str) or a "
            f"(name, node) tuple, not {type(dest).__name__}: {dest!r}"
        )
    if _copy:
        msg = isolate(msg)  # now: the sender may change it once send returns
    try:
        n.call_threadsafe(_deliver_from_thread, n, dest, msg)
    except RuntimeError:  # its loop is closed: the node stopped under us
        raise RuntimeError(f"send: node {n.name} is stopped") from None
    return msg


def _deliver_from_thread(node: Node, dest: Any, msg: Any) -> None:
    """In the node's thread: deliver a message that another thread sent (and copied)."""
    if _node is not node:
        return  # the node stopped meanwhile: dropped, as for a dead pid
    if isinstance(dest, Pid):
        proc = proc_of(dest)
        if proc is not None:
            deliver(proc, msg)
        elif dest.node != node.name:
            _remote.remote.send(dest, msg)
    else:  # an alias, or a name on another node
        send(dest, msg)


@types.coroutine
def receive(*patterns: Any, timeout: float | None = None, since: Ref | None = None) -> Any:
    """``await receive()``: the oldest message.  With patterns, the oldest message
    matching any of them; the others stay in order.  ``timeout`` in seconds raises
    :class:`TimeoutError`; ``timeout=0`` only looks at what is already there.

    ``since=ref`` (with patterns) promises that no message that arrived before
    ``ref`` was made matches, as for a reply tagged with a fresh ref: when ``ref`` is
    the caller's latest ref (``make_ref``, ``monitor``, ``alias``, ``spawn_monitor``)
    the receive skips the older messages instead of scanning a backlog; for another
    ref it scans them all, so the answer is the same either way.  Patterns that are
    tuple templates holding that latest ref (``("DOWN", mref, ANY, ANY, ANY)``) skip
    them without being told.  A pattern that raises does not match."""
    proc = _current
    if proc is None or (CHECK_THREADS and not _in_slice() and _get_ident() != _loop_tid):
        raise NotInProcessError(not_in_process("receive()", "awaited"))
    proc.reductions += 1
    mb = proc.mailbox
    if not patterns:
        if mb:
            if proc.reductions >= proc.yield_at:
                yield YIELD
            if proc.mark_at:  # the marker stays on its message
                proc.mark_at -= 1
            return mb.popleft()
        if timeout is None:  # the plainest wait: a message hop's path
            proc.status = WAITING
            yield WAIT
            # (The mailbox was empty, so the marker is at 0: nothing to move.)
            try:
                return proc.mailbox.popleft()  # type: ignore[union-attr]
            except (AttributeError, IndexError):  # woken without a message
                pass
            while not proc.mailbox:  # (cancel and throw are handled by the kernel)
                proc.status = WAITING
                yield WAIT
            return proc.mailbox.popleft()
        i = 0  # messages before index i are known not to match
    else:
        i = 0
        if mb:
            if proc.mark_at:  # a backlog older than the caller's latest ref: skip it?
                i = start_at(proc, patterns, since)
            if i:
                j = find(mb, patterns, i)
                if j >= 0:
                    if proc.reductions >= proc.yield_at:
                        yield YIELD  # (before taking it: a cancel here loses nothing)
                    m = mb[j]
                    del mb[j]  # (j >= mark_at: the marker does not move)
                    return m
                i = len(mb)
            else:
                for m in mb:
                    if match_any(patterns, m):
                        if proc.reductions >= proc.yield_at:
                            yield YIELD  # (only appends meanwhile: i is still m's)
                        del mb[i]
                        if i < proc.mark_at:
                            proc.mark_at -= 1
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
        proc.timeout_seq = seq
        if when < tm.armed_at:
            tm.rearm(when)
        proc.timed_out = False
    try:
        while True:
            if patterns:
                proc.patterns = patterns
                proc.status = WAITING_MATCH
            else:
                proc.status = WAITING
            yield WAIT
            mb = proc.mailbox
            if mb is not None:
                j = proc.matched_at
                if j >= 0:  # deliver matched it already (the newest: j >= mark_at)
                    m = mb[j]
                    del mb[j]
                    return m
                n = len(mb)
                while i < n:
                    m = mb[i]
                    if not patterns or match_any(patterns, m):
                        del mb[i]
                        if i < proc.mark_at:
                            proc.mark_at -= 1
                        return m
                    i += 1
            if proc.timed_out:
                raise TimeoutError(f"receive: no matching message within {timeout} s")
    finally:
        # Every way out, also a cancel or a throw after deliver matched a message:
        # a matched_at left behind would make the next receive take the wrong one.
        proc.matched_at = -1
        if tm is not None:
            proc.timed_out = False
            if proc.timeout_seq == seq:  # _drop_timeout, inlined: this is every call's path
                proc.timeout_seq = None
                tm.stale += 1
                if tm.stale > 1024:
                    tm.sweep()


def receive_nowait(*patterns: Any, since: Ref | None = None) -> Any:
    """The oldest message (matching any of ``patterns``, if given) of the calling
    process, taken at once without awaiting; :class:`TimeoutError` if there is none.
    The synchronous twin of ``await receive(*patterns, timeout=0)`` (``since`` as
    there)."""
    proc = current_proc("receive_nowait()")
    proc.reductions += 1
    mb = proc.mailbox
    if mb:
        if not patterns:
            if proc.mark_at:
                proc.mark_at -= 1
            return mb.popleft()
        i = find(mb, patterns, start_at(proc, patterns, since) if proc.mark_at else 0)
        if i >= 0:
            return take(proc, mb, i)
    raise TimeoutError("receive_nowait: no matching message")


# ----------------------------------------------------------------------------------
# the slice: this loop is the node's event loop for processes


def _run_slice() -> None:
    """Run processes from the run queue for up to a slice, then give asyncio its turn.

    This ``while`` loop is the node's event loop for processes.  The slice ends when
    the queue is empty or SLICE_SECONDS are up, so that asyncio (timers, I/O, tasks)
    waits about a slice plus the longest step at most.  The clock (40 ns) is read
    after every step that did not end waiting in receive: those paths (a yield such
    as ``asyncio.sleep(0)``, a future, a first step, an exit, a crash) cost a
    microsecond or more already.  A step that ends waiting in receive is a message
    hop's path (0.8 us), where a clock read would cost 5 %: those steps are counted,
    and the clock is read after the 1st, 3rd, 7th, 15th... of them, the gap doubling
    while the steps between two reads were quick (a sixteenth of a slice together),
    up to WAIT_GAP (16: 2.5 ns a hop), and back to 1 after a slow gap.  Past its
    time, a slice so runs one more step at most, or WAIT_GAP waiting ones.
    """
    global _current, _slices
    n = _node
    if n is None:
        return
    _slices += 1
    if not _in_slice():  # (most slices inherit it from the one before)
        _in_slice_var.set(True)
    rq = _runq
    ct = _current_tasks
    swap = _swap_current_task
    loop = n.loop
    steps = 0
    budget = BUDGET
    clock = _clock
    last = clock()
    deadline = last + SLICE_SECONDS
    gap = 1  # WAIT-ending steps between two looks at the clock
    look_at = 1  # the step count at which a WAIT-ending step looks at it next
    try:
        while rq:
            steps += 1
            proc = rq.popleft()
            _current = proc
            if ct is not None:
                ct[loop] = proc
            elif swap is not None:
                swap(loop, proc)
            proc.status = RUNNING
            proc.yield_at = proc.reductions + budget
            coro = proc.coro
            if coro is None or proc.throw is not None:
                args = proc.args
                if args is not None and proc.throw is None:  # a new process
                    proc.args = None
                    _run(proc, proc.fn, args)  # (counted below, as a hop's step)
                else:
                    _special_step(proc)
                    if clock() > deadline:
                        break
                    continue
            else:
                try:
                    r = coro.send(None)
                except StopIteration as e:
                    v = e.value
                    if type(v) is Tail:
                        _continue(proc, v)
                    else:  # _continue, inlined: the end of every process
                        _cleanup(proc, "normal", v)
                except BaseException as e:
                    _crashed(proc, e)
                    if clock() > deadline:
                        break
                    continue
                else:
                    if r is not WAIT:
                        _yielded(proc, r)
                        if clock() > deadline:
                            break
                        continue
            # A step that ended waiting in receive, a first step or a process's end:
            # the commonest steps, counted between two looks at the clock.
            if steps < look_at:
                continue
            now = clock()
            if now > deadline:
                break
            # quick since the last look (a sixteenth of a slice): look half as
            # often; slow: look after the next one too
            if now - last < _QUICK_GAP:
                if gap < WAIT_GAP:
                    gap += gap
            else:
                gap = 1
            last = now
            look_at = steps + gap
    finally:
        _current = None
        if ct is not None:
            ct.pop(loop, None)
        elif swap is not None and steps:
            swap(loop, None)
        n.scheduled = False
        if rq:
            n.scheduled = True
            loop.call_soon(_run_slice)


def _yielded(proc: Proc, r: Any) -> None:
    """The process's coroutine yielded ``r`` (not WAIT): park or requeue it."""
    if r is YIELD or r is None:
        proc.status = PREEMPTED
        _runq.append(proc)
        return
    if getattr(r, "_asyncio_future_blocking", None) is not None:
        if r.get_loop() is not _node.loop:  # type: ignore[union-attr]
            _throw_later(
                proc,
                RuntimeError(f"process {proc!r} awaited a future of another loop: {r!r}"),
            )
            return
        r._asyncio_future_blocking = False
        proc.status = SUSPENDED
        proc.fut = r
        r.add_done_callback(proc._fut_done)
        return
    _throw_later(
        proc,
        RuntimeError(
            f"process {proc!r} yielded {r!r}: await only livelong operations "
            "and asyncio awaitables inside a process"
        ),
    )


def _throw_later(proc: Proc, exc: BaseException) -> None:
    proc.throw = exc
    proc.status = RUNNABLE
    _runq.append(proc)


def _special_step(proc: Proc) -> None:
    """A step that is not a plain resume: a throw, an exit, or a plain function's
    tail call that waited for its turn."""
    exc = proc.throw
    if exc is not None:
        proc.throw = None
        coro = proc.coro
        if coro is None:  # before it started, or between a plain function's tail calls
            proc.args = proc.resume = None
            if proc.exit_reason is not NOT_EXITING:
                _cleanup(proc, proc.exit_reason, None)
            else:
                _crashed(proc, exc)  # a throw before it ran: it never runs
            return
        if type(exc) is CloseNow:  # its cleanup is over: past its bound, or killed again
            _close(proc)
            _cleanup(proc, proc.exit_reason, None)
            return
        _step(proc, coro, exc)
        return
    resume = proc.resume
    if resume is not None:  # a plain-function tail call preempted by its budget
        proc.resume = None
        _run(proc, resume.fn, resume.args)
    else:
        args = proc.args
        proc.args = None
        _run(proc, proc.fn, args or ())


def _continue(proc: Proc, value: Any) -> None:
    """A coroutine returned ``value``: follow a tail call, or end the process."""
    if type(value) is Tail:
        # The process's first tail call: from now on _tail_calls follows them.
        proc.fn = value.fn
        _step(proc, _tail_calls(proc, value.fn, value.args))
    else:
        _cleanup(proc, "normal", value)


def _run(proc: Proc, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    """Call ``fn(*args)`` as the process's body and step it; a plain function's
    tail calls are followed here."""
    while True:
        proc.reductions += 1
        proc.fn = fn
        proc.coro = None
        try:
            r = fn(*args)
        except BaseException as e:
            _crashed(proc, e)
            return
        if type(r) is types.CoroutineType:
            break
        if type(r) is Tail:
            if proc.reductions >= proc.yield_at:
                proc.resume = r
                proc.status = PREEMPTED
                _runq.append(proc)
                return
            fn, args = r.fn, r.args
            continue
        if r is None or not _is_awaitable(r):
            _cleanup(proc, "normal", r)
            return
        r = _await_it(r)
        break
    _step(proc, r)


def _step(proc: Proc, coro: Any, throw: BaseException | None = None) -> None:
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
        v = e.value
        if type(v) is Tail:
            _continue(proc, v)
        else:  # _continue, inlined: the end of a process that ran in one step
            _cleanup(proc, "normal", v)
        return
    except BaseException as e:
        _crashed(proc, e)
        return
    if y is not WAIT:  # (waiting in receive: the commonest, nothing to do)
        _yielded(proc, y)


def _is_awaitable(obj: Any) -> bool:
    return inspect.isawaitable(obj)  # also generator-based coroutines (types.coroutine)


async def _await_it(aw: Any) -> Any:
    return await aw


@types.coroutine
def _preempt() -> Any:
    yield YIELD


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
