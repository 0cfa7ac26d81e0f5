"""Helpers of the dashboard's tests: start a dashboard in a node on a thread of its own,
and a small HTTP client that speaks to it over real sockets."""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Callable
from typing import Any

import pytest

pytest.importorskip("aiohttp")  # the dashboard extra (installed by scripts/test)

import livelong  # noqa: E402
from livelong import dashboard  # noqa: E402


def start_dashboard(node: livelong.Node, **options: Any) -> dashboard.Dashboard:
    async def go() -> dashboard.Dashboard:
        options.setdefault("port", 0)
        d = dashboard.start(quiet=True, **options)
        await d.started()
        return d

    return node.call(go)


def request(
    d: dashboard.Dashboard,
    path: str,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    host: str | None = None,
    port: int | None = None,
) -> tuple[int, http.client.HTTPMessage, bytes]:
    """One request over a real socket: (status, headers, body)."""
    conn = http.client.HTTPConnection(host or d.host, port or d.port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.headers, resp.read()
    finally:
        conn.close()


def get_json(d: dashboard.Dashboard, path: str, **kw: Any) -> Any:
    status, _, body = request(d, path, **kw)
    assert status == 200, (status, body[:300])
    return json.loads(body)


def post(d: dashboard.Dashboard, path: str, **kw: Any) -> tuple[int, Any]:
    csrf = get_json(d, "/api/v1/session", headers=kw.get("headers") or {})["csrf"]
    headers = {"X-Livelong-CSRF": csrf, **(kw.pop("headers", None) or {})}
    status, _, body = request(d, path, method="POST", headers=headers, **kw)
    return status, json.loads(body)


def eventually(check: Callable[[], Any], what: str, tries: int = 200, pause: float = 0.05) -> Any:
    """Poll ``check`` until it returns something true (a wait, not a timed assertion:
    the bound only keeps a broken build from hanging)."""
    for _ in range(tries):
        value = check()
        if value:
            return value
        time.sleep(pause)
    raise AssertionError(f"never happened: {what}")


def tick(node: livelong.Node, d: dashboard.Dashboard) -> dict[str, Any]:
    """Make the sampler sample now (in the node's thread)."""
    return node.call(d.sampler.tick)


def path_of(pid: Any) -> str:
    return repr(pid)[5:-1]  # #PID<0.85.0> -> 0.85.0
