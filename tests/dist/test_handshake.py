"""The handshake state machine without sockets: golden packets, both forms of name
packet, refusals, and fuzzing.

The erl name packet was captured from a real OTP 25 ``erl -sname cap`` running
``net_kernel:connect_node('py@vm')`` against a test-side listener registered as ``py``
in a real epmd (the first packet read from the accepted socket).
"""

from __future__ import annotations

import struct

from hypothesis import given
from hypothesis import strategies as st

from livelong.dist import _handshake as h
from livelong.dist._handshake import Connected, Failed, Handshake, digest

ERL_NAME_PACKET = b"\x00\x15N\x00\x00\x00\r\x07\xdf\x7f\xbdk\x14\x13W\x00\x06cap@vm"
ERL_FLAGS = 0xD07DF7FBD


def pair(cookie_a: str = "C", cookie_b: str = "C") -> tuple[Handshake, Handshake]:
    a = Handshake("initiator", "a@h", cookie_a, creation=5, challenge=lambda: 1111)
    b = Handshake("acceptor", "b@h", cookie_b, creation=6, challenge=lambda: 2222)
    return a, b


def run(a: Handshake, b: Handshake, bytewise: bool = False) -> None:
    a.start()
    for _ in range(4):
        for src, dst in ((a, b), (b, a)):
            data = src.data_to_send()
            if bytewise:
                for x in data:
                    dst.receive_data(bytes([x]))
            else:
                dst.receive_data(data)


def test_golden_packets_of_a_full_handshake() -> None:
    a, b = pair()
    a.start()
    name = a.data_to_send()
    assert name == b"\x00\x12N" + struct.pack(">QIH", h.RECOMMENDED_FLAGS, 5, 3) + b"a@h"
    b.receive_data(name)
    status_challenge = b.data_to_send()
    assert status_challenge == (b"\x00\x03sok" + b"\x00\x16N"
                                + struct.pack(">QIIH", h.RECOMMENDED_FLAGS, 2222, 6, 3)
                                + b"b@h")
    a.receive_data(status_challenge)
    reply = a.data_to_send()
    assert reply == b"\x00\x15r" + struct.pack(">I", 1111) + digest("C", 2222)
    b.receive_data(reply)
    ack = b.data_to_send()
    assert ack == b"\x00\x11a" + digest("C", 1111)
    a.receive_data(ack + b"\x00\x00\x00\x00")  # a tick right after the ack
    assert a.next_event() == Connected("b@h", h.RECOMMENDED_FLAGS, 6)
    assert b.next_event() == Connected("a@h", h.RECOMMENDED_FLAGS, 5)
    assert a.trailing == b"\x00\x00\x00\x00"


def test_digest_is_cookie_then_decimal_challenge() -> None:
    import hashlib
    assert digest("secret", 42) == hashlib.md5(b"secret42").digest()


def test_byte_at_a_time() -> None:
    a, b = pair()
    run(a, b, bytewise=True)
    assert isinstance(a.next_event(), Connected) and isinstance(b.next_event(), Connected)


def test_tls_uses_four_byte_lengths() -> None:
    a = Handshake("initiator", "a@h", "C", creation=1, tls=True)
    b = Handshake("acceptor", "b@h", "C", creation=2, tls=True)
    a.start()
    first = a.data_to_send()
    assert first[:4] == (len(first) - 4).to_bytes(4, "big")
    b.receive_data(first)
    a.receive_data(b.data_to_send())
    b.receive_data(a.data_to_send())
    a.receive_data(b.data_to_send())
    assert isinstance(a.next_event(), Connected) and isinstance(b.next_event(), Connected)


def test_acceptor_decodes_erl_name_packet() -> None:
    b = Handshake("acceptor", "py@vm", "C", creation=6)
    b.receive_data(ERL_NAME_PACKET)
    assert (b.peer_name, b.peer_flags, b.state) == ("cap@vm", ERL_FLAGS, "wait_reply")
    assert b.data_to_send().startswith(b"\x00\x03sok\x00")


def test_old_name_and_complement_are_accepted() -> None:
    b = Handshake("acceptor", "b@h", "C", creation=6, challenge=lambda: 7)
    low = ERL_FLAGS & 0xFFFFFFFF
    old = b"n" + struct.pack(">HI", 5, low) + b"old@h"
    b.receive_data(len(old).to_bytes(2, "big") + old)
    assert b.data_to_send().startswith(b"\x00\x03sok")
    comp = b"c" + struct.pack(">II", ERL_FLAGS >> 32, 99)
    reply = b"r" + struct.pack(">I", 8) + digest("C", 7)
    b.receive_data(b"\x00\x09" + comp + b"\x00\x15" + reply)
    assert b.next_event() == Connected("old@h", ERL_FLAGS, 99)
    assert b.data_to_send() == b"\x00\x11a" + digest("C", 8)


def test_wrong_cookie_fails_both_sides_without_the_cookie() -> None:
    a, b = pair("right-cookie", "Wrong-Cookie")
    run(a, b)
    ev = b.next_event()
    assert isinstance(ev, Failed) and "cookie" in ev.reason
    assert "Wrong-Cookie" not in ev.reason and "right-cookie" not in ev.reason
    assert a.next_event() is None
    a.connection_closed()
    ev = a.next_event()
    assert isinstance(ev, Failed) and "right-cookie" not in ev.reason
    assert "right-cookie" not in repr(a)


def test_peer_missing_mandatory_flags_is_refused() -> None:
    a = Handshake("initiator", "a@h", "C", creation=1, flags=0x70F94)
    b = Handshake("acceptor", "b@h", "C", creation=2)
    a.start()
    b.receive_data(a.data_to_send())
    assert b.data_to_send() == b"\x00\x0csnot_allowed"
    assert b.next_event() == Failed("peer a@h lacks mandatory flags ['HANDSHAKE_23']")
    a2 = Handshake("initiator", "a@h", "C", creation=1)
    a2.start()
    a2.receive_data(b"\x00\x0csnot_allowed")
    assert a2.next_event() == Failed("peer refused the connection: status 'not_allowed'")


def test_digest_flag_alone_satisfies_otp25() -> None:
    assert h.missing_flags(h.MANDATORY_25_DIGEST) == []
    assert h.missing_flags(0) == [
        "EXTENDED_REFERENCES", "FUN_TAGS", "NEW_FUN_TAGS", "EXTENDED_PIDS_PORTS",
        "EXPORT_PTR_TAG", "BIT_BINARIES", "NEW_FLOATS", "UTF8_ATOMS", "MAP_TAG",
        "BIG_CREATION", "HANDSHAKE_23"]


def test_unexpected_packet_names_tag_and_state() -> None:
    a = Handshake("initiator", "a@h", "C", creation=1)
    a.start()
    a.receive_data(b"\x00\x01a")
    assert a.next_event() == Failed("unexpected 'a' packet in state wait_status")


def test_alive_status_is_answered_true() -> None:
    a = Handshake("initiator", "a@h", "C", creation=1)
    a.start()
    a.data_to_send()
    a.receive_data(b"\x00\x06salive")
    assert a.data_to_send() == b"\x00\x05strue" and a.state == "wait_challenge"


@given(st.binary(max_size=120), st.sampled_from(["initiator", "acceptor"]))
def test_fuzz_random_input(data: bytes, side: str) -> None:
    hs = Handshake(side, "x@h", "C", creation=1)
    if side == "initiator":
        hs.start()
    hs.receive_data(data)
    assert hs.next_event() is None or isinstance(hs.next_event(), Failed | Connected)


@given(st.integers(0, 200), st.integers(0, 255), st.integers(1, 4))
def test_fuzz_mutated_handshake(pos: int, value: int, which: int) -> None:
    a, b = pair()
    a.start()
    transcript: list[bytes] = []
    for _ in range(3):
        for src, dst in ((a, b), (b, a)):
            data = src.data_to_send()
            if len(transcript) + 1 == which and data:
                m = bytearray(data)
                m[pos % len(m)] = value
                data = bytes(m)
            transcript.append(data)
            dst.receive_data(data)
    for hs in (a, b):
        ev = hs.next_event()
        assert ev is None or isinstance(ev, Failed | Connected)
