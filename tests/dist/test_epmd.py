"""EPMD messages: golden bytes both ways, byte-at-a-time decoding, real epmd and erl.

The ALIVE2_REQ golden bytes were captured by a test-side socket listener that a real
``erl -sname x -kernel inet_dist_listen_min 40000 inet_dist_listen_max 40000``
(OTP 25, ``ERL_EPMD_PORT`` pointed at the listener) connected to; the replies follow
the layouts in shared DISTRIBUTION.md (verified against OTP 25 epmd).
"""

from __future__ import annotations

import asyncio

import pytest
from erl_helpers import HOST, Epmd, free_port, run_erl
from hypothesis import given
from hypothesis import strategies as st

from livelong.dist import _epmd as e
from livelong.dist import _epmd_server as srv

REQUESTS = [
    (e.Alive2Req(port=40000, name="x", node_type=e.NODE_NORMAL),
     b"\x00\x0ex\x9c@M\x00\x00\x06\x00\x05\x00\x01x\x00\x00"),
    (e.PortPlease2Req("py"), b"\x00\x03zpy"),
    (e.NamesReq(), b"\x00\x01n"),
]


@pytest.mark.parametrize(("req", "data"), REQUESTS)
def test_request_golden_both_ways(req: object, data: bytes) -> None:
    assert e.encode_request(req) == data  # type: ignore[arg-type]
    d = e.RequestDecoder()
    for b in data + data[:1]:  # a byte at a time, plus trailing data
        d.receive_data(bytes([b]))
        ev = d.next_event()
        if ev is not None:
            assert ev == req
    assert d.next_event() is None


def test_node_types_are_not_swapped() -> None:
    assert (e.NODE_NORMAL, e.NODE_HIDDEN) == (ord("M"), ord("H")) == (77, 72)


ALIVE_RESP = [
    (e.Alive2Resp(0, 0x01020304), b"v\x00\x01\x02\x03\x04"),
    (e.Alive2Resp(0, 7, extended=False), b"y\x00\x00\x07"),
]


@pytest.mark.parametrize(("resp", "data"), ALIVE_RESP)
def test_alive2_resp_golden(resp: e.Alive2Resp, data: bytes) -> None:
    assert e.encode_alive2_resp(resp) == data
    d = e.Alive2RespDecoder()
    for b in data:
        assert d.next_event() is None
        d.receive_data(bytes([b]))
    d.receive_data(b"zz")
    assert d.next_event() == resp
    assert d.trailing == b"zz"


def test_port2_resp_golden() -> None:
    entry = e.NodeEntry("x", 40000, e.NODE_NORMAL)
    data = b"w\x00\x9c@M\x00\x00\x06\x00\x05\x00\x01x\x00\x00"
    assert e.encode_port2_resp(e.Port2Resp(0, entry)) == data
    d = e.Port2RespDecoder()
    for b in data:
        assert d.next_event() is None
        d.receive_data(bytes([b]))
    assert d.next_event() == e.Port2Resp(0, entry)
    assert e.encode_port2_resp(e.Port2Resp(1)) == b"w\x01"


def test_names_resp() -> None:
    data = b"\x00\x00\x11\x11name x at port 40000\nname py at port 5\n"
    assert e.encode_names_resp(e.NamesResp(4369, (("x", 40000), ("py", 5)))) == data
    d = e.NamesRespDecoder()
    for b in data:
        d.receive_data(bytes([b]))
    assert d.close() == e.NamesResp(4369, (("x", 40000), ("py", 5)))


def test_errors_name_the_field() -> None:
    d = e.RequestDecoder()
    d.receive_data(b"\x00\x01\x07")
    with pytest.raises(e.EpmdError, match="unknown EPMD request tag 7"):
        d.next_event()
    d = e.Alive2RespDecoder()
    d.receive_data(b"\x05")
    with pytest.raises(e.EpmdError, match="118 or 121"):
        d.next_event()


@given(st.binary(max_size=64))
def test_fuzz_request_decoder(data: bytes) -> None:
    d = e.RequestDecoder()
    d.receive_data(data)
    try:
        while d.next_event() is not None:
            pass
    except e.EpmdError:
        pass


@given(st.binary(max_size=64))
def test_fuzz_reply_decoders(data: bytes) -> None:
    for cls in (e.Alive2RespDecoder, e.Port2RespDecoder):
        d = cls()
        d.receive_data(data)
        try:
            d.next_event()
        except e.EpmdError:
            pass
    n = e.NamesRespDecoder()
    n.receive_data(data)
    try:
        n.close()
    except e.EpmdError:
        pass


def test_client_against_real_epmd(epmd: Epmd) -> None:
    async def main() -> None:
        reg = await srv.register("pyt", 40123, epmd_port=epmd.port)
        assert reg.creation != 0
        entry = await srv.port_please("pyt", epmd_port=epmd.port)
        assert entry is not None and entry.port == 40123
        assert entry.node_type == e.NODE_HIDDEN
        assert ("pyt", 40123) in (await srv.names(epmd_port=epmd.port)).names
        await reg.close()
        for _ in range(100):
            if await srv.port_please("pyt", epmd_port=epmd.port) is None:
                break
            await asyncio.sleep(0.05)
        assert await srv.port_please("pyt", epmd_port=epmd.port) is None
    asyncio.run(main())


def test_real_erl_registers_with_livelong_epmd() -> None:
    async def main() -> None:
        server = await srv.EpmdServer(port=free_port()).start()
        try:
            out = await asyncio.to_thread(
                run_erl, "erlreg", "C", server.port,
                "io:format(\"~p~n\", [net_adm:names()]), halt().")
            assert "erlreg" in out, out
            assert "erlreg" not in server.nodes  # unregistered when erl closed the socket
            reg = await srv.register("py", 1234, epmd_port=server.port)
            with pytest.raises(e.EpmdError, match="refused"):
                await srv.register("py", 1235, epmd_port=server.port)
            assert (await srv.port_please("py", epmd_port=server.port)) == e.NodeEntry(
                "py", 1234, e.NODE_HIDDEN)
            await reg.close()
        finally:
            await server.close()
    asyncio.run(main())
    assert HOST
