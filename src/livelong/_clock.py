"""Virtual time for a node under test: :class:`VirtualClock`.

A node keeps all its time on its event loop's clock: receive timeouts, ``send_after``
timers, ``Process.sleep``, GenServer timeouts and supervisors' restart windows.  A
virtual clock replaces that clock with a number that moves only when the clock says
so, so a test of a 30-second timeout takes no real time and gives the same answer on
a loaded CI machine as on a laptop.

How it works: the node runs on an ordinary :class:`asyncio.SelectorEventLoop` whose
``time()`` is the clock's, built with a selector that, where the loop would sleep
until its next timer, waits for real I/O at most ``autojump_threshold`` real seconds
and then moves virtual time to that timer at once (the *autojump*, as trio's
``MockClock`` does).  Only public asyncio API is used: a loop subclass overriding
``time()`` and the ``selector=`` argument of the loop's constructor.
"""

from __future__ import annotations

import asyncio
import math
import selectors
import threading
from typing import Any

__all__ = ["VirtualClock"]


class VirtualClock:
    """A clock for :func:`livelong.run` (``clock=``) that moves only when told to or,
    with ``autojump`` (the default), when every process of the node is waiting: then
    it jumps straight to the next timeout, timer or sleep.

    >>> import livelong
    >>> from livelong import receive
    >>> from livelong.testing import VirtualClock
    >>> async def main():
    ...     try:
    ...         await receive(timeout=3600)      # an hour, in no real time
    ...     except TimeoutError:
    ...         return "timed out"
    >>> clock = VirtualClock()
    >>> livelong.run(main, clock=clock), clock.time()
    ('timed out', 3600.0)

    ``autojump_threshold``: real seconds the node must have been idle (no process
    runnable, no I/O ready) before time jumps.  Keep the default 0 for code that only
    talks to its own processes; give real sockets time to answer (say 0.05) when the
    code under test does real I/O.  With ``autojump=False`` time moves only through
    :meth:`advance`.
    """

    def __init__(
        self, start: float = 0.0, *, autojump: bool = True, autojump_threshold: float = 0.0
    ) -> None:
        if not math.isfinite(start):
            raise ValueError(f"VirtualClock: start must be a finite number, got {start!r}")
        if not (autojump_threshold >= 0 and math.isfinite(autojump_threshold)):
            raise ValueError(
                "VirtualClock: autojump_threshold must be a finite number of seconds >= 0, "
                f"got {autojump_threshold!r}"
            )
        self._now = float(start)
        self.autojump = autojump
        self.autojump_threshold = float(autojump_threshold)
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None

    def time(self) -> float:
        """The current virtual time, in seconds."""
        return self._now

    def advance(self, seconds: float) -> None:
        """Move virtual time forward by ``seconds``: what comes due by then fires.
        Safe from any thread, and from a process of the node itself:

        >>> import livelong
        >>> from livelong.testing import VirtualClock
        >>> clock = VirtualClock(autojump=False)    # time moves only through advance
        >>> async def main():
        ...     ref = livelong.send_after(livelong.self(), "ding", 60)
        ...     clock.advance(59)
        ...     left = livelong.read_timer(ref)
        ...     clock.advance(1)
        ...     return left, await livelong.receive(), clock.time()
        >>> livelong.run(main, clock=clock)
        (1.0, 'ding', 60.0)
        """
        if not (seconds >= 0 and math.isfinite(seconds)):
            raise ValueError(
                f"VirtualClock.advance: seconds must be a finite number >= 0, got {seconds!r}"
            )
        self._jump(seconds)
        loop = self._loop
        if loop is not None and not loop.is_closed():
            # wake the loop if it waits in select: its timers are due now
            loop.call_soon_threadsafe(_nothing)

    def _jump(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds

    def new_event_loop(self) -> asyncio.AbstractEventLoop:
        """An event loop that keeps time on this clock (one loop per clock)."""
        if self._loop is not None and not self._loop.is_closed():
            raise RuntimeError("VirtualClock: this clock already drives a running loop")
        loop = _VirtualTimeLoop(self)
        self._loop = loop
        return loop

    def __repr__(self) -> str:
        jump = f"autojump after {self.autojump_threshold} s idle" if self.autojump else "manual"
        return f"<VirtualClock t={self._now!r} ({jump})>"


def _nothing() -> None:
    pass


class _JumpingSelector(selectors.DefaultSelector):
    """The loop's selector: where the loop would sleep until its next timer, it jumps
    the clock there instead (after ``autojump_threshold`` real seconds without I/O)."""

    def __init__(self, clock: VirtualClock) -> None:
        super().__init__()
        self._clock = clock

    def select(self, timeout: float | None = None) -> list[tuple[Any, int]]:
        if timeout is None or timeout <= 0:
            # nothing scheduled (wait for I/O or a wake-up), or work ready (poll)
            return super().select(timeout)
        clock = self._clock
        if not clock.autojump:  # the next timer is in virtual time: only advance() moves it
            return super().select(None)
        events = super().select(clock.autojump_threshold)
        if not events:
            clock._jump(timeout)
        return events


class _VirtualTimeLoop(asyncio.SelectorEventLoop):
    def __init__(self, clock: VirtualClock) -> None:
        self._virtual_clock = clock
        super().__init__(_JumpingSelector(clock))

    def time(self) -> float:
        return self._virtual_clock._now
