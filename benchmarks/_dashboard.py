"""The dashboard's two speed goals (issue #10), measured on this machine.

``python -m benchmarks._dashboard [--quick]`` prints:

* ``table_first_page``: ms for the first page of the process table (50 rows) over
  HTTP at 100,000 processes, for the default order (pid), a sort by queue length,
  a sort by reductions per second, and a filter (goal: under 300 ms each);
  and ms for one sampler tick at that size (the sampler's cost per second).
* ``ring_with_client``: µs per hop of the 10,000-process ring (benchmarks/_livelong.py)
  without a dashboard and with one dashboard client connected by WebSocket, best of
  several runs taking turns (goal: at most 5% slower).
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import socket
import sys
import threading
import time
from typing import Any

import livelong
from livelong import dashboard, receive

from ._livelong import _ring_once


async def _idle() -> None:
    await receive(lambda m: False)


def _get(d: Any, path: str) -> tuple[float, Any]:
    conn = http.client.HTTPConnection(d.host, d.port, timeout=60)
    t0 = time.perf_counter()
    conn.request("GET", path)
    body = conn.getresponse().read()
    t1 = time.perf_counter()
    conn.close()
    return (t1 - t0) * 1000, json.loads(body)


def table(n: int) -> dict[str, Any]:
    node = livelong.start()
    try:

        async def populate() -> Any:
            for i in range(n):
                pid = livelong.spawn(_idle)
                if i % 100 == 0:
                    livelong.register(f"worker-{i}", pid)
            d = dashboard.start(port=0, quiet=True)
            await d.started()
            return d

        d = node.call(populate)
        out: dict[str, Any] = {"processes": n}
        for label, path in (
            ("pid", "/api/v1/processes?limit=50"),
            ("queue_desc", "/api/v1/processes?limit=50&sort=queue&order=desc"),
            ("rate_desc", "/api/v1/processes?limit=50&sort=reductions_rate&order=desc"),
            ("filter", "/api/v1/processes?limit=50&filter=worker-99"),
        ):
            ms, page = _get(d, path)  # the first request (labels not cached yet)
            again, _ = _get(d, path)
            out[label] = {
                "first_ms": round(ms, 1),
                "again_ms": round(again, 1),
                "total": page["total"],
            }
        t0 = time.perf_counter()
        node.call(d.sampler.tick)
        t1 = time.perf_counter()
        node.call(d.sampler.tick)
        t2 = time.perf_counter()
        out["sampler_tick_ms"] = [round((t1 - t0) * 1000, 1), round((t2 - t1) * 1000, 1)]
        node.call(d.stop)
        return out
    finally:
        node.stop()


def _ws_client(host: str, port: int, ready: threading.Event) -> None:
    """A WebSocket client that reads (and drops) every frame until the server closes."""
    s = socket.create_connection((host, port))
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(
        (
            f"GET /api/v1/live HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    ready.set()
    try:
        while s.recv(65536):
            pass
    except OSError:
        pass
    finally:
        s.close()


def ring(with_client: bool, n: int, laps: int, repeat: int) -> float:
    async def main() -> float:
        d = None
        if with_client:
            d = dashboard.start(port=0, quiet=True)
            await d.started()
            ready = threading.Event()
            threading.Thread(target=_ws_client, args=(d.host, d.port, ready), daemon=True).start()
            while d.clients < 1:
                await livelong.Process.sleep(0.01)
            await livelong.Process.sleep(1.5)  # a sample or two went out
        best = min([await _ring_once(n, laps) for _ in range(repeat)])
        if d is not None:
            assert d.sampler.running and d.sampler.ticks >= 1
            await d.stop()
        return best

    return livelong.run(main)


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    n = 20_000 if quick else 100_000
    print(json.dumps({"table_first_page": table(n)}, indent=1))
    ring_n, laps, repeat, turns = (2_000, 50, 2, 2) if quick else (10_000, 100, 3, 3)
    without: list[float] = []
    with_: list[float] = []
    for _ in range(turns):
        without.append(ring(False, ring_n, laps, repeat))
        with_.append(ring(True, ring_n, laps, repeat))
    a, b = min(without), min(with_)
    print(
        json.dumps(
            {
                "ring_with_client": {
                    "hops": ring_n * laps,
                    "without_us": round(a, 3),
                    "with_client_us": round(b, 3),
                    "slower_percent": round((b / a - 1) * 100, 1),
                }
            },
            indent=1,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
