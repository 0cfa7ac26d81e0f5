"""Sans-IO framing of connected distribution traffic, and the tick-timer policy.

After the handshake every packet is a u32 length then the body; a length of 0 is a
tick.  :class:`FrameReader` takes any chunking and yields :class:`Tick` or
:class:`Packet`; a length over ``max_packet`` raises :class:`FramingError` (the
connection must then be dropped).  :class:`TickPolicy` says, from a clock, when to
send a tick (nothing written for ticktime/4) and when the peer is dead (nothing heard
for ticktime).

>>> r = FrameReader(max_packet=1024)
>>> r.receive_data(tick() + frame(b"p\\x83") + b"\\x00")
>>> r.next_event(), r.next_event(), r.next_event()
(Tick(), Packet(data=b'p\\x83'), None)
>>> now = [0.0]
>>> p = TickPolicy(4.0, clock=lambda: now[0])
>>> now[0] = 1.0
>>> p.should_tick(), p.peer_dead()
(True, False)
>>> p.sent(); now[0] = 4.5
>>> p.peer_dead()
True
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["FrameReader", "FramingError", "Tick", "Packet", "tick", "frame", "TickPolicy",
           "DEFAULT_MAX_PACKET"]

DEFAULT_MAX_PACKET = 64 * 1024 * 1024
_TICK = b"\x00\x00\x00\x00"


class FramingError(ValueError):
    """Connected traffic that must close the connection (e.g. an oversized packet)."""


@dataclass(frozen=True)
class Tick:
    """A zero-length keep-alive packet."""


@dataclass(frozen=True)
class Packet:
    data: bytes


def tick() -> bytes:
    """The bytes of one tick."""
    return _TICK


def frame(data: bytes) -> bytes:
    """``data`` with its u32 length prefix."""
    return len(data).to_bytes(4, "big") + data


class FrameReader:
    """u32-length packets in any chunking → :class:`Tick` / :class:`Packet` events."""

    __slots__ = ("_buf", "max_packet")

    def __init__(self, max_packet: int = DEFAULT_MAX_PACKET) -> None:
        self._buf = bytearray()
        self.max_packet = max_packet

    def receive_data(self, data: bytes) -> None:
        self._buf += data

    def next_event(self) -> Tick | Packet | None:
        buf = self._buf
        if len(buf) < 4:
            return None
        size = int.from_bytes(buf[:4], "big")
        if size == 0:
            del buf[:4]
            return Tick()
        if size > self.max_packet:
            raise FramingError(f"packet of {size} bytes is over the limit of "
                               f"{self.max_packet}")
        if len(buf) < 4 + size:
            return None
        data = bytes(buf[4:4 + size])
        del buf[:4 + size]
        return Packet(data)


class TickPolicy:
    """When to tick and when to give up on a peer, for one connection.

    Call :meth:`sent` after every write and :meth:`received` after every read.
    """

    __slots__ = ("ticktime", "_clock", "_last_sent", "_last_heard")

    def __init__(self, ticktime: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if ticktime <= 0:
            raise ValueError(f"ticktime must be positive, got {ticktime}")
        self.ticktime = ticktime
        self._clock = clock
        self._last_sent = self._last_heard = clock()

    def sent(self) -> None:
        self._last_sent = self._clock()

    def received(self) -> None:
        self._last_heard = self._clock()

    def should_tick(self) -> bool:
        """True when nothing was written for ticktime/4."""
        return self._clock() - self._last_sent >= self.ticktime / 4

    def peer_dead(self) -> bool:
        """True when nothing was heard for ticktime."""
        return self._clock() - self._last_heard >= self.ticktime

    def next_wakeup(self) -> float:
        """Seconds until a tick is due or the peer would count as dead."""
        now = self._clock()
        due = min(self._last_sent + self.ticktime / 4, self._last_heard + self.ticktime)
        return max(0.0, due - now)
