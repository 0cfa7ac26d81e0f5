"""The OTP 23+ distribution handshake as a sans-IO state machine, both sides.

Theory of operation.  A :class:`Handshake` is created for one side (``"initiator"``,
the node that connects, or ``"acceptor"``).  Feed it what the socket reads with
:meth:`Handshake.receive_data`; send what :meth:`Handshake.data_to_send` returns;
:meth:`Handshake.next_event` gives the one final event, :class:`Connected` or
:class:`Failed`.  Bytes that arrived after the last handshake packet (the peer may
tick at once) are in :attr:`Handshake.trailing` for the connected-traffic reader.

Every decision lives in ``TRANSITIONS``: (side, state, packet tag) → (handler, next
state).  A packet with no entry fails the handshake, naming the tag and the state.
A handler parses its packet, queues what to send, and may fail instead.

The wire (an OTP 25 node speaks version 6 only)::

    A→B  'N' Flags u64, Creation u32, Nlen u16, Name    (old: 'n' Ver u16, Flags u32, Name)
    B→A  's' ok | ok_simultaneous | nok | not_allowed | alive   (A answers 's' true/false)
    B→A  'N' Flags u64, Challenge u32, Creation u32, Nlen u16, Name
    A→B  'c' FlagsHigh u32, Creation u32              (only after an old 'n')
    A→B  'r' Challenge u32, Digest[16]
    B→A  'a' Digest[16]

Digest = MD5(cookie + decimal(challenge)).  Challenges come from :mod:`secrets` and
digests are compared with :func:`hmac.compare_digest`.  No reason text ever holds the
cookie.  Packets carry a u16 length, or a u32 one over TLS (``tls=True``).

>>> a = Handshake("initiator", "a@h", "C", creation=1)
>>> b = Handshake("acceptor", "b@h", "C", creation=2)
>>> a.start()
>>> for _ in range(3):
...     b.receive_data(a.data_to_send())
...     a.receive_data(b.data_to_send())
>>> a.next_event() == Connected("b@h", RECOMMENDED_FLAGS, 2)
True
>>> b.next_event().peer_name
'a@h'
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import struct
from collections.abc import Callable
from dataclasses import dataclass

__all__ = [
    "Handshake", "Connected", "Failed", "HandshakeError", "digest",
    "MANDATORY_25", "RECOMMENDED_FLAGS", "FLAG_NAMES", "missing_flags",
]

FLAG_NAMES = {
    0x1: "PUBLISHED", 0x2: "ATOM_CACHE", 0x4: "EXTENDED_REFERENCES", 0x8: "DIST_MONITOR",
    0x10: "FUN_TAGS", 0x20: "DIST_MONITOR_NAME", 0x40: "HIDDEN_ATOM_CACHE",
    0x80: "NEW_FUN_TAGS", 0x100: "EXTENDED_PIDS_PORTS", 0x200: "EXPORT_PTR_TAG",
    0x400: "BIT_BINARIES", 0x800: "NEW_FLOATS", 0x1000: "UNICODE_IO",
    0x2000: "DIST_HDR_ATOM_CACHE", 0x4000: "SMALL_ATOM_TAGS", 0x10000: "UTF8_ATOMS",
    0x20000: "MAP_TAG", 0x40000: "BIG_CREATION", 0x80000: "SEND_SENDER",
    0x100000: "BIG_SEQTRACE_LABELS", 0x400000: "EXIT_PAYLOAD", 0x800000: "FRAGMENTS",
    0x1000000: "HANDSHAKE_23", 0x2000000: "UNLINK_ID", 0x4000000: "MANDATORY_25_DIGEST",
    1 << 32: "SPAWN", 1 << 33: "NAME_ME", 1 << 34: "V4_NC", 1 << 35: "ALIAS",
}
MANDATORY_25 = 0x1070F94
MANDATORY_25_DIGEST = 0x4000000
HANDSHAKE_23 = 0x1000000
#: The mandatory-25 set, its digest bit, UNLINK_ID, V4_NC, DIST_MONITOR(_NAME), ALIAS
#: and SEND_SENDER; not PUBLISHED (a hidden node), no atom cache, no fragments.
RECOMMENDED_FLAGS = 0xC070F0FBC

MAX_PACKET = 65535
INITIATOR = "initiator"
ACCEPTOR = "acceptor"


class HandshakeError(ValueError):
    """A handshake packet that cannot be parsed."""


@dataclass(frozen=True)
class Connected:
    """The handshake completed: the peer's full node name, flags and creation."""

    peer_name: str
    peer_flags: int
    peer_creation: int


@dataclass(frozen=True)
class Failed:
    """The handshake failed; ``reason`` says why (never the cookie)."""

    reason: str


def digest(cookie: str, challenge: int) -> bytes:
    """MD5(cookie + decimal(challenge)), as OTP's dist_util ``gen_digest/2``.

    >>> digest("C", 1).hex()
    '1a2ddc2db4693cfd16d534cde5572cc1'
    """
    return hashlib.md5(cookie.encode("utf-8") + str(challenge).encode("ascii")).digest()


def missing_flags(flags: int) -> list[str]:
    """Names of the OTP 25 mandatory flags that ``flags`` lacks (none if it has DIGEST).

    >>> missing_flags(0x1070F94), missing_flags(MANDATORY_25_DIGEST)
    ([], [])
    >>> missing_flags(0x70F94)
    ['HANDSHAKE_23']
    """
    if flags & MANDATORY_25_DIGEST:
        return []
    lack = MANDATORY_25 & ~flags
    return [n for bit, n in FLAG_NAMES.items() if lack & bit]


def _name(data: bytes, what: str) -> str:
    try:
        name = data.decode("utf-8")
    except UnicodeDecodeError:
        raise HandshakeError(f"{what}: node name is not UTF-8") from None
    if "@" not in name:
        raise HandshakeError(f"{what}: node name {name[:60]!r} has no '@'")
    return name


def _need(body: bytes, n: int, what: str) -> None:
    if len(body) < n:
        raise HandshakeError(f"{what}: {len(body)} bytes, needs at least {n}")


class Handshake:
    """One side of one handshake; see the module docstring."""

    def __init__(self, side: str, name: str, cookie: str, *, creation: int,
                 flags: int = RECOMMENDED_FLAGS, tls: bool = False,
                 challenge: Callable[[], int] = lambda: secrets.randbits(32)) -> None:
        if side not in (INITIATOR, ACCEPTOR):
            raise ValueError(f"side must be 'initiator' or 'acceptor', not {side!r}")
        self.side = side
        self.name = name
        self._cookie = cookie
        self.creation = creation
        self.flags = flags
        self._len = 4 if tls else 2
        self._new_challenge = challenge
        self.state = "start" if side == INITIATOR else "wait_name"
        self._buf = bytearray()
        self._out = bytearray()
        self._event: Connected | Failed | None = None
        self._my_challenge = 0
        self.peer_name = ""
        self.peer_flags = 0
        self.peer_creation = 0

    def __repr__(self) -> str:  # never shows the cookie
        return f"<Handshake {self.side} {self.name!r} state={self.state}>"

    # -- I/O-facing API -------------------------------------------------------------
    def start(self) -> None:
        """Initiator only: queue the name packet."""
        if self.side != INITIATOR or self.state != "start":
            raise RuntimeError("start() is for an initiator that has not started")
        n = self.name.encode("utf-8")
        self._send(b"N" + struct.pack(">QIH", self.flags, self.creation, len(n)) + n)
        self.state = "wait_status"

    def data_to_send(self) -> bytes:
        out = bytes(self._out)
        self._out.clear()
        return out

    def next_event(self) -> Connected | Failed | None:
        return self._event

    @property
    def trailing(self) -> bytes:
        """Bytes received after the handshake ended (connected traffic)."""
        return bytes(self._buf) if self.state == "connected" else b""

    def connection_closed(self) -> None:
        """The socket closed before the handshake ended."""
        if self._event is None:
            hint = " (wrong cookie?)" if self.state in ("wait_ack",) else ""
            self._fail(f"peer closed the connection in state {self.state}{hint}")

    def receive_data(self, data: bytes) -> None:
        if self._event is not None:
            if self.state == "connected":
                self._buf += data
            return
        self._buf += data
        while self._event is None and len(self._buf) >= self._len:
            size = int.from_bytes(self._buf[:self._len], "big")
            if size == 0 or size > MAX_PACKET:
                self._fail(f"handshake packet length {size} out of range 1..{MAX_PACKET}")
                return
            if len(self._buf) < self._len + size:
                return
            body = bytes(self._buf[self._len:self._len + size])
            del self._buf[:self._len + size]
            self._dispatch(body)

    # -- the state machine ----------------------------------------------------------
    def _dispatch(self, body: bytes) -> None:
        entry = TRANSITIONS.get((self.side, self.state, body[0]))
        if entry is None:
            self._fail(f"unexpected {chr(body[0])!r} packet in state {self.state}")
            return
        handler, next_state = entry
        try:
            handler(self, body[1:])
        except HandshakeError as err:
            self._fail(str(err))
        if self._event is None or isinstance(self._event, Connected):
            self.state = next_state

    def _send(self, body: bytes) -> None:
        self._out += len(body).to_bytes(self._len, "big") + body

    def _fail(self, reason: str) -> None:
        self.state = "failed"
        self._event = Failed(reason)

    def _check_flags(self, flags: int) -> bool:
        lack = missing_flags(flags)
        if lack:
            self._fail(f"peer {self.peer_name or '?'} lacks mandatory flags {lack}")
            return False
        return True

    # acceptor handlers
    def _on_name(self, b: bytes) -> None:
        _need(b, 14, "name packet 'N'")
        flags, creation, nlen = struct.unpack_from(">QIH", b)
        _need(b, 14 + nlen, "name packet 'N'")
        self.peer_name = _name(b[14:14 + nlen], "name packet 'N'")
        self.peer_flags, self.peer_creation = flags, creation
        self._accept()

    def _on_old_name(self, b: bytes) -> None:
        _need(b, 7, "old name packet 'n'")
        ver, flags = struct.unpack_from(">HI", b)
        if ver != 5:
            raise HandshakeError(f"old name packet 'n': version {ver}, expected 5")
        self.peer_name = _name(b[6:], "old name packet 'n'")
        self.peer_flags = flags
        if not flags & HANDSHAKE_23:
            self._check_flags(flags)
            if self._event is None:
                self._fail("peer does not speak the OTP 23+ handshake (HANDSHAKE_23)")
            return
        self._accept()

    def _accept(self) -> None:
        lack = missing_flags(self.peer_flags)
        if lack:
            self._send(b"snot_allowed")
            self._check_flags(self.peer_flags)
            return
        self._send(b"sok")
        self._my_challenge = self._new_challenge()
        n = self.name.encode("utf-8")
        self._send(b"N" + struct.pack(">QIIH", self.flags, self._my_challenge,
                                      self.creation, len(n)) + n)

    def _on_complement(self, b: bytes) -> None:
        _need(b, 8, "complement packet 'c'")
        high, creation = struct.unpack_from(">II", b)
        self.peer_flags |= high << 32
        self.peer_creation = creation

    def _on_reply(self, b: bytes) -> None:
        _need(b, 20, "challenge reply 'r'")
        (peer_challenge,) = struct.unpack_from(">I", b)
        if not hmac.compare_digest(b[4:20], digest(self._cookie, self._my_challenge)):
            self._fail(f"{self.peer_name} sent a wrong digest: the cookies differ")
            return
        self._send(b"a" + digest(self._cookie, peer_challenge))
        self._connected()

    # initiator handlers
    def _on_status(self, b: bytes) -> None:
        status = b.decode("latin-1")
        if status in ("ok", "ok_simultaneous"):
            return
        if status == "alive":
            self._send(b"strue")
            return
        self._fail(f"peer refused the connection: status {status[:40]!r}")

    def _on_challenge(self, b: bytes) -> None:
        _need(b, 18, "challenge packet 'N'")
        flags, challenge, creation, nlen = struct.unpack_from(">QIIH", b)
        _need(b, 18 + nlen, "challenge packet 'N'")
        self.peer_name = _name(b[18:18 + nlen], "challenge packet 'N'")
        self.peer_flags, self.peer_creation = flags, creation
        if not self._check_flags(flags):
            return
        self._my_challenge = self._new_challenge()
        self._send(b"r" + struct.pack(">I", self._my_challenge)
                   + digest(self._cookie, challenge))

    def _on_ack(self, b: bytes) -> None:
        _need(b, 16, "challenge ack 'a'")
        if not hmac.compare_digest(b[:16], digest(self._cookie, self._my_challenge)):
            self._fail(f"{self.peer_name} answered with a wrong digest: the cookies differ")
            return
        self._connected()

    def _connected(self) -> None:
        self._event = Connected(self.peer_name, self.peer_flags, self.peer_creation)


_H = Callable[[Handshake, bytes], None]
#: (side, state, packet tag) → (handler, next state).  Everything else fails.
TRANSITIONS: dict[tuple[str, str, int], tuple[_H, str]] = {
    (ACCEPTOR, "wait_name", ord("N")): (Handshake._on_name, "wait_reply"),
    (ACCEPTOR, "wait_name", ord("n")): (Handshake._on_old_name, "wait_complement"),
    (ACCEPTOR, "wait_complement", ord("c")): (Handshake._on_complement, "wait_reply"),
    (ACCEPTOR, "wait_reply", ord("r")): (Handshake._on_reply, "connected"),
    (INITIATOR, "wait_status", ord("s")): (Handshake._on_status, "wait_challenge"),
    (INITIATOR, "wait_challenge", ord("N")): (Handshake._on_challenge, "wait_ack"),
    (INITIATOR, "wait_ack", ord("a")): (Handshake._on_ack, "connected"),
}
