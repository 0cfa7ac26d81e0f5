"""An asyncio EPMD-compatible server and an asyncio EPMD client, built on ``_epmd``.

The server keeps a registry of alive nodes; a node is unregistered when the socket
that sent its ALIVE2_REQ closes.  It binds 127.0.0.1 (epmd must stay private) and port
4369 unless told otherwise.  The client registers (keeping the socket open: close the
returned :class:`Registration` to unregister), looks up ports and lists names.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass, field

from livelong.dist import _epmd as e

__all__ = ["EpmdServer", "Registration", "register", "port_please", "names"]

DEFAULT_PORT = 4369


class EpmdServer:
    """A small epmd: ``await EpmdServer(port=0).start()``; ``await srv.close()``."""

    def __init__(self, host: str = "127.0.0.1", port: int = DEFAULT_PORT) -> None:
        self.host = host
        self.port = port
        self.nodes: dict[str, e.NodeEntry] = {}
        self._creations: dict[str, int] = {}
        self._server: asyncio.AbstractServer | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> EpmdServer:
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            for w in list(self._writers):
                w.close()
            await self._server.wait_closed()

    def _next_creation(self, name: str) -> int:
        old = self._creations.get(name, secrets.randbits(32) or 1)
        new = (old % 0xFFFFFFFF) + 1  # never 0, changes on every registration
        self._creations[name] = new
        return new

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        dec = e.RequestDecoder()
        registered: str | None = None
        try:
            while True:
                data = await reader.read(4096)
                if not data:
                    return
                dec.receive_data(data)
                req = dec.next_event()
                if req is None:
                    continue
                if isinstance(req, e.Alive2Req):
                    if req.name in self.nodes or registered is not None:
                        writer.write(e.encode_alive2_resp(e.Alive2Resp(1, 0)))
                        return
                    registered = req.name
                    self.nodes[req.name] = e.NodeEntry(
                        req.name, req.port, req.node_type, req.protocol,
                        req.high_version, req.low_version, req.extra)
                    writer.write(e.encode_alive2_resp(
                        e.Alive2Resp(0, self._next_creation(req.name))))
                    await writer.drain()
                    continue  # keep the socket: closing it unregisters
                if isinstance(req, e.PortPlease2Req):
                    entry = self.nodes.get(req.name)
                    writer.write(e.encode_port2_resp(
                        e.Port2Resp(0, entry) if entry else e.Port2Resp(1)))
                else:
                    writer.write(e.encode_names_resp(e.NamesResp(
                        self.port, tuple((n, x.port) for n, x in self.nodes.items()))))
                await writer.drain()
                return
        except (e.EpmdError, ConnectionError):
            return
        finally:
            if registered is not None:
                self.nodes.pop(registered, None)
            self._writers.discard(writer)
            writer.close()


@dataclass
class Registration:
    """A live EPMD registration; ``close()`` unregisters the node."""

    creation: int
    writer: asyncio.StreamWriter = field(repr=False)

    async def close(self) -> None:
        self.writer.close()
        try:
            await self.writer.wait_closed()
        except ConnectionError:
            pass


async def register(name: str, port: int, *, node_type: int = e.NODE_HIDDEN,
                   epmd_host: str = "127.0.0.1",
                   epmd_port: int = DEFAULT_PORT) -> Registration:
    """Register ``name`` at ``port``; raises EpmdError when epmd refuses."""
    reader, writer = await asyncio.open_connection(epmd_host, epmd_port)
    writer.write(e.encode_request(e.Alive2Req(port=port, name=name, node_type=node_type)))
    dec = e.Alive2RespDecoder()
    while (resp := dec.next_event()) is None:
        data = await reader.read(64)
        if not data:
            writer.close()
            raise e.EpmdError(f"epmd closed the connection registering {name!r}")
        dec.receive_data(data)
    if resp.result != 0:
        writer.close()
        raise e.EpmdError(f"epmd refused to register {name!r} (result {resp.result})")
    return Registration(resp.creation, writer)


async def port_please(name: str, *, epmd_host: str = "127.0.0.1",
                      epmd_port: int = DEFAULT_PORT) -> e.NodeEntry | None:
    """The entry of the node called ``name`` (before @), or None if not registered."""
    reader, writer = await asyncio.open_connection(epmd_host, epmd_port)
    try:
        writer.write(e.encode_request(e.PortPlease2Req(name)))
        dec = e.Port2RespDecoder()
        while (resp := dec.next_event()) is None:
            data = await reader.read(1024)
            if not data:
                raise e.EpmdError("epmd closed the connection mid PORT2_RESP")
            dec.receive_data(data)
        return resp.entry
    finally:
        writer.close()


async def names(*, epmd_host: str = "127.0.0.1",
                epmd_port: int = DEFAULT_PORT) -> e.NamesResp:
    """The names and ports registered with epmd."""
    reader, writer = await asyncio.open_connection(epmd_host, epmd_port)
    try:
        writer.write(e.encode_request(e.NamesReq()))
        dec = e.NamesRespDecoder()
        while data := await reader.read(4096):
            dec.receive_data(data)
        return dec.close()
    finally:
        writer.close()
