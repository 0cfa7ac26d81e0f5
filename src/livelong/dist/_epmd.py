"""Sans-IO EPMD messages: encoders and incremental decoders, no sockets, no asyncio.

Every EPMD request is a u16 length then the body; replies are unframed and the
decoder for each reply is chosen by the side that sent the request.  Node types:
77 (``'M'``) is a normal node, 72 (``'H'``) a hidden one.

>>> req = Alive2Req(port=5000, name="py", node_type=NODE_HIDDEN)
>>> data = encode_request(req)
>>> data[:3]
b'\\x00\\x0fx'
>>> d = RequestDecoder()
>>> d.receive_data(data)
>>> d.next_event() == req
True
>>> d.next_event() is None
True
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

__all__ = [
    "NODE_NORMAL", "NODE_HIDDEN", "EpmdError", "Alive2Req", "Alive2Resp",
    "PortPlease2Req", "Port2Resp", "NamesReq", "NamesResp", "NodeEntry",
    "encode_request", "encode_alive2_resp", "encode_port2_resp", "encode_names_resp",
    "RequestDecoder", "Alive2RespDecoder", "Port2RespDecoder", "NamesRespDecoder",
]

NODE_NORMAL = 77
NODE_HIDDEN = 72
PROTO_TCP = 0
ALIVE2_REQ = 120
ALIVE2_X_RESP = 118
ALIVE2_RESP = 121
PORT_PLEASE2_REQ = 122
PORT2_RESP = 119
NAMES_REQ = 110
MAX_NAME = 255


class EpmdError(ValueError):
    """A malformed EPMD message; the text says which field was wrong."""


@dataclass(frozen=True)
class Alive2Req:
    """Register ``name`` (the part before @) listening on ``port``."""

    port: int
    name: str
    node_type: int = NODE_HIDDEN
    protocol: int = PROTO_TCP
    high_version: int = 6
    low_version: int = 5
    extra: bytes = b""


@dataclass(frozen=True)
class Alive2Resp:
    """Registration result (0 = ok) and the creation epmd assigned."""

    result: int
    creation: int
    extended: bool = True  # 118 with a u32 creation; False: 121 with u16


@dataclass(frozen=True)
class PortPlease2Req:
    name: str


@dataclass(frozen=True)
class NodeEntry:
    """What epmd knows about a registered node."""

    name: str
    port: int
    node_type: int = NODE_HIDDEN
    protocol: int = PROTO_TCP
    high_version: int = 6
    low_version: int = 5
    extra: bytes = b""


@dataclass(frozen=True)
class Port2Resp:
    """``entry`` is None when result is not 0 (node unknown)."""

    result: int
    entry: NodeEntry | None = None


@dataclass(frozen=True)
class NamesReq:
    pass


@dataclass(frozen=True)
class NamesResp:
    epmd_port: int
    names: tuple[tuple[str, int], ...]


def _name_bytes(name: str) -> bytes:
    b = name.encode("utf-8")
    if not b or len(b) > MAX_NAME:
        raise EpmdError(f"node name must be 1..{MAX_NAME} bytes, got {len(b)}")
    return b


def _entry_body(e: NodeEntry) -> bytes:
    n = _name_bytes(e.name)
    return (struct.pack(">HBBHHH", e.port, e.node_type, e.protocol, e.high_version,
                        e.low_version, len(n)) + n + struct.pack(">H", len(e.extra)) + e.extra)


def encode_request(req: Alive2Req | PortPlease2Req | NamesReq) -> bytes:
    """The bytes of a request, length prefix included."""
    if isinstance(req, Alive2Req):
        e = NodeEntry(req.name, req.port, req.node_type, req.protocol, req.high_version,
                      req.low_version, req.extra)
        body = bytes([ALIVE2_REQ]) + _entry_body(e)
    elif isinstance(req, PortPlease2Req):
        body = bytes([PORT_PLEASE2_REQ]) + _name_bytes(req.name)
    elif isinstance(req, NamesReq):
        body = bytes([NAMES_REQ])
    else:
        raise TypeError(f"not an EPMD request: {req!r}")
    return struct.pack(">H", len(body)) + body


def encode_alive2_resp(resp: Alive2Resp) -> bytes:
    if resp.extended:
        return struct.pack(">BBI", ALIVE2_X_RESP, resp.result, resp.creation)
    return struct.pack(">BBH", ALIVE2_RESP, resp.result, resp.creation)


def encode_port2_resp(resp: Port2Resp) -> bytes:
    head = bytes([PORT2_RESP, resp.result])
    if resp.result != 0:
        return head
    if resp.entry is None:
        raise EpmdError("PORT2_RESP with result 0 needs an entry")
    return head + _entry_body(resp.entry)


def encode_names_resp(resp: NamesResp) -> bytes:
    lines = "".join(f"name {n} at port {p}\n" for n, p in resp.names)
    return struct.pack(">I", resp.epmd_port) + lines.encode("utf-8")


def _decode_entry(body: bytes, what: str) -> tuple[NodeEntry, int]:
    """Parse an entry body; returns (entry, bytes used). Raises EpmdError or _Short."""
    if len(body) < 10:
        raise _Short
    port, ntype, proto, hi, lo, nlen = struct.unpack_from(">HBBHHH", body)
    if nlen == 0 or nlen > MAX_NAME:
        raise EpmdError(f"{what}: name length {nlen} out of range 1..{MAX_NAME}")
    if len(body) < 10 + nlen + 2:
        raise _Short
    try:
        name = body[10:10 + nlen].decode("utf-8")
    except UnicodeDecodeError:
        raise EpmdError(f"{what}: node name is not UTF-8") from None
    (elen,) = struct.unpack_from(">H", body, 10 + nlen)
    end = 12 + nlen + elen
    if len(body) < end:
        raise _Short
    return NodeEntry(name, port, ntype, proto, hi, lo, bytes(body[12 + nlen:end])), end


class _Short(Exception):
    """Not enough bytes yet."""


class RequestDecoder:
    """Server side: u16-framed requests in, request events out.

    Raises EpmdError on a malformed request; after that the decoder is unusable.
    """

    def __init__(self) -> None:
        self._buf = bytearray()

    def receive_data(self, data: bytes) -> None:
        self._buf += data

    def next_event(self) -> Alive2Req | PortPlease2Req | NamesReq | None:
        if len(self._buf) < 2:
            return None
        (n,) = struct.unpack_from(">H", self._buf)
        if n == 0:
            raise EpmdError("empty EPMD request (length 0)")
        if len(self._buf) < 2 + n:
            return None
        body = bytes(self._buf[2:2 + n])
        del self._buf[:2 + n]
        tag = body[0]
        if tag == ALIVE2_REQ:
            try:
                e, used = _decode_entry(body[1:], "ALIVE2_REQ")
            except _Short:
                raise EpmdError("ALIVE2_REQ: truncated body") from None
            if used != n - 1:
                raise EpmdError("ALIVE2_REQ: length does not match its fields")
            return Alive2Req(e.port, e.name, e.node_type, e.protocol, e.high_version,
                             e.low_version, e.extra)
        if tag == PORT_PLEASE2_REQ:
            try:
                return PortPlease2Req(body[1:].decode("utf-8") if n > 1 else _empty())
            except UnicodeDecodeError:
                raise EpmdError("PORT_PLEASE2_REQ: node name is not UTF-8") from None
        if tag == NAMES_REQ:
            return NamesReq()
        raise EpmdError(f"unknown EPMD request tag {tag}")


def _empty() -> str:
    raise EpmdError("PORT_PLEASE2_REQ: empty node name")


class Alive2RespDecoder:
    """Client side: the reply to ALIVE2_REQ (118 or 121); trailing bytes are kept."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def receive_data(self, data: bytes) -> None:
        self._buf += data

    def next_event(self) -> Alive2Resp | None:
        if not self._buf:
            return None
        tag = self._buf[0]
        if tag == ALIVE2_X_RESP:
            if len(self._buf) < 6:
                return None
            _, res, cr = struct.unpack_from(">BBI", self._buf)
            del self._buf[:6]
            return Alive2Resp(res, cr, True)
        if tag == ALIVE2_RESP:
            if len(self._buf) < 4:
                return None
            _, res, cr = struct.unpack_from(">BBH", self._buf)
            del self._buf[:4]
            return Alive2Resp(res, cr, False)
        raise EpmdError(f"expected ALIVE2 response tag 118 or 121, got {tag}")

    @property
    def trailing(self) -> bytes:
        return bytes(self._buf)


class Port2RespDecoder:
    """Client side: the reply to PORT_PLEASE2_REQ."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._done = False

    def receive_data(self, data: bytes) -> None:
        self._buf += data

    def next_event(self) -> Port2Resp | None:
        if self._done or len(self._buf) < 2:
            return None
        if self._buf[0] != PORT2_RESP:
            raise EpmdError(f"expected PORT2_RESP tag 119, got {self._buf[0]}")
        res = self._buf[1]
        if res != 0:
            self._done = True
            return Port2Resp(res, None)
        try:
            e, used = _decode_entry(bytes(self._buf[2:]), "PORT2_RESP")
        except _Short:
            return None
        del self._buf[:2 + used]
        self._done = True
        return Port2Resp(0, e)


class NamesRespDecoder:
    """Client side: NAMES reply; feed all data, then call ``close()`` for the event."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def receive_data(self, data: bytes) -> None:
        self._buf += data

    def close(self) -> NamesResp:
        if len(self._buf) < 4:
            raise EpmdError("NAMES response: shorter than its 4-byte port")
        (port,) = struct.unpack_from(">I", self._buf)
        text = bytes(self._buf[4:]).decode("utf-8", "replace")
        names = []
        for line in text.splitlines():
            parts = line.split(" ")
            if len(parts) != 5 or parts[0] != "name" or parts[2:4] != ["at", "port"]:
                raise EpmdError(f"NAMES response: bad line {line[:60]!r}")
            try:
                names.append((parts[1], int(parts[4])))
            except ValueError:
                raise EpmdError(f"NAMES response: bad port in {line[:60]!r}") from None
        return NamesResp(port, tuple(names))
