"""The dashboard's JSON API, /metrics and the live channels, over real sockets."""

from __future__ import annotations

import asyncio
import json
import socket

from dash_harness import eventually, get_json, path_of, post, request, start_dashboard, tick

import livelong
from livelong import GenServer, Supervisor, receive


async def idle():
    await receive(lambda m: False)  # never takes a message: its mailbox only grows


def spawn_named(node, name, fn=idle, *args):
    def go():
        pid = livelong.spawn(fn, *args)
        livelong.register(name, pid)
        return pid

    return node.call(go)


class Counter(GenServer):
    def init(self, n):
        return {"count": n, "blob": "x" * 1_000_000}


def test_session_names_the_api_version_and_node(dash):
    s = get_json(dash, "/api/v1/session")
    assert s["api"] == 1 and s["node"] == "nonode@nohost"
    assert s["kill_allowed"] is True and s["csrf"]
    assert "pid" in s["columns"] and s["rescue_url"].endswith("/rescue")


def test_overview_and_history_hold_the_samples(node, dash):
    tick(node, dash)
    sample = tick(node, dash)
    assert sample["processes"] >= 1 and sample["reductions_per_s"] is not None
    ov = get_json(dash, "/api/v1/overview")
    assert ov["sample"]["t"] == sample["t"] and ov["counters"]["processes"] >= 1
    hist = get_json(dash, "/api/v1/history")["samples"]
    assert len(hist) == 2
    assert get_json(dash, f"/api/v1/history?since={hist[0]['t']}")["samples"] == hist[1:]


def test_processes_filter_sort_and_page(node, dash):
    pids = [spawn_named(node, f"worker-{i:02d}") for i in range(30)]
    for i, pid in enumerate(pids):
        for _ in range(i):
            node.send(pid, "hello")
    page = get_json(dash, "/api/v1/processes?filter=worker-&sort=queue&order=desc&limit=5")
    assert page["total"] == 30
    assert [r["name"] for r in page["rows"]] == [f"worker-{i:02d}" for i in (29, 28, 27, 26, 25)]
    assert page["rows"][0]["queue"] == 29
    page2 = get_json(
        dash, "/api/v1/processes?filter=worker-&sort=queue&order=desc&limit=5&offset=5"
    )
    assert [r["name"] for r in page2["rows"]][0] == "worker-24"
    by_name = get_json(dash, "/api/v1/processes?filter=WORKER-0&sort=name&limit=3")
    assert [r["name"] for r in by_name["rows"]] == ["worker-00", "worker-01", "worker-02"]
    row = by_name["rows"][0]
    for col in (
        "pid",
        "label",
        "current_function",
        "status",
        "queue_growth",
        "reductions_rate",
        "memory",
        "age",
    ):
        assert col in row
    assert row["status"] == "waiting" and row["current_function"].endswith("idle/0")
    status, _, body = request(dash, "/api/v1/processes?sort=nonsense")
    assert status == 400 and b"unknown sort column" in body


def test_top_by_rate_finds_the_busy_process(node, dash):
    async def busy():
        while True:
            await asyncio.sleep(0.001)
            for _ in range(50):
                livelong.send(livelong.self(), "x")
                await receive()

    pid = spawn_named(node, "busy", busy)
    tick(node, dash)
    eventually(lambda: node.info(pid)["reductions"] > 100, "the busy process works")
    tick(node, dash)
    top = get_json(dash, "/api/v1/processes?sort=reductions_rate&order=desc&limit=1")
    assert top["rows"][0]["pid"] == repr(pid) and top["rows"][0]["reductions_rate"] > 0


def test_a_process_page_cuts_big_messages_and_links_its_peers(node, dash):
    pid = spawn_named(node, "holder")
    node.send(pid, "y" * 1_000_000)
    node.send(pid, ("small", 1))
    watcher = node.call(lambda: livelong.spawn(lambda: None))  # a pid that is gone by now
    p = get_json(dash, f"/api/v1/processes/{path_of(pid)}")
    assert p["name"] == "holder" and p["queue"] == 2
    assert len(p["messages"][0]) < 300 and p["messages"][1] == "('small', 1)"
    assert p["await_chain"][0]["function"].endswith("idle")
    assert p["has_state"] is False
    assert {"links", "monitors", "monitored_by", "supervisor_path"} <= set(p)
    status, _, _ = request(dash, f"/api/v1/processes/{path_of(watcher)}")
    assert status == 404


def test_state_kill_and_supervision_tree(node, dash):
    async def go():
        return await Supervisor.start(
            [Counter.child_spec(7, id="counter"), Counter.child_spec(8, id="other")],
            strategy="one_for_one",
            name="top",
        )

    sup = node.call(go)
    child = node.info(sup)["links"][0]  # the first child started
    state = get_json(dash, f"/api/v1/processes/{path_of(child)}/state")["state"]
    assert "'count': 7" in state and len(state) < 2100  # the 1 MB blob is cut
    detail = get_json(dash, f"/api/v1/processes/{path_of(child)}")
    assert detail["label"] == "GenServer Counter" and detail["supervisor_path"] == [repr(sup)]

    tick(node, dash)  # the sampler sees the first pid
    status, body = post(dash, f"/api/v1/processes/{path_of(child)}/kill")
    assert status == 200 and body["killed"] is True
    eventually(lambda: not node.alive(child), "the child dies")

    def restarted():
        tick(node, dash)
        tree = get_json(dash, "/api/v1/supervisors")["trees"]
        kids = {c["id"]: c for c in tree[0]["children"]}
        return (
            tree if kids["'counter'"]["restarts"] == 1 and kids["'counter'"]["last_exit"] else None
        )

    tree = eventually(restarted, "the tree shows the restart")[0]
    assert tree["pid"] == repr(sup) and tree["label"] == "Supervisor top"
    assert tree["strategy"] == "one_for_one" and tree["restarts_in_window"] == 1
    kids = {c["id"]: c for c in tree["children"]}
    assert kids["'counter'"]["last_exit"] == "'killed'" and kids["'other'"]["restarts"] == 0
    assert kids["'counter'"]["pid"] != repr(child)
    status, _, _ = request(dash, f"/api/v1/processes/{path_of(sup)}/state")
    assert status == 200
    status, _, _ = request(dash, f"/api/v1/processes/{path_of(child)}/kill", method="POST")
    assert status == 403  # no CSRF header


def test_graph_of_links_and_monitors_one_and_two_hops(node, dash):
    async def chain():
        a = livelong.spawn(idle)
        b = livelong.spawn(idle)
        c = livelong.spawn(idle)
        return a, b, c

    a, b, c = node.call(chain)

    async def wire():
        async def linker(x, y):
            livelong.link(x)
            livelong.monitor(y)
            await receive(lambda m: False)

        return livelong.spawn(linker, a, c)

    m = node.call(wire)
    eventually(lambda: node.info(m)["links"], "the links are made")
    g1 = get_json(dash, f"/api/v1/processes/{path_of(a)}/graph?hops=1")
    assert {n["pid"] for n in g1["nodes"]} == {repr(a), repr(m)}
    g2 = get_json(dash, f"/api/v1/processes/{path_of(a)}/graph?hops=2")
    assert {n["pid"] for n in g2["nodes"]} == {repr(a), repr(m), repr(c)}
    assert {"from": repr(m), "to": repr(c), "kind": "monitor"} in g2["edges"]


def test_alerts_mailbox_growth_and_crash_feed(node):
    d = start_dashboard(node, mailbox_alert_seconds=0)
    try:
        pid = spawn_named(node, "swamped")
        tick(node, d)
        for _ in range(5):
            node.send(pid, "more")
        tick(node, d)
        alerts = get_json(d, "/api/v1/alerts")
        assert [a["pid"] for a in alerts["alerts"] if a["kind"] == "mailbox_growing"] == [repr(pid)]

        def crash():
            raise ValueError("boom for the feed")

        import logging

        logging.disable(logging.ERROR)
        try:
            node.spawn(crash)
            feed = eventually(lambda: get_json(d, "/api/v1/alerts")["crashes"], "the crash is seen")
        finally:
            logging.disable(logging.NOTSET)
        assert "boom for the feed" in feed[0]["reason"] and "ValueError" in feed[0]["traceback"]
        assert feed[0]["initial_call"].endswith("crash/0")
    finally:
        node.call(d.stop)


def test_metrics_are_prometheus_text(node, dash):
    tick(node, dash)
    status, headers, body = request(dash, "/metrics")
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    text = body.decode()
    assert "# TYPE livelong_processes gauge" in text
    assert any(line.startswith("livelong_processes ") for line in text.splitlines())
    assert 'livelong_gc_collections_total{generation="0"}' in text


def test_event_stream_sends_samples_and_counts_its_client(node, dash):
    sock = socket.create_connection((dash.host, dash.port), timeout=10)
    try:
        sock.sendall(b"GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        data = b""
        while b"event: sample" not in data:
            chunk = sock.recv(4096)
            assert chunk, data
            data += chunk
        assert b"text/event-stream" in data
        payload = data.split(b"data: ", 1)[1].split(b"\n", 1)[0]
        assert json.loads(payload)["sample"]["clients"] == 1
        assert dash.clients == 1 and dash.sampler.running
    finally:
        sock.close()
    eventually(lambda: dash.clients == 0 and not dash.sampler.running, "the client is gone")


def test_stop_closes_open_streams(node):
    d = start_dashboard(node)
    sock = socket.create_connection((d.host, d.port), timeout=10)
    try:
        sock.sendall(b"GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        eventually(lambda: d.clients == 1, "the stream is open")
        node.call(d.stop)
        data = b""
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    finally:
        sock.close()
    assert d.clients == 0 and not d.sampler.running
    refused = socket.socket()
    try:
        assert refused.connect_ex((d.host, d.port)) != 0
    finally:
        refused.close()


async def echo():
    while True:
        match await receive():
            case ("ping", frm, n):
                livelong.send(frm, ("pong", n))


async def pinger(target):
    n = 0
    while True:
        n += 1
        livelong.send(target, ("ping", livelong.self(), n))
        await receive()
        await livelong.Process.sleep(0.02)


def test_a_trace_stops_itself_at_its_limit(node, dash):
    target = spawn_named(node, "echo", echo)
    spawn_named(node, "pinger", pinger, target)
    status, t = post(
        dash, "/api/v1/trace", body=json.dumps({"pids": [path_of(target)], "limit": 5}).encode()
    )
    assert status == 200 and t["active"] and t["pids"] == [repr(target)]
    done = eventually(lambda: not (t := get_json(dash, "/api/v1/trace"))["active"] and t, "stop")
    assert len(done["events"]) == 5 and done["stopped"] == "limit reached: 5 events"
    kinds = [e["kind"] for e in done["events"]]
    assert set(kinds) == {"send", "receive"}
    first_recv = next(e for e in done["events"] if e["kind"] == "receive")
    assert first_recv["to"] == repr(target) and first_recv["msg"].startswith("('ping', ")
    first_send = next(e for e in done["events"] if e["kind"] == "send")
    assert first_send["from"] == repr(target) and first_send["msg"].startswith("('pong', ")
    assert node.alive(target)  # the traced process goes on, its mailbox given back
    n = node.info(target)["reductions"]
    eventually(lambda: node.info(target)["reductions"] > n, "it still answers pings")


def test_a_trace_stops_at_its_rate_limit_and_on_request(node, dash):
    target = spawn_named(node, "echo", echo)
    spawn_named(node, "pinger", pinger, target)
    body = json.dumps({"pids": [repr(target)], "limit": 1000, "max_rate": 3}).encode()
    status, _ = post(dash, "/api/v1/trace", body=body)
    assert status == 200
    done = eventually(lambda: not (t := get_json(dash, "/api/v1/trace"))["active"] and t, "stop")
    assert done["stopped"].startswith("rate limit") and len(done["events"]) <= 3
    status, _ = post(dash, "/api/v1/trace", body=json.dumps({"pids": ["0.99999.0"]}).encode())
    assert status == 404
    status, _ = post(dash, "/api/v1/trace", body=body.replace(b'"max_rate": 3', b'"max_rate": 900'))
    assert status == 200
    status, t = post(dash, "/api/v1/trace/stop")
    assert status == 200 and not t["active"] and t["stopped"] == "stopped by the user"


def test_a_large_dynamic_supervisor_is_collapsed_to_a_count(node, dash):
    from livelong import DynamicSupervisor

    async def go():
        sup = await DynamicSupervisor.start(name="sessions")
        for i in range(30):
            await DynamicSupervisor.start_child(sup, Counter.child_spec(i))
        return sup

    sup = node.call(go)
    tree = get_json(dash, "/api/v1/supervisors")["trees"]
    [dyn] = [t for t in tree if t["pid"] == repr(sup)]
    assert dyn["kind"] == "dynamic_supervisor" and dyn["label"] == "DynamicSupervisor sessions"
    assert dyn["count"] == 30 and len(dyn["children"]) == 20


def test_restart_intensity_near_its_limit_is_an_alert(node, dash):
    async def go():
        return await Supervisor.start(
            [Counter.child_spec(1, id="flaky")], strategy="one_for_one", max_restarts=3
        )

    sup = node.call(go)
    for _ in range(3):
        child = node.info(sup)["links"][0]
        node.exit(child, "kill")
        eventually(
            lambda c=child: node.info(sup)["links"] and node.info(sup)["links"][0] != c,
            "the child is restarted",
        )
    tick(node, dash)
    alerts = get_json(dash, "/api/v1/alerts")["alerts"]
    [a] = [a for a in alerts if a["kind"] == "restart_intensity"]
    assert a["pid"] == repr(sup) and "3 restarts in 5 s (limit 3)" in a["text"]


def test_stop_closes_an_open_websocket(node):
    import base64
    import os

    d = start_dashboard(node)
    sock = socket.create_connection((d.host, d.port), timeout=10)
    try:
        key = base64.b64encode(os.urandom(16)).decode()
        sock.sendall(
            f"GET /api/v1/live HTTP/1.1\r\nHost: 127.0.0.1:{d.port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        assert sock.recv(12).startswith(b"HTTP/1.1 101")
        eventually(lambda: d.clients == 1, "the tab is connected")
        node.call(d.stop)
        while sock.recv(4096):
            pass  # until the server closes the connection
    finally:
        sock.close()
    assert d.clients == 0 and not d.sampler.running
