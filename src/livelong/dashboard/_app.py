"""The web app: the JSON API ``/api/v1/...``, the live channels, ``/metrics``, the pages.

Every handler runs on the node's own event loop, in the node's thread, so it reads the
process table directly; the routes and their answers are listed in
:mod:`livelong.dashboard`'s docstring and in docs/dashboard.md.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from aiohttp import WSMsgType, web

from . import _source as src
from ._security import CSRF_HEADER, SECURITY_HEADERS
from ._table import COLUMNS, query
from ._trace import Trace

if TYPE_CHECKING:
    from . import Dashboard

__all__ = ["API_VERSION", "make_app"]

API_VERSION = 1
STATIC = Path(__file__).parent / "static"
DASHBOARD_KEY: web.AppKey[Dashboard] = web.AppKey("dashboard")


def _dash(request: web.Request) -> Dashboard:
    return request.app[DASHBOARD_KEY]


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(
        text=json.dumps(data, default=str), status=status, content_type="application/json"
    )


def _error(status: int, text: str) -> web.Response:
    return _json({"error": text}, status)


@web.middleware
async def _guard(request: web.Request, handler: Any) -> web.StreamResponse:
    dash = _dash(request)
    guard = dash.guard
    started = time.perf_counter()
    try:
        if not guard.host_ok(request.headers.get("Host")):
            return _error(403, "this dashboard answers to a loopback Host only")
        ok, by_query = guard.credentials(request.headers, request.cookies, request.query)
        if not ok:
            resp = _error(401, "a valid token is needed (Bearer, cookie or ?token=)")
            resp.headers["WWW-Authenticate"] = 'Bearer realm="livelong dashboard"'
            return resp
        upgrade = request.headers.get("Upgrade", "").lower() == "websocket"
        if upgrade and not guard.origin_ok(request.headers.get("Origin"), request.host):
            return _error(403, "cross-origin WebSocket refused")
        if request.method not in ("GET", "HEAD", "OPTIONS") and not guard.csrf_ok(
            request.headers.get(CSRF_HEADER)
        ):
            return _error(403, f"the {CSRF_HEADER} header is missing or wrong")
        if by_query and request.method == "GET" and not upgrade:
            # exchange the token for the cookie, and drop it from the address bar
            rest = {k: v for k, v in request.query.items() if k != "token"}
            location = request.path + ("?" + urlencode(rest) if rest else "")
            return web.Response(
                status=302, headers={"Location": location, "Set-Cookie": guard.cookie_header()}
            )
        answer: web.StreamResponse = await handler(request)
        if not answer.prepared:
            for k, v in SECURITY_HEADERS.items():
                answer.headers.setdefault(k, v)
        return answer
    finally:
        dash.sampler.cost += time.perf_counter() - started


# --- pages and static files ---------------------------------------------------------
async def index(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(STATIC / "index.html")


async def static(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    path = (STATIC / name).resolve()
    if STATIC.resolve() not in path.parents or not path.is_file():
        return _error(404, "no such file")
    return web.FileResponse(path)


# --- the JSON API ---------------------------------------------------------------------
async def session(request: web.Request) -> web.Response:
    dash = _dash(request)
    return _json(
        {
            "api": API_VERSION,
            "node": src.node().name,
            "csrf": dash.guard.csrf,
            "kill_allowed": dash.guard.kill_allowed,
            "rescue_url": dash.rescue_url,
            "columns": list(COLUMNS),
            "mailbox_alert_seconds": dash.sampler.mailbox_alert_seconds,
        }
    )


async def overview(request: web.Request) -> web.Response:
    s = _dash(request).sampler
    last = s.history[-1] if s.history else None
    return _json(
        {
            "sample": last,
            "counters": src.node_counters(),
            "clients": s.clients,
            "sampler_running": s.running,
        }
    )


async def history(request: web.Request) -> web.Response:
    s = _dash(request).sampler
    since = float(request.query.get("since", "0") or 0)
    return _json({"samples": [x for x in s.history if x["t"] > since]})


async def processes(request: web.Request) -> web.Response:
    dash = _dash(request)
    q = request.query
    try:
        page = query(
            dash.sampler.labels,
            dash.sampler.rates,
            sort=q.get("sort", "pid"),
            order=q.get("order", "asc"),
            filter=q.get("filter", ""),
            offset=int(q.get("offset", "0")),
            limit=int(q.get("limit", "50")),
        )
    except ValueError as e:
        return _error(400, str(e))
    return _json(page)


def _proc(request: web.Request) -> Any:
    return src.parse_pid(request.match_info["pid"])


async def process(request: web.Request) -> web.Response:
    dash = _dash(request)
    proc = _proc(request)
    if proc is None:
        return _error(404, "no such process (it may have exited)")
    detail = src.process_detail(proc, dash.sampler.labels)
    detail["supervisor_path"] = _supervisor_path(dash, proc)
    return _json(detail)


def _supervisor_path(dash: Dashboard, proc: Any) -> list[str]:
    parent: dict[Any, Any] = {}
    for sup, state, kind in src.supervisors(dash.sampler.labels):
        for _, pid, _ in src.supervisor_children(state, kind):
            if pid is not None:
                parent[pid] = sup
    path: list[str] = []
    p = parent.get(proc)
    while p is not None and len(path) < 50:
        path.append(repr(p))
        p = parent.get(p)
    return path[::-1]


async def state(request: web.Request) -> web.Response:
    proc = _proc(request)
    if proc is None:
        return _error(404, "no such process (it may have exited)")
    text = src.gen_server_state(proc)
    if text is None:
        return _error(409, "not a GenServer, or not in its loop")
    return _json({"pid": repr(proc), "state": text})


async def kill(request: web.Request) -> web.Response:
    dash = _dash(request)
    if not dash.guard.kill_allowed:
        return _error(403, "kill is off on a non-local binding (start with allow_kill=True)")
    proc = _proc(request)
    if proc is None:
        return _error(404, "no such process (it may have exited)")
    src.kill(proc)
    return _json({"pid": repr(proc), "killed": True})


async def supervisors(request: web.Request) -> web.Response:
    return _json({"trees": _dash(request).sampler.tree()})


async def graph(request: web.Request) -> web.Response:
    proc = _proc(request)
    if proc is None:
        return _error(404, "no such process (it may have exited)")
    hops = max(1, min(2, int(request.query.get("hops", "1"))))
    labels = _dash(request).sampler.labels
    return _json(_graph(proc, hops, labels))


def _graph(root: Any, hops: int, labels: src.Labels, limit: int = 200) -> dict[str, Any]:
    """Links and monitors around ``root``, ``hops`` steps out, at most ``limit`` nodes."""
    import livelong.lowlevel as ll

    nodes: dict[str, dict[str, Any]] = {}
    edges: list[dict[str, str]] = []
    frontier = [root]
    seen_edges: set[tuple[str, str, str]] = set()

    def add(p: Any, depth: int) -> None:
        key = repr(p)
        if key not in nodes:
            live = ll.local_process(p) if isinstance(p, ll.LocalPid) else None
            label = labels.of(live)[0] if live is not None else ""
            nodes[key] = {"pid": key, "label": label, "alive": live is not None, "depth": depth}

    add(root, 0)
    for depth in range(1, hops + 1):
        nxt = []
        for p in frontier:
            live = ll.local_process(p) if isinstance(p, ll.LocalPid) else None
            if live is None:
                continue
            info = ll.process_info(live)
            pairs = [("link", q) for q in info["links"]]
            pairs += [("monitor", t) for _, t in info["monitors"] if t is not None]
            pairs += [("monitored_by", q) for q in info["monitored_by"]]
            for kind, q in pairs:
                if len(nodes) >= limit and repr(q) not in nodes:
                    continue
                a, b = (repr(q), repr(p)) if kind == "monitored_by" else (repr(p), repr(q))
                kind = "monitor" if kind == "monitored_by" else kind
                e = (a, b, kind) if kind == "monitor" else (min(a, b), max(a, b), kind)
                if e in seen_edges:
                    continue
                seen_edges.add(e)
                edges.append({"from": e[0], "to": e[1], "kind": kind})
                if repr(q) not in nodes:
                    add(q, depth)
                    nxt.append(q)
        frontier = nxt
    return {"root": repr(root), "nodes": list(nodes.values()), "edges": edges}


async def trace_get(request: web.Request) -> web.Response:
    t = _dash(request).trace
    return _json(t.as_json() if t is not None else {"active": False, "events": [], "pids": []})


async def trace_start(request: web.Request) -> web.Response:
    dash = _dash(request)
    try:
        body = await request.json()
        pids = [src.parse_pid(str(p)) for p in body["pids"]]
        trace = Trace(
            limit=int(body.get("limit", 50)),
            max_rate=int(body.get("max_rate", 200)),
            seconds=float(body.get("seconds", 30)),
        )
    except (ValueError, KeyError, TypeError) as e:
        return _error(400, f'send {{"pids": [...], "limit": n, "seconds": s}}: {e}')
    live = [p for p in pids if p is not None]
    if not live:
        return _error(404, "none of these processes is alive")
    if dash.trace is not None:
        dash.trace.stop("replaced by a new trace")
    dash.trace = trace
    trace.start(live)
    return _json(trace.as_json())


async def trace_stop(request: web.Request) -> web.Response:
    t = _dash(request).trace
    if t is not None:
        t.stop("stopped by the user")
    return _json(t.as_json() if t is not None else {"active": False, "events": []})


async def alerts(request: web.Request) -> web.Response:
    s = _dash(request).sampler
    return _json({"alerts": s.alerts, "crashes": list(s.crashes)})


async def metrics(request: web.Request) -> web.Response:
    dash = _dash(request)
    c = src.node_counters()
    s = dash.sampler
    last = s.history[-1] if s.history else {}
    lines = [
        "# HELP livelong_processes Live processes of the node.",
        "# TYPE livelong_processes gauge",
        f"livelong_processes {c['processes']}",
        "# HELP livelong_uptime_seconds Seconds since the node started.",
        "# TYPE livelong_uptime_seconds gauge",
        f"livelong_uptime_seconds {c['uptime']:.3f}",
        "# HELP livelong_resident_memory_bytes Resident memory of the OS process.",
        "# TYPE livelong_resident_memory_bytes gauge",
        f"livelong_resident_memory_bytes {c['rss']}",
        "# HELP livelong_gc_collections_total Python GC collections by generation.",
        "# TYPE livelong_gc_collections_total counter",
    ]
    lines += [
        f'livelong_gc_collections_total{{generation="{i}"}} {n}'
        for i, n in enumerate(c["gc_collections"])
    ]
    lines += [
        "# HELP livelong_crashes_seen_total Crashes the dashboard has seen.",
        "# TYPE livelong_crashes_seen_total counter",
        f"livelong_crashes_seen_total {dash.crash_count}",
        "# HELP livelong_dashboard_clients Live dashboard connections.",
        "# TYPE livelong_dashboard_clients gauge",
        f"livelong_dashboard_clients {s.clients}",
    ]
    for key, metric in (
        ("run_queue", "livelong_run_queue"),
        ("loop_lag_ms", "livelong_loop_lag_milliseconds"),
        ("reductions_per_s", "livelong_reductions_per_second"),
    ):
        if last.get(key) is not None:
            lines += [f"# TYPE {metric} gauge", f"{metric} {last[key]}"]
    return web.Response(
        text="\n".join(lines) + "\n",
        content_type="text/plain",
        charset="utf-8",
        headers={"X-Content-Type-Options": "nosniff"},
    )


# --- live channels -------------------------------------------------------------------
async def live(request: web.Request) -> web.StreamResponse:
    """The WebSocket: a ``hello`` with the history, then a ``sample`` each second."""
    dash = _dash(request)
    ws = web.WebSocketResponse(heartbeat=20)
    await ws.prepare(request)
    dash.sockets.add(ws)
    client = dash.sampler.add_client()
    sender = asyncio.get_running_loop().create_task(_send_loop(ws, client))
    try:
        await ws.send_json({"type": "hello", "history": list(dash.sampler.history)})
        async for msg in ws:
            if msg.type == WSMsgType.TEXT and msg.data == "ping":
                await ws.send_json({"type": "pong"})
            elif msg.type in (WSMsgType.ERROR, WSMsgType.CLOSE):
                break
    finally:
        sender.cancel()
        dash.sampler.remove_client(client)
        dash.sockets.discard(ws)
    return ws


async def _send_loop(ws: web.WebSocketResponse, client: Any) -> None:
    try:
        while not ws.closed:
            msg = await client.queue.get()
            await ws.send_json(msg, dumps=lambda d: json.dumps(d, default=str))
    except (ConnectionError, RuntimeError, asyncio.CancelledError):
        pass


async def events(request: web.Request) -> web.StreamResponse:
    """Server-sent events, for scripts: one ``sample`` event each second."""
    dash = _dash(request)
    resp = web.StreamResponse(headers={"Content-Type": "text/event-stream", **SECURITY_HEADERS})
    await resp.prepare(request)
    client = dash.sampler.add_client()
    dash.streams.add(resp)
    try:
        while not dash.closing:
            msg = await client.queue.get()
            if msg["type"] == "bye":
                break
            await resp.write(f"event: sample\ndata: {json.dumps(msg, default=str)}\n\n".encode())
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        dash.sampler.remove_client(client)
        dash.streams.discard(resp)
    return resp


def make_app(dash: Dashboard) -> web.Application:
    app = web.Application(middlewares=[_guard])
    app[DASHBOARD_KEY] = dash
    r = app.router
    r.add_get("/", index)
    r.add_get("/static/{name}", static)
    r.add_get("/metrics", metrics)
    r.add_get("/api/v1/session", session)
    r.add_get("/api/v1/overview", overview)
    r.add_get("/api/v1/history", history)
    r.add_get("/api/v1/processes", processes)
    r.add_get("/api/v1/processes/{pid}", process)
    r.add_get("/api/v1/processes/{pid}/state", state)
    r.add_post("/api/v1/processes/{pid}/kill", kill)
    r.add_get("/api/v1/processes/{pid}/graph", graph)
    r.add_get("/api/v1/supervisors", supervisors)
    r.add_get("/api/v1/alerts", alerts)
    r.add_get("/api/v1/trace", trace_get)
    r.add_post("/api/v1/trace", trace_start)
    r.add_post("/api/v1/trace/stop", trace_stop)
    r.add_get("/api/v1/live", live)
    r.add_get("/api/v1/events", events)
    return app
