"""Crash reports say where and why: a process that dies of a failed call names the
call, the reason and its own traceback (not the callee's); every livelong record
carries the process's pid, registered name and label."""

from __future__ import annotations

import logging
import traceback
from typing import Any

import pytest

import livelong
from livelong import ANY, GenServer, Reply, monitor, receive, register, spawn


class Boom(GenServer[None]):
    def handle_call(self, request: Any, from_: Any, state: None, /) -> Any:
        raise ValueError("callee broke")


class Front(GenServer[Any]):
    async def handle_call(self, request: Any, from_: Any, state: Any, /) -> Any:
        return Reply(await GenServer.call(state, ("leave", request)), state)


async def caller(server: Any) -> None:
    register("the_caller", livelong.self())
    await GenServer.call(server, ("leave", "bob"))


async def _down_of(pid: livelong.Pid) -> Any:
    ref = monitor(pid)
    return (await receive(("DOWN", ref, ANY, ANY, ANY)))[4]


def _records(caplog: pytest.LogCaptureFixture, text: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if text in r.getMessage()]


def _tb(record: logging.LogRecord) -> str:
    assert record.exc_info is not None
    return "".join(traceback.format_exception(*record.exc_info))




def test_a_dead_callee_is_named_with_the_callers_own_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def main() -> Any:
        boom = await Boom.start_pid(None)
        return await _down_of(spawn(caller, boom))

    caplog.set_level(logging.ERROR, logger="livelong")
    reason = livelong.run(main)
    assert isinstance(reason, ValueError)
    (rec,) = _records(caplog, "exited in: GenServer.call(")
    text = rec.getMessage()
    assert "('leave', 'bob'), 5.0)" in text
    assert "** (EXIT) (ValueError) callee broke" in text
    tb = _tb(rec)
    assert "in caller" in tb  # the caller's own frame, where it called
    assert "in handle_call" not in tb  # not the callee's, as if it were the caller's
    assert rec.registered_name == "the_caller"  # type: ignore[attr-defined]
    assert rec.label == "test_crash_reports.caller/1"  # type: ignore[attr-defined]
    assert isinstance(rec.pid, livelong.Pid)  # type: ignore[attr-defined]


def test_noproc_names_the_call(caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> Any:
        return await _down_of(spawn(caller, "nobody"))

    caplog.set_level(logging.ERROR, logger="livelong")
    assert livelong.run(main) == "noproc"
    (rec,) = _records(caplog, "exited in: GenServer.call('nobody', ('leave', 'bob'), 5.0)")
    assert "** (EXIT) 'noproc'" in rec.getMessage()


def test_a_server_whose_call_failed_reports_the_call_not_the_callees_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def main() -> Any:
        boom = await Boom.start_pid(None)
        front = await Front.start_pid(boom)
        try:
            await GenServer.call(front, "bob")
        except livelong.Exit as e:
            return e.reason

    caplog.set_level(logging.ERROR, logger="livelong")
    assert isinstance(livelong.run(main), ValueError)
    (rec,) = _records(caplog, "GenServer Front")
    text = rec.getMessage()
    assert "** (stop) exited in: GenServer.call(" in text
    assert "('leave', 'bob'), 5.0)\n** (EXIT) (ValueError) callee broke" in text
    tb = _tb(rec)
    assert "await GenServer.call(state" in tb
    assert 'raise ValueError("callee broke")' not in tb
    assert rec.label == "Front"  # type: ignore[attr-defined]
    (callee,) = _records(caplog, "GenServer Boom")
    assert callee.label == "Boom"  # type: ignore[attr-defined]


def test_records_outside_a_process_have_the_fields_too(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="livelong")
    logging.getLogger("livelong").info("hello")
    (rec,) = _records(caplog, "hello")
    assert (rec.pid, rec.registered_name, rec.label) == (None, None, None)  # type: ignore[attr-defined]
