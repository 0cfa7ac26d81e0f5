"""Telemetry: handlers hear the node's events; a broken handler is detached, never
breaks the node."""

from __future__ import annotations

import logging

import pytest

import livelong
from livelong import ANY, receive, spawn_monitor, telemetry

CRASH = ("livelong", "process", "crash")


@pytest.fixture(autouse=True)
def _clean():
    yield
    for hid, _ in telemetry.list_handlers():
        telemetry.detach(hid)


def crash_and_wait(fn):
    async def main():
        pid, ref = spawn_monitor(fn)
        down = await receive(("DOWN", ref, ANY, ANY, ANY))
        return pid, down[4]

    return livelong.run(main)


def boom():
    raise ValueError("boom")


def test_a_crash_reaches_its_handler_with_pid_reason_and_initial_call(caplog):
    seen = []
    telemetry.attach("t", CRASH, lambda ev, m, md, cfg: seen.append((ev, m, md, cfg)), "cfg")
    pid, reason = crash_and_wait(boom)
    [(event, measurements, metadata, config)] = seen
    assert event == CRASH and measurements == {} and config == "cfg"
    assert metadata["pid"] == pid and metadata["reason"] is reason
    assert "boom" in metadata["initial_call"]


def test_a_handler_that_raises_is_detached_and_logged_and_the_node_goes_on(caplog):
    calls = []

    def broken(ev, m, md, cfg):
        calls.append(1)
        raise RuntimeError("handler bug")

    telemetry.attach("broken", CRASH, broken)
    with caplog.at_level(logging.ERROR, logger="livelong"):
        crash_and_wait(boom)
        _, reason = crash_and_wait(boom)
    assert calls == [1]  # detached after its first failure
    assert isinstance(reason, ValueError)
    assert "telemetry handler 'broken' failed" in caplog.text
    assert telemetry.list_handlers() == []


def test_attach_checks_its_arguments_and_detach_tells_what_it_removed():
    telemetry.attach_many("m", [("a", "b"), ("a", "c")], lambda *a: None)
    assert sorted(telemetry.list_handlers(("a",))) == [("m", ("a", "b")), ("m", ("a", "c"))]
    with pytest.raises(ValueError, match="already attached as 'm'"):
        telemetry.attach("m", ("x",), lambda *a: None)
    with pytest.raises(TypeError, match="tuple of names, got the string 'a.b'"):
        telemetry.attach("s", "a.b", lambda *a: None)
    with pytest.raises(TypeError, match="must be callable"):
        telemetry.attach("n", ("x",), None)  # type: ignore[arg-type]
    assert telemetry.detach("m") and not telemetry.detach("m")
    assert telemetry.list_handlers() == []


def test_execute_calls_each_handler_of_the_event_only():
    seen = []
    telemetry.attach("one", ("app", "x"), lambda ev, m, md, cfg: seen.append(("one", m)))
    telemetry.attach("two", ("app", "x"), lambda ev, m, md, cfg: seen.append(("two", m)))
    telemetry.attach("other", ("app", "y"), lambda ev, m, md, cfg: seen.append(("other", m)))
    telemetry.execute(("app", "x"), {"n": 1})
    telemetry.execute(["app", "z"], {"n": 2})  # nobody listens: nothing happens
    assert seen == [("one", {"n": 1}), ("two", {"n": 1})]
