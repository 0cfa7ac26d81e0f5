"""Receive timeouts: one heap and one asyncio timer for a whole node.

An asyncio ``call_later`` per timed receive (a handle, a context copy, a heap push
and a cancel) cost about 1.4 us, most of a GenServer call; this costs a tuple and a
heap push.  A finished receive does not search the heap: its entry goes stale (the
process's ``timeout_seq`` no longer equals the entry's ``seq``) and is skipped when
it comes due, or swept out when stale entries outnumber live ones.

The heap knows nothing of the scheduler: it is given the loop, the node's clock and
a ``wake`` callback that makes a timed-out process runnable.  ``receive`` arms an
entry inline (it is every call's path); see :meth:`Timeouts.arm` for the readable
version.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Callable

from ._mfa import internal
from ._process import WAITING, WAITING_MATCH, Proc

internal(__file__)


class Timeouts:
    """A heap of ``(deadline, seq, proc)`` and a single asyncio timer for its earliest
    entry."""

    __slots__ = ("loop", "clock", "wake", "heap", "seq", "handle", "armed_at", "stale")

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        clock: Callable[[], float],
        wake: Callable[[Proc], None],
    ) -> None:
        self.loop = loop
        self.clock = clock
        self.wake = wake
        self.heap: list[tuple[float, int, Proc]] = []
        self.seq = itertools.count(1)
        self.handle: asyncio.TimerHandle | None = None
        self.armed_at = float("inf")
        self.stale = 0

    def arm(self, proc: Proc, seconds: float) -> int:
        """Arm a timeout of ``seconds`` for ``proc``'s receive; returns its seq."""
        seq = next(self.seq)
        when = self.clock() + seconds
        heapq.heappush(self.heap, (when, seq, proc))
        proc.timeout_seq = seq
        if when < self.armed_at:
            self.rearm(when)
        proc.timed_out = False
        return seq

    def drop(self, proc: Proc) -> None:
        """Forget ``proc``'s armed timeout (its entry goes stale)."""
        proc.timeout_seq = None
        self.stale += 1
        self.sweep()

    def sweep(self) -> None:
        """Drop the stale entries from the heap once they are the majority."""
        if self.stale > 1024 and self.stale * 2 > len(self.heap):
            self.heap = [e for e in self.heap if e[2].timeout_seq == e[1]]
            heapq.heapify(self.heap)
            self.stale = 0

    def rearm(self, when: float) -> None:
        if self.handle is not None:
            self.handle.cancel()
        self.armed_at = when
        # deadlines are on the node's clock, which need not be the loop's own: a
        # relative call_later, not call_at
        self.handle = self.loop.call_later(max(0.0, when - self.clock()), self._fire)

    def _fire(self) -> None:
        self.handle = None
        self.armed_at = float("inf")
        heap = self.heap
        now = self.clock()
        while heap and heap[0][0] <= now:
            _, seq, proc = heapq.heappop(heap)
            if proc.timeout_seq != seq:
                if self.stale > 0:
                    self.stale -= 1
                continue
            proc.timeout_seq = None
            proc.timed_out = True
            if proc.status is WAITING or proc.status is WAITING_MATCH:
                self.wake(proc)
        if heap:
            self.rearm(heap[0][0])

    def cancel_all(self) -> None:
        if self.handle is not None:
            self.handle.cancel()
        self.handle = None
        self.heap.clear()
