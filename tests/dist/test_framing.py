"""Connected-traffic framing and the tick policy."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from livelong.dist._framing import FrameReader, FramingError, Packet, Tick, TickPolicy, frame, tick


def events(r: FrameReader) -> list[object]:
    out = []
    while (ev := r.next_event()) is not None:
        out.append(ev)
    return out


def test_golden_frames() -> None:
    assert tick() == b"\x00\x00\x00\x00"
    assert frame(b"p\x83h") == b"\x00\x00\x00\x03p\x83h"


def test_byte_at_a_time_and_several_in_one_chunk() -> None:
    data = tick() + frame(b"abc") + tick() + frame(b"x" * 300)
    r = FrameReader()
    got: list[object] = []
    for b in data + b"\x00\x00":
        r.receive_data(bytes([b]))
        got += events(r)
    assert got == [Tick(), Packet(b"abc"), Tick(), Packet(b"x" * 300)]
    r2 = FrameReader()
    r2.receive_data(data)
    assert events(r2) == got


def test_oversized_packet_fails_cleanly() -> None:
    r = FrameReader(max_packet=10)
    r.receive_data(frame(b"y" * 11))
    with pytest.raises(FramingError, match="11 bytes is over the limit of 10"):
        r.next_event()


@given(st.lists(st.binary(max_size=40), max_size=8), st.integers(1, 7))
def test_roundtrip_any_chunking(payloads: list[bytes], step: int) -> None:
    data = b"".join(frame(p) for p in payloads)
    r = FrameReader()
    got: list[object] = []
    for i in range(0, len(data), step):
        r.receive_data(data[i:i + step])
        got += events(r)
    assert got == [Packet(p) if p else Tick() for p in payloads]


@given(st.binary(max_size=200))
def test_fuzz_only_clean_rejections(data: bytes) -> None:
    r = FrameReader(max_packet=100)
    r.receive_data(data)
    try:
        events(r)
    except FramingError:
        pass


def test_tick_policy() -> None:
    now = [100.0]
    p = TickPolicy(8.0, clock=lambda: now[0])
    assert not p.should_tick() and not p.peer_dead() and p.next_wakeup() == 2.0
    now[0] = 102.0
    assert p.should_tick()
    p.sent()
    assert not p.should_tick()
    now[0] = 107.0
    p.received()
    now[0] = 114.9
    assert not p.peer_dead()
    now[0] = 115.0
    assert p.peer_dead()
    with pytest.raises(ValueError):
        TickPolicy(0)
