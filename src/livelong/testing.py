"""Helpers for testing code built on livelong, in the spirit of ExUnit's
``assert_receive``/``refute_receive``, and :class:`VirtualClock`, on which timeouts,
timers and sleeps take no real time.

>>> import livelong
>>> from livelong.testing import assert_receive, refute_receive
>>> async def main():
...     livelong.send(livelong.self(), ("pong", 1))
...     msg = await assert_receive(("pong", livelong.ANY))
...     await refute_receive(timeout=0.01)
...     return msg
>>> livelong.run(main)
('pong', 1)

On a :class:`VirtualClock`, a test of a day-long timer takes no real time:

>>> from livelong.testing import VirtualClock
>>> async def main():
...     livelong.send_after(livelong.self(), "a day later", 24 * 3600)
...     await refute_receive(timeout=3600)          # an hour without messages
...     return await assert_receive("a day later", timeout=24 * 3600)
>>> clock = VirtualClock()
>>> livelong.run(main, clock=clock), clock.time()
('a day later', 86400.0)

:func:`explore` runs a program many times under seeded random schedules to find the
interleavings that break it, and replays a failing one exactly (see its docs and
docs/testing.md).  The pytest plugin that ships with livelong runs ``async def`` tests
marked ``@pytest.mark.livelong`` as the first process of a fresh node.
"""

from __future__ import annotations

from typing import Any

from ._clock import VirtualClock
from ._core import current_proc, receive
from ._testing._explore import ExplorationFailure, explore

__all__ = [
    "assert_receive",
    "refute_receive",
    "mailbox",
    "VirtualClock",
    "explore",
    "ExplorationFailure",
]


async def assert_receive(*patterns: Any, timeout: float = 0.1) -> Any:
    """Receive a message matching any of ``patterns`` (any message if none) within
    ``timeout`` seconds, or fail with an AssertionError listing the mailbox."""
    try:
        return await receive(*patterns, timeout=timeout)
    except TimeoutError:
        want = ", ".join(map(repr, patterns)) or "any message"
        raise AssertionError(
            f"no message matching {want} within {timeout} s; mailbox: {mailbox()!r}"
        ) from None


async def refute_receive(*patterns: Any, timeout: float = 0.1) -> None:
    """Fail with an AssertionError if a message matching ``patterns`` (any message if
    none) arrives within ``timeout`` seconds.  The mailbox is left as it was."""
    try:
        msg = await receive(*patterns, timeout=timeout)
    except TimeoutError:
        return
    raise AssertionError(f"unexpected message {msg!r}")


def mailbox() -> list[Any]:
    """A snapshot of the calling process's mailbox."""
    return list(current_proc("mailbox()").mailbox or ())
