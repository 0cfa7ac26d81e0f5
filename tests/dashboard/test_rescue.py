"""The rescue page answers from its own thread while a runaway process holds the node,
names the process, and kills it; the dashboard's alerts then list the runaway."""

from __future__ import annotations

import json

import pytest
from dash_harness import eventually, get_json, request, start_dashboard, tick

import livelong
from livelong.testing import VirtualClock


@pytest.fixture
def fast_watchdog():
    n = livelong.start(watchdog_seconds=0.3)
    yield n
    n.stop()


def spin():
    while True:  # never yields: holds the node's thread
        pass


def test_rescue_names_and_kills_a_runaway_process(fast_watchdog):
    import logging

    node = fast_watchdog
    d = start_dashboard(node)
    rport = int(d.rescue_url.rsplit(":", 1)[1].split("/")[0])
    logging.disable(logging.WARNING)  # the watchdog's warning
    try:
        status, _, body = request(d, "/rescue", port=rport)
        assert status == 200 and b"livelong rescue" in body
        csrf = get_json(d, "/api/v1/session")["csrf"]
        pid = node.spawn(spin)

        def held():
            s, _, b = request(d, "/rescue/api", port=rport)
            found = json.loads(b)["runaway"]
            return found if s == 200 and found is not None else None

        found = eventually(held, "the rescue page sees the runaway process")
        assert found["pid"] == repr(pid) and found["current_function"].endswith("spin/0")
        assert found["seconds"] > 0
        headers = {"X-Livelong-CSRF": csrf, "Content-Type": "application/json"}
        body = json.dumps({"pid": found["pid"]}).encode()
        status, _, _ = request(d, "/rescue/kill", "POST", headers, body, port=rport)
        assert status == 200
        eventually(lambda: not node.alive(pid), "the runaway process is killed")
        tick(node, d)
        alerts = get_json(d, "/api/v1/alerts")["alerts"]
        assert [a["pid"] for a in alerts if a["kind"] == "runaway"] == [repr(pid)]
    finally:
        logging.disable(logging.NOTSET)
        node.call(d.stop)


def test_overview_shows_virtual_time_under_a_virtual_clock():
    clock = VirtualClock(autojump_threshold=0.05)
    node = livelong.start(clock=clock)
    try:
        d = start_dashboard(node)
        clock.advance(3600)
        sample = tick(node, d)
        assert sample["virtual_time"] is not None and sample["virtual_time"] >= 3600
        assert get_json(d, "/api/v1/overview")["sample"]["virtual_time"] >= 3600
        node.call(d.stop)
    finally:
        node.stop()
