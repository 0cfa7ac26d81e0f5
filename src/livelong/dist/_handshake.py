"""The OTP 23+ distribution handshake as a sans-IO state machine, both sides.

Theory of operation.  A :class:`Handshake` is built for one side (``initiator`` or
acceptor).  The caller feeds it the bytes it reads (:meth:`Handshake.receive_data`),
writes out whatever :meth:`Handshake.data_to_send` returns, and tells it when the peer
closed (:meth:`Handshake.connection_closed`).  Each packet carries a u16 length (u32
over TLS, ``tls=True``).  The machine ends with exactly one event: ``Connected`` (the
peer's name, flags and creation) or ``Failed`` (a reason that never contains the
cookie).  Bytes that arrived after the last handshake packet are connected traffic:
:attr:`Handshake.trailing`.

What happens is written in one place, :data:`TABLE`: (state, tag of the received
packet) → (handler, next state).  The handler parses the packet and queues the
replies; it may fail instead, and then the machine is ``FAILED`` whatever the table
says.  A packet with no row in the table is a protocol error.

Initiator (A) and acceptor (B)::

    A: send 'N' name          -> AWAIT_STATUS
    A: 's' ok|ok_simultaneous -> AWAIT_CHALLENGE;  's' alive -> answer 's' true
    A: 'N' challenge          -> send 'r' reply,   AWAIT_ACK
    A: 'a' ack (digest ok)    -> Connected
    B: 'N' name               -> send 's' ok + 'N' challenge, AWAIT_REPLY
    B: 'n' old name           -> send 's' ok + 'N' challenge, AWAIT_COMPLEMENT
    B: 'c' complement         -> AWAIT_REPLY
    B: 'r' reply (digest ok)  -> send 'a' ack, Connected

>>> a = Handshake("a@h", "cookie", initiator=True, creation=1)
>>> b = Handshake("b@h", "cookie", initiator=False, creation=2)
>>> for _ in range(3):
...     b.receive_data(a.data_to_send()); a.receive_data(b.data_to_send())
>>> a.event
Connected(peer_name='b@h', peer_flags=51656003516, peer_creation=2)
>>> b.event.peer_name
'a@h'
>>> c = Handshake("c@h", "other", initiator=True, creation=3)
>>> b = Handshake("b@h", "cookie", initiator=False, creation=2)
>>> for _ in range(3):
...     b.receive_data(c.data_to_send()); c.receive_data(b.data_to_send())
>>> b.event
Failed(reason="c@h sent a wrong digest: the nodes' cookies differ")
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import struct
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

__all__ = [
    "Handshake", "Connected", "Failed", "State", "TABLE", "digest",
    "MANDATORY_25", "RECOMMENDED_FLAGS", "DFLAG_MANDATORY_25_DIGEST", "DFLAG_PUBLISHED",
]

DFLAG_PUBLISHED = 0x1
DFLAG_EXTENDED_REFERENCES = 0x4
DFLAG_DIST_MONITOR = 0x8
DFLAG_FUN_TAGS = 0x10
DFLAG_DIST_MONITOR_NAME = 0x20
DFLAG_NEW_FUN_TAGS = 0x80
DFLAG_EXTENDED_PIDS_PORTS = 0x100
DFLAG_EXPORT_PTR_TAG = 0x200
DFLAG_BIT_BINARIES = 0x400
DFLAG_NEW_FLOATS = 0x800
DFLAG_UTF8_ATOMS = 0x10000
DFLAG_MAP_TAG = 0x20000
DFLAG_BIG_CREATION = 0x40000
DFLAG_SEND_SENDER = 0x80000
DFLAG_HANDSHAKE_23 = 0x1000000
DFLAG_UNLINK_ID = 0x2000000
DFLAG_MANDATORY_25_DIGEST = 0x4000000
DFLAG_V4_NC = 1 << 34
DFLAG_ALIAS = 1 << 35

_FLAG_NAMES = {
    DFLAG_EXTENDED_REFERENCES: "EXTENDED_REFERENCES", DFLAG_FUN_TAGS: "FUN_TAGS",
    DFLAG_NEW_FUN_TAGS: "NEW_FUN_TAGS", DFLAG_EXTENDED_PIDS_PORTS: "EXTENDED_PIDS_PORTS",
    DFLAG_EXPORT_PTR_TAG: "EXPORT_PTR_TAG", DFLAG_BIT_BINARIES: "BIT_BINARIES",
    DFLAG_NEW_FLOATS: "NEW_FLOATS", DFLAG_UTF8_ATOMS: "UTF8_ATOMS",
    DFLAG_MAP_TAG: "MAP_TAG", DFLAG_BIG_CREATION: "BIG_CREATION",
    DFLAG_HANDSHAKE_23: "HANDSHAKE_23",
}
#: OTP 25's mandatory set (dist.hrl MANDATORY_DFLAGS_25): 0x1070F94.
MANDATORY_25 = sum(_FLAG_NAMES)
#: What livelong advertises: mandatory-25, DIGEST, UNLINK_ID, V4_NC, monitors, ALIAS,
#: SEND_SENDER; not PUBLISHED (a hidden node), no atom cache, no fragments.
RECOMMENDED_FLAGS = (MANDATORY_25 | DFLAG_MANDATORY_25_DIGEST | DFLAG_UNLINK_ID
                     | DFLAG_V4_NC | DFLAG_DIST_MONITOR | DFLAG_DIST_MONITOR_NAME
                     | DFLAG_ALIAS | DFLAG_SEND_SENDER)

STATUSES = ("ok", "ok_simultaneous", "nok", "not_allowed", "alive")


def digest(cookie: str, challenge: int) -> bytes:
    """MD5(cookie ++ decimal(challenge)), cookie first (dist_util:gen_digest/2).

    >>> digest("c", 1).hex()
    '6a6e8da1d77d2e4e0d4fc2f4fa1a0b33'
    """
    return hashlib.md5(cookie.encode("latin-1") + str(challenge).encode()).digest()


def missing_mandatory(flags: int) -> list[str]:
    """Names of the OTP 25 mandatory flags ``flags`` lacks (DIGEST stands for all)."""
    if flags & DFLAG_MANDATORY_25_DIGEST:
        return []
    return [n for f, n in _FLAG_NAMES.items() if not flags & f]


@dataclass(frozen=True)
class Connected:
    """The handshake completed."""

    peer_name: str
    peer_flags: int
    peer_creation: int


@dataclass(frozen=True)
class Failed:
    """The handshake failed; the caller closes the socket."""

    reason: str


class State(Enum):
    SEND_NAME = "send_name"
    AWAIT_STATUS = "await_status"
    AWAIT_CHALLENGE = "await_challenge"
    AWAIT_ACK = "await_ack"
    AWAIT_NAME = "await_name"
    AWAIT_COMPLEMENT = "await_complement"
    AWAIT_REPLY = "await_reply"
    CONNECTED = "connected"
    FAILED = "failed"


class _Fail(Exception):
    pass


class Handshake:
    """One side of the handshake; see the module doc for how to drive it.

    ``status_for(peer_name)`` (acceptor only) chooses the status sent to a peer:
    ``"ok"`` by default; ``"nok"``, ``"not_allowed"`` refuse it.
    """

    def __init__(self, name: str, cookie: str, *, initiator: bool, creation: int,
                 flags: int = RECOMMENDED_FLAGS, tls: bool = False,
                 status_for: Callable[[str], str] | None = None) -> None:
        if "@" not in name:
            raise ValueError(f"node name {name!r} needs an @host part")
        self.name = name
        self._cookie = cookie
        self.initiator = initiator
        self.creation = creation
        self.flags = flags
        self._len = 4 if tls else 2
        self._status_for = status_for or (lambda _peer: "ok")
        self._in = bytearray()
        self._out = bytearray()
        self._challenge = secrets.randbits(32)
        self.peer_name = ""
        self.peer_flags = 0
        self.peer_creation = 0
        self.event: Connected | Failed | None = None
        if initiator:
            self.state = State.AWAIT_STATUS
            n = name.encode()
            self._send(b"N" + struct.pack(">QIH", flags, creation, len(n)) + n)
        else:
            self.state = State.AWAIT_NAME

    # ---- I/O surface ----------------------------------------------------------
    def data_to_send(self) -> bytes:
        out = bytes(self._out)
        self._out.clear()
        return out

    @property
    def trailing(self) -> bytes:
        """Bytes received after the handshake ended (connected traffic)."""
        return bytes(self._in) if self.state is State.CONNECTED else b""

    def receive_data(self, data: bytes) -> None:
        if self.state in (State.CONNECTED, State.FAILED):
            self._in += data
            return
        self._in += data
        fmt = ">H" if self._len == 2 else ">I"
        while self.state not in (State.CONNECTED, State.FAILED):
            if len(self._in) < self._len:
                return
            (n,) = struct.unpack_from(fmt, self._in)
            if n == 0:
                self._fail("empty handshake packet")
                return
            if len(self._in) < self._len + n:
                return
            pkt = bytes(self._in[self._len:self._len + n])
            del self._in[:self._len + n]
            self._dispatch(pkt)

    def connection_closed(self) -> None:
        if self.state in (State.CONNECTED, State.FAILED):
            return
        hint = " (a wrong cookie looks like this)" if self.state is State.AWAIT_ACK else ""
        self._fail(f"peer closed the connection in state {self.state.value}{hint}")

    # ---- machinery --------------------------------------------------------------
    def _send(self, pkt: bytes) -> None:
        self._out += struct.pack(">H" if self._len == 2 else ">I", len(pkt)) + pkt

    def _fail(self, reason: str) -> None:
        self.state = State.FAILED
        self.event = Failed(reason)
        self._out.clear()

    def _dispatch(self, pkt: bytes) -> None:
        row = TABLE.get((self.state, pkt[0]))
        if row is None:
            self._fail(f"unexpected packet {chr(pkt[0])!r} in state {self.state.value}")
            return
        handler, next_state = row
        try:
            handler(self, pkt[1:])
        except _Fail as exc:
            self._fail(str(exc))
            return
        except struct.error:
            self._fail(f"truncated {chr(pkt[0])!r} packet in state {self.state.value}")
            return
        if self.state is not State.FAILED:
            self.state = next_state
        if self.state is State.CONNECTED:
            self.event = Connected(self.peer_name, self.peer_flags, self.peer_creation)

    def _check_flags(self, flags: int) -> None:
        missing = missing_mandatory(flags)
        if missing:
            raise _Fail(f"{self.peer_name or 'peer'} lacks mandatory flags {missing}")

    def _set_name(self, raw: bytes) -> None:
        try:
            self.peer_name = raw.decode()
        except UnicodeDecodeError:
            raise _Fail("peer node name is not UTF-8") from None
        if "@" not in self.peer_name:
            raise _Fail(f"peer node name {self.peer_name[:60]!r} has no @host part")

    # ---- handlers (one per table row) ------------------------------------------------
    def _on_status(self, body: bytes) -> None:
        status = body.decode("latin-1")
        if status == "alive":
            self._send(b"strue")
        elif status not in ("ok", "ok_simultaneous"):
            raise _Fail(f"peer refused the connection: status {status[:40]!r}")

    def _on_challenge(self, body: bytes) -> None:
        flags, challenge, creation, nlen = struct.unpack_from(">QIIH", body)
        if len(body) < 18 + nlen:
            raise _Fail("challenge packet shorter than its name")
        self._set_name(body[18:18 + nlen])
        self._check_flags(flags)
        self.peer_flags, self.peer_creation = flags, creation
        self._send(b"r" + struct.pack(">I", self._challenge) + digest(self._cookie, challenge))

    def _on_ack(self, body: bytes) -> None:
        if not hmac.compare_digest(body, digest(self._cookie, self._challenge)):
            raise _Fail(f"{self.peer_name} sent a wrong digest: the nodes' cookies differ")

    def _on_name(self, body: bytes) -> None:
        flags, creation, nlen = struct.unpack_from(">QIH", body)
        if len(body) != 14 + nlen:
            raise _Fail("name packet length does not match its name")
        self._set_name(body[14:])
        self.peer_flags, self.peer_creation = flags, creation
        self._check_flags(flags)
        self._accept()

    def _on_old_name(self, body: bytes) -> None:
        version, flags = struct.unpack_from(">HI", body)
        if version != 5:
            raise _Fail(f"old-style name packet with version {version}, expected 5")
        self._set_name(body[6:])
        if not flags & DFLAG_HANDSHAKE_23:
            raise _Fail(f"{self.peer_name} lacks mandatory flags ['HANDSHAKE_23']")
        self.peer_flags = flags
        self._accept()

    def _accept(self) -> None:
        status = self._status_for(self.peer_name)
        if status not in STATUSES:
            raise ValueError(f"status_for returned {status!r}, not one of {STATUSES}")
        self._send(b"s" + status.encode())
        if status not in ("ok", "ok_simultaneous"):
            out = bytes(self._out)
            self._fail(f"refused {self.peer_name}: status {status}")
            self._out += out  # the refusal still goes out
            return
        n = self.name.encode()
        self._send(b"N" + struct.pack(">QIIH", self.flags, self._challenge, self.creation,
                                      len(n)) + n)

    def _on_complement(self, body: bytes) -> None:
        high, creation = struct.unpack_from(">II", body)
        self.peer_flags |= high << 32
        self.peer_creation = creation
        self._check_flags(self.peer_flags)

    def _on_reply(self, body: bytes) -> None:
        if len(body) != 20:
            raise _Fail(f"reply packet of {len(body) + 1} bytes, expected 21")
        (challenge,) = struct.unpack_from(">I", body)
        if not hmac.compare_digest(body[4:], digest(self._cookie, self._challenge)):
            raise _Fail(f"{self.peer_name} sent a wrong digest: the nodes' cookies differ")
        self._send(b"a" + digest(self._cookie, challenge))


_Handler = Callable[[Handshake, bytes], None]

#: (state, tag of the received packet) -> (handler, next state).
TABLE: dict[tuple[State, int], tuple[_Handler, State]] = {
    (State.AWAIT_STATUS, ord("s")): (Handshake._on_status, State.AWAIT_CHALLENGE),
    (State.AWAIT_CHALLENGE, ord("N")): (Handshake._on_challenge, State.AWAIT_ACK),
    (State.AWAIT_ACK, ord("a")): (Handshake._on_ack, State.CONNECTED),
    (State.AWAIT_NAME, ord("N")): (Handshake._on_name, State.AWAIT_REPLY),
    (State.AWAIT_NAME, ord("n")): (Handshake._on_old_name, State.AWAIT_COMPLEMENT),
    (State.AWAIT_COMPLEMENT, ord("c")): (Handshake._on_complement, State.AWAIT_REPLY),
    (State.AWAIT_REPLY, ord("r")): (Handshake._on_reply, State.CONNECTED),
}
