"""EPMD: golden bytes both ways, incremental decoding, fuzzing, and real peers.

Golden ALIVE2_REQ capture: a test-side listener on a free port, then
``ERL_EPMD_PORT=<port> erl -sname cap -noshell`` (OTP 25.2.3); the bytes it sent
are below, with its port 0xB055.  The response/NAMES layouts were checked against a
real ``epmd`` by the tests at the end of this file.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from erl_helpers import HOST, Epmd, epmd, erl, stop  # noqa: F401
from hypothesis import given
from hypothesis import strategies as st

from livelong.dist import _epmd as e
from livelong.dist import _epmd_server as s

ERL_ALIVE2 = bytes.fromhex("001078b0554d000006000500036361700000")

REQUESTS = [
    (ERL_ALIVE2, e.Alive2Req(port=0xB055, name="cap", node_type=e.NODE_NORMAL)),
    (b"\x00\x04zpy1", e.PortPlease2Req("py1")),
    (b"\x00\x01n", e.NamesReq()),
]


@pytest.mark.parametrize(("data", "req"), REQUESTS)
def test_request_golden_both_ways(data: bytes, req: object) -> None:
    assert e.encode_request(req) == data  # type: ignore[arg-type]
    d = e.RequestDecoder()
    for i in range(len(data)):  # a byte at a time, then trailing data
        assert d.next_event() is None
        d.receive_data(data[i:i + 1])
    d.receive_data(b"\x00")
    assert d.next_event() == req
    assert d.next_event() is None


def test_node_types_normal_77_hidden_72() -> None:
    assert (e.NODE_NORMAL, e.NODE_HIDDEN) == (77, 72)
    assert e.encode_request(e.Alive2Req(1, "a"))[5] == 72  # livelong is hidden by default


def test_alive2_resp_both_forms() -> None:
    for data, resp in [(b"v\x00\x00\x00\x01\x02", e.Alive2Resp(0, 258, True)),
                       (b"y\x00\x01\x02", e.Alive2Resp(0, 258, False))]:
        assert e.encode_alive2_resp(resp) == data
        d = e.Alive2RespDecoder()
        for b in data:
            assert d.next_event() is None
            d.receive_data(bytes([b]))
        d.receive_data(b"zz")
        assert d.next_event() == resp
        assert d.trailing == b"zz"


def test_port2_resp_both_ways() -> None:
    entry = e.NodeEntry("cap", 0xB055, e.NODE_NORMAL, 0, 6, 5, b"")
    data = b"w\x00" + ERL_ALIVE2[3:]
    assert e.encode_port2_resp(e.Port2Resp(0, entry)) == data
    d = e.Port2RespDecoder()
    for b in data:
        assert d.next_event() is None
        d.receive_data(bytes([b]))
    assert d.next_event() == e.Port2Resp(0, entry)
    assert e.encode_port2_resp(e.Port2Resp(1)) == b"w\x01"


def test_names_resp_both_ways() -> None:
    resp = e.NamesResp(4369, (("a", 1234), ("b", 5)))
    data = b"\x00\x00\x11\x11name a at port 1234\nname b at port 5\n"
    assert e.encode_names_resp(resp) == data
    d = e.NamesRespDecoder()
    for b in data:
        d.receive_data(bytes([b]))
    assert d.close() == resp


@pytest.mark.parametrize(("data", "words"), [
    (b"\x00\x00", "empty"), (b"\x00\x01\x07", "unknown EPMD request tag 7"),
    (b"\x00\x04x\x00\x01\x02", "truncated"), (b"\x00\x01z", "empty node name"),
])
def test_bad_requests_say_what_is_wrong(data: bytes, words: str) -> None:
    d = e.RequestDecoder()
    d.receive_data(data)
    with pytest.raises(e.EpmdError, match=words):
        d.next_event()


@given(st.binary(max_size=64))
def test_fuzz_request_decoder_rejects_cleanly(data: bytes) -> None:
    d = e.RequestDecoder()
    d.receive_data(data)
    try:
        while d.next_event() is not None:
            pass
    except e.EpmdError:
        pass


@given(st.binary(max_size=64))
def test_fuzz_reply_decoders_reject_cleanly(data: bytes) -> None:
    for dec in (e.Alive2RespDecoder(), e.Port2RespDecoder()):
        dec.receive_data(data)
        try:
            dec.next_event()
        except e.EpmdError:
            pass
    n = e.NamesRespDecoder()
    n.receive_data(data)
    try:
        n.close()
    except e.EpmdError:
        pass


@given(st.integers(0, 65535), st.text("abcxyz_09", min_size=1, max_size=20),
       st.sampled_from([77, 72]), st.binary(max_size=8))
def test_alive2_round_trip(port: int, name: str, ntype: int, extra: bytes) -> None:
    req = e.Alive2Req(port, name, ntype, extra=extra)
    d = e.RequestDecoder()
    d.receive_data(e.encode_request(req))
    assert d.next_event() == req


# ---- real peers -------------------------------------------------------------------

def test_client_against_real_epmd(epmd: Epmd) -> None:  # noqa: F811
    async def main() -> None:
        reg = await s.register("pyt", 4242, epmd_port=epmd.port)
        assert reg.creation != 0
        entry = await s.port_please("pyt", epmd_port=epmd.port)
        assert entry is not None
        assert (entry.port, entry.node_type) == (4242, e.NODE_HIDDEN)
        assert ("pyt", 4242) in (await s.names(epmd_port=epmd.port)).names
        with pytest.raises(e.EpmdError, match="refused"):
            await s.register("pyt", 4243, epmd_port=epmd.port)
        await reg.close()
        for _ in range(100):  # epmd notices the close asynchronously
            if await s.port_please("pyt", epmd_port=epmd.port) is None:
                break
            await asyncio.sleep(0.05)
        assert await s.port_please("pyt", epmd_port=epmd.port) is None
    asyncio.run(main())


def test_real_erl_registers_with_livelong_epmd() -> None:
    async def main() -> None:
        srv = await s.EpmdServer(port=0).start()
        p = erl("regt", "c", srv.port, "timer:sleep(60000)")
        try:
            for _ in range(400):
                if "regt" in srv.nodes:
                    break
                await asyncio.sleep(0.05)
            assert srv.nodes["regt"].node_type == e.NODE_NORMAL
            entry = await s.port_please("regt", epmd_port=srv.port)
            assert entry is not None and entry.port == srv.nodes["regt"].port
            assert ("regt", entry.port) in (await s.names(epmd_port=srv.port)).names
            p.kill()
            for _ in range(200):
                if "regt" not in srv.nodes:
                    break
                await asyncio.sleep(0.05)
            assert "regt" not in srv.nodes  # the ALIVE2 socket closed: unregistered
        finally:
            stop(p)
            await srv.close()
    asyncio.run(main())


def test_erl_names_via_livelong_epmd() -> None:
    """``net_adm:names()`` on a real erl reads livelong's NAMES reply."""
    async def main() -> str:
        srv = await s.EpmdServer(port=0).start()
        reg = await s.register("other", 777, epmd_port=srv.port)
        p = erl("namest", "c", srv.port,
                "io:format(\"~p~n\", [net_adm:names()]), halt().")
        try:
            loop = asyncio.get_running_loop()
            t0 = time.monotonic()
            while p.poll() is None and time.monotonic() - t0 < 60:
                await asyncio.sleep(0.05)
            out = await loop.run_in_executor(None, p.stdout.read)  # type: ignore[union-attr]
            return out.decode()
        finally:
            stop(p)
            await reg.close()
            await srv.close()
    out = asyncio.run(main())
    assert '{"other",777}' in out and '"namest"' in out
