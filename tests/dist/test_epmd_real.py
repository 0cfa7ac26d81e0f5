"""livelong's EPMD side by side with the real thing: real epmd's reply bytes equal our
encoders' bytes, and two real erl nodes find each other through livelong's server."""

from __future__ import annotations

import asyncio
import socket

from erl_helpers import HOST, Epmd, erl, free_port, run_erl, stop

from livelong.dist import _epmd as e
from livelong.dist import _epmd_server as srv


def _raw(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(request)
        out = b""
        while chunk := s.recv(4096):
            out += chunk
    return out


def test_encoders_match_real_epmd_bytes(epmd: Epmd) -> None:
    async def main() -> None:
        reg = await srv.register("gold", 40001, epmd_port=epmd.port)
        try:
            port2 = await asyncio.to_thread(
                _raw, epmd.port, e.encode_request(e.PortPlease2Req("gold")))
            assert port2 == e.encode_port2_resp(e.Port2Resp(0, e.NodeEntry("gold", 40001)))
            missing = await asyncio.to_thread(
                _raw, epmd.port, e.encode_request(e.PortPlease2Req("nobody")))
            assert missing == b"w\x01"
            listing = await asyncio.to_thread(_raw, epmd.port, e.encode_request(e.NamesReq()))
            assert listing == e.encode_names_resp(e.NamesResp(epmd.port, (("gold", 40001),)))
        finally:
            await reg.close()
    asyncio.run(main())


def test_two_erl_nodes_find_each_other_through_livelong_epmd() -> None:
    async def main() -> str:
        server = await srv.EpmdServer(port=free_port()).start()
        b = erl("eb", "C", server.port, "timer:sleep(20000), halt().")
        try:
            for _ in range(200):
                if "eb" in server.nodes:
                    break
                await asyncio.sleep(0.05)
            assert server.nodes["eb"].node_type == e.NODE_NORMAL
            return await asyncio.to_thread(
                run_erl, "ea", "C", server.port,
                f"io:format(\"~p~n\", [net_adm:ping('eb@{HOST}')]), halt().")
        finally:
            stop(b)
            await server.close()
    out = asyncio.run(main())
    assert "pong" in out, out
