"""The handshake and ticks against a real OTP node, both ways, over blocking sockets.

A small harness here drives the sans-IO machines: erl connects to a Python acceptor
registered in a real epmd, and a Python initiator connects to erl.  Ticks keep the
connection up past ``net_ticktime`` 4.  Each test kills the erl and epmd it started.
"""

from __future__ import annotations

import select
import socket
import threading
import time

from erl_helpers import HOST, Epmd, erl, run_erl, stop

from livelong.dist import _epmd as e
from livelong.dist._framing import FrameReader, Packet, TickPolicy, tick
from livelong.dist._handshake import Connected, Failed, Handshake


def register(epmd_port: int, name: str, port: int) -> tuple[socket.socket, int]:
    s = socket.create_connection(("127.0.0.1", epmd_port))
    s.sendall(e.encode_request(e.Alive2Req(port=port, name=name)))
    d = e.Alive2RespDecoder()
    while (resp := d.next_event()) is None:
        d.receive_data(s.recv(16))
    assert resp.result == 0
    return s, resp.creation


def lookup(epmd_port: int, name: str, timeout: float = 20.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.create_connection(("127.0.0.1", epmd_port)) as s:
            s.sendall(e.encode_request(e.PortPlease2Req(name)))
            d = e.Port2RespDecoder()
            while (resp := d.next_event()) is None:
                chunk = s.recv(256)
                assert chunk
                d.receive_data(chunk)
        if resp.entry is not None:
            return resp.entry.port
        time.sleep(0.1)
    raise TimeoutError(f"{name} never registered")


def drive(hs: Handshake, s: socket.socket) -> Connected | Failed:
    s.settimeout(15)
    s.sendall(hs.data_to_send())
    while (ev := hs.next_event()) is None:
        data = s.recv(4096)
        if not data:
            hs.connection_closed()
        else:
            hs.receive_data(data)
        s.sendall(hs.data_to_send())
    return ev


def keep_up(s: socket.socket, leftover: bytes, ticktime: float, limit: float) -> str:
    """Tick and read until the peer closes, goes silent, or ``limit`` s pass."""
    policy, reader = TickPolicy(ticktime), FrameReader()
    reader.receive_data(leftover)
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if policy.should_tick():
            s.sendall(tick())
            policy.sent()
        if policy.peer_dead():
            return "peer dead"
        ready, _, _ = select.select([s], [], [], min(policy.next_wakeup(), 0.5))
        if ready:
            data = s.recv(65536)
            if not data:
                return "closed"
            policy.received()
            reader.receive_data(data)
            while (ev := reader.next_event()) is not None:
                assert not isinstance(ev, Packet) or ev.data[:1] == b"p"
    return "limit"


def python_acceptor(epmd: Epmd, cookie: str, results: dict[str, object]) -> threading.Thread:
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(1)
    reg, creation = register(epmd.port, "py", ls.getsockname()[1])

    def serve() -> None:
        try:
            ls.settimeout(20)
            c, _ = ls.accept()
            with c:
                hs = Handshake("acceptor", f"py@{HOST}", cookie, creation=creation)
                ev = results["event"] = drive(hs, c)
                if isinstance(ev, Connected):
                    results["end"] = keep_up(c, hs.trailing, 4.0, 30)
        finally:
            ls.close()
            reg.close()

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    return t


def test_erl_connects_to_python_and_ticks_keep_it_up(epmd: Epmd) -> None:
    results: dict[str, object] = {}
    t = python_acceptor(epmd, "C", results)
    out = run_erl("e1", "C", epmd.port,
                  f"R = net_kernel:connect_node('py@{HOST}'), "
                  "io:format(\"connect ~p ~p~n\", [R, nodes(hidden)]), timer:sleep(9000), "
                  "io:format(\"later ~p~n\", [nodes(hidden)]), halt().",
                  "-kernel", "net_ticktime", "4")
    t.join(30)
    assert f"connect true [py@{HOST}]" in out, out
    assert f"later [py@{HOST}]" in out, out  # 9 s > net_ticktime 4: ticks worked
    ev = results["event"]
    assert isinstance(ev, Connected) and ev.peer_name == f"e1@{HOST}", ev
    assert results["end"] == "closed"  # erl halted; we never thought it dead


def test_erl_with_wrong_cookie_is_refused_by_python(epmd: Epmd) -> None:
    results: dict[str, object] = {}
    t = python_acceptor(epmd, "Other-Secret", results)
    out = run_erl("e2", "C", epmd.port,
                  f"io:format(\"connect ~p~n\", [net_kernel:connect_node('py@{HOST}')]), "
                  "halt().")
    t.join(30)
    assert "connect false" in out, out
    ev = results["event"]
    assert isinstance(ev, Failed) and "cookies differ" in ev.reason
    assert "Other-Secret" not in ev.reason


def connect_to_erl(epmd: Epmd, py_cookie: str, ticks: float) -> tuple[object, str, str]:
    p = erl("e3", "C", epmd.port,
            "F = fun G(0) -> none; G(K) -> case nodes(hidden) of "
            "[] -> timer:sleep(100), G(K - 1); L -> L end end, "
            "io:format(\"up ~p~n\", [F(150)]), "
            "timer:sleep(6000), io:format(\"later ~p~n\", [nodes(hidden)]), halt().",
            "-kernel", "net_ticktime", "4")
    try:
        port = lookup(epmd.port, "e3")
        with socket.create_connection(("127.0.0.1", port)) as s:
            hs = Handshake("initiator", f"py@{HOST}", py_cookie, creation=77)
            hs.start()
            ev = drive(hs, s)
            end = keep_up(s, hs.trailing, 4.0, 30) if isinstance(ev, Connected) else ""
        if not isinstance(ev, Connected):
            stop(p)
        out, _ = p.communicate(timeout=30)
    finally:
        stop(p)
    return ev, end, out.decode()


def test_python_connects_to_erl_and_ticks_keep_it_up(epmd: Epmd) -> None:
    ev, end, out = connect_to_erl(epmd, "C", 4.0)
    assert isinstance(ev, Connected) and ev.peer_name == f"e3@{HOST}", ev
    assert f"up [py@{HOST}]" in out, out
    assert f"later [py@{HOST}]" in out, out
    assert end == "closed"


def test_python_with_wrong_cookie_is_refused_by_erl(epmd: Epmd) -> None:
    ev, _, out = connect_to_erl(epmd, "Bad-Secret", 4.0)
    assert isinstance(ev, Failed), ev
    assert "Bad-Secret" not in ev.reason
