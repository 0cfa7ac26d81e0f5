"""The watchdog: a thread that notices a process holding the node's thread, and the
interrupts that stop one from another thread.

A process that computes for seconds without awaiting keeps every other process of
its node waiting (there is one thread).  It need not stay out of livelong to do so:
``send`` and ``receive_nowait`` return at once and never hand the thread back, so
``while True: send(sink, x)`` holds the node as surely as ``while True: pass``.

What tells a stuck process from a busy one is therefore not what it calls, but
whether the node's thread leaves its *step* (the run from one resume to its next
return to the kernel).  The slice publishes, at no cost per step, the two things that
name a step: its slice number (``_scheduler._slices``, counted once a slice) and the
process it is in (``_scheduler._current``, set for every step anyway).  A pair that
does not change for seconds is a process holding the thread, whatever it calls: a
slice ends one step after its 5 ms are up, or WAIT_GAP short ones (``_run_slice``).

Both the watchdog and a kill from another thread run on threads of their own, so
they answer while the loop thread is stuck: they read only that pair, the record's
plain fields and the loop thread's frames.

A kill from another thread (``Process.exit(pid, "kill")``) is queued to the node's
loop, as every signal from another thread is; while the process holds the thread,
a short-lived helper raises :class:`Interrupt` in it, again every few tens of
milliseconds while it stays in that step (it may catch the first), within
``KILL_SECONDS``.  Once the process is interrupted its exit reason is ``"killed"``,
however it ends: by the interrupt, by returning, by raising, or at its next wait,
where the queued kill finds it.  A loop that catches ``BaseException`` around all
of its body may catch every interrupt, and one inside a long call into C cannot
take one: after ``KILL_SECONDS`` the helper logs an error and leaves the process to
the queued kill, which ends it when it next returns to the scheduler.

An interrupt is raised only where it unwinds nothing but the process's own code: the
loop thread's innermost frames must be the process's (not the kernel's: an exception
half way through a ``send`` would leave a mailbox and the run queue disagreeing; a
kernel function stopped at its very entry is fine, nothing is half done), and the
first kernel frame below them the step that resumed it, which ends the process on
any exception.  While the interrupting thread checks that and raises, the loop
thread is parked (the helper holds the GIL, which it has just taken, and CPython
takes it back only after a switch interval, ``sys.getswitchinterval()``, 5 ms by
default), so where it is checked is where the exception lands.
"""

from __future__ import annotations

import ctypes
import dis
import logging
import sys
import threading
import time
import types
from typing import TYPE_CHECKING

from . import _scheduler as sched
from ._introspection import current_function
from ._mfa import INTERNAL_FILES, internal
from ._process import EXITED, NOT_EXITING, RUNNING, Interrupt, Proc

if TYPE_CHECKING:
    from ._node import Node

internal(__file__)
logger = logging.getLogger("livelong")

KILL_RETRY_SECONDS = 0.025  # a kill from another thread looks at its process this often
KILL_SECONDS = 5.0  # ... and interrupts it for this long at most

Step = tuple[int, Proc]
"""What names a step of the node's thread: (slice number, the process it is in)."""


def current_step() -> Step | None:
    """The step the node's thread is in right now, None when it is in no process.
    Safe from any thread."""
    slices = sched._slices
    proc = sched._current
    if proc is None or sched._slices != slices:
        return None
    return (slices, proc)


def _stepping_codes() -> frozenset[types.CodeType]:
    """The kernel functions that resume a process's code and end the process on any
    exception it raises (a running process's first kernel frame is one of them)."""
    fns = (sched._run_slice, sched._run, sched._step, sched._tail_calls, sched._await_it)
    return frozenset(fn.__code__ for fn in fns)


_STEPPING = _stepping_codes()


_RESUME = dis.opmap["RESUME"]
_entries: dict[types.CodeType, int] = {}


def _entry(code: types.CodeType) -> int:
    """The offset of a function's first RESUME: a frame stopped there has done
    nothing yet (only cells, free variables and a generator's start come before)."""
    at = _entries.get(code)
    if at is None:
        co = code.co_code
        at = next((i for i in range(0, len(co), 2) if co[i] == _RESUME), -1)
        _entries[code] = at
    return at


def in_own_code(thread_id: int) -> bool:
    """True when the thread is in a process's own code, with only the step that
    resumed it between that code and the kernel (see the module's docstring).  A
    kernel function that the process's code called and that has not started yet
    counts as that code: an exception there is one raised at the call."""
    frame: types.FrameType | None = sys._current_frames().get(thread_id)
    if frame is None:
        return False
    code = frame.f_code
    if code.co_filename in INTERNAL_FILES:
        if frame.f_lasti != _entry(code):
            return False  # half way through the kernel's code
        frame = frame.f_back
        if frame is None or frame.f_code.co_filename in INTERNAL_FILES:
            return False
    frame = frame.f_back
    while frame is not None:
        code = frame.f_code
        if code.co_filename in INTERNAL_FILES:
            return code in _STEPPING
        frame = frame.f_back
    return False


_set_async_exc = ctypes.pythonapi.PyThreadState_SetAsyncExc


def interrupt(n: Node, step: Step) -> bool:
    """Raise :class:`Interrupt` in the node's thread if it is still in ``step`` and in
    the process's own code; the process's exit reason is then ``"killed"``.  True if
    raised.  Call it from another thread right after a blocking call (a sleep): the
    checks and the raise then happen before the loop thread can take the GIL back."""
    tid = ctypes.c_ulong(n.thread_id)
    exc = ctypes.py_object(Interrupt)
    slices, proc = step
    if sched._slices != slices or sched._current is not proc or proc.status is not RUNNING:
        return False
    if not in_own_code(n.thread_id):
        return False
    if proc.exit_reason is NOT_EXITING:
        proc.exit_reason = "killed"  # however it ends now (it may catch the interrupt)
    _set_async_exc(tid, exc)
    return True


def stop_from_thread(n: Node, proc: Proc) -> None:
    """A kill of ``proc`` was queued from another thread: interrupt the process while
    it holds the node's thread (a short-lived thread of its own does)."""
    if proc.status is EXITED:
        return
    threading.Thread(
        target=_interrupt_while_stuck, args=(n, proc), name="livelong-kill", daemon=True
    ).start()


def _interrupt_while_stuck(n: Node, proc: Proc) -> None:
    """Until ``proc`` is gone: interrupt it whenever the node's thread has stayed in one
    of its steps since the last look (a step that ends lets the queued kill end it).
    Where the thread is in kernel code, look again soon: it leaves it in microseconds."""
    give_up = time.monotonic() + KILL_SECONDS
    seen: Step | None = None
    tries = 0
    wait = KILL_RETRY_SECONDS
    while proc.status is not EXITED and sched._node is n:
        if time.monotonic() > give_up:
            logger.error(
                "Process.exit(%r, 'kill') from another thread: the process still holds "
                "the node's thread after %d interrupts in %.0f s (it catches them, or "
                "is inside a long call into C or into livelong, where an interrupt "
                "cannot land); it is killed when it next returns to the scheduler.",
                proc,
                tries,
                KILL_SECONDS,
            )
            return
        time.sleep(wait)
        wait = KILL_RETRY_SECONDS
        step = current_step()
        if step is None or step[1] is not proc:
            seen = None  # not running: the queued kill ends it at its turn
        elif seen is not None and step[0] == seen[0]:
            if interrupt(n, step):
                tries += 1
            else:
                wait = 0.001
        else:
            seen = step


def runaway_process() -> Proc | None:
    """The process that holds the node's thread right now without yielding, as the
    watchdog found it (None when there is none).  Safe from any thread and from a
    signal handler."""
    n = sched._node
    wd = n._watchdog if n is not None else None
    found = wd.runaway if wd is not None else None
    now = current_step()
    if found is None or now is None or now[0] != found[0] or now[1] is not found[1]:
        return None
    return found[1]


class Watchdog:
    """A thread that notices a process that holds the node's thread: the same step
    (slice number and process, see the module's docstring) for ``seconds``.  It logs
    a warning naming the process and where it is, again every ``max(seconds, 10)``
    seconds while it lasts."""

    def __init__(self, node: Node, seconds: float) -> None:
        self.node = node
        self.seconds = seconds
        self.runaway: Step | None = None  # the step holding the node, once reported
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="livelong-watchdog", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _watch(self) -> None:
        tick = min(0.25, self.seconds / 4)
        seen: Step | None = None
        since = 0.0
        reported = 0.0
        while not self._stop.wait(tick):
            if sched._node is not self.node:
                return
            step = current_step()
            now = time.monotonic()
            if step is None or seen is None or step[0] != seen[0] or step[1] is not seen[1]:
                seen = step
                since = now
                reported = 0.0
                self.runaway = None
                continue
            stuck = now - since
            if stuck < self.seconds:
                continue
            self.runaway = step
            if now - reported >= max(self.seconds, 10.0):
                reported = now
                cur = step[1]
                m, f, a = current_function(cur)
                logger.warning(
                    "runaway process %r has held the node's thread for %.1f s without "
                    "returning to the scheduler, in %s.%s/%d; other processes wait. %s",
                    cur,
                    stuck,
                    m,
                    f,
                    a,
                    self.node.runaway_hint,
                )
