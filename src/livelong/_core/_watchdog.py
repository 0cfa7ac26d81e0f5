"""The watchdog: a thread that notices a process holding the node's thread.

A process that computes for seconds without awaiting keeps every other process of
its node waiting (there is one thread).  The watchdog runs on a thread of its own,
so it answers even while the loop thread is stuck: it only reads the kernel's plain
data (the current process and its reduction count) and the loop thread's frame.
"""

from __future__ import annotations

import ctypes
import logging
import threading
import time
from typing import TYPE_CHECKING

from . import _scheduler as sched
from ._introspection import current_function
from ._mfa import internal
from ._process import RUNNING, Interrupt, Proc

if TYPE_CHECKING:
    from ._node import Node

internal(__file__)
logger = logging.getLogger("livelong")


def runaway_process() -> Proc | None:
    """The process that holds the node's thread right now without yielding, as the
    watchdog found it (None when there is none).  Safe from any thread and from a
    signal handler."""
    n = sched._node
    wd = n._watchdog if n is not None else None
    proc = wd.runaway if wd is not None else None
    return proc if proc is not None and proc is sched._current else None


def interrupt_runaway(n: Node, proc: Proc) -> None:
    """The loop thread is inside ``proc`` and may never yield: raise in that thread."""
    reds = proc.reductions
    time.sleep(0.02)
    if sched._current is proc and proc.reductions == reds and proc.status is RUNNING:
        ctypes.pythonapi.PyThreadState_SetAsyncExc(
            ctypes.c_ulong(n.thread_id), ctypes.py_object(Interrupt)
        )


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
            if sched._node is not self.node:
                return
            cur = sched._current
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
