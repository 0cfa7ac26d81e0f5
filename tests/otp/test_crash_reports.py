"""Crash reports say where and why: a process that dies of a failed call names the
call, the reason and its own traceback (not the callee's); every livelong record
carries the process's pid, registered name and label."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import traceback
from pathlib import Path
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


def test_a_via_name_is_shown_as_written(caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> Any:
        await livelong.Registry.start_link(keys="unique", name="rooms")
        return await _down_of(spawn(caller, ("via", livelong.Registry, ("rooms", "lobby"))))

    caplog.set_level(logging.ERROR, logger="livelong")
    assert livelong.run(main) == "noproc"
    (rec,) = _records(caplog, "exited in:")
    assert (
        "exited in: GenServer.call(('via', Registry, ('rooms', 'lobby')), ('leave', 'bob'), 5.0)"
        "\n** (EXIT) 'noproc'"
    ) in rec.getMessage()


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


# ----------------------------------------------------------------------------------
# livelong run: the application's logging, --log-level, a failed start reported once

APP = """
import logging
from livelong import GenServer, Supervisor
{config}
class Listener(GenServer):
    def init(self, arg):
        raise OSError("port 4000 in use")
async def start():
    logging.getLogger("app").warning("app starting")
    return await Supervisor.start_link([Listener], strategy="one_for_one")
"""


def _livelong_run(tmp_path: Path, config: str, *flags: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "chatapp.py").write_text(APP.format(config=config))
    src = Path(__file__).resolve().parents[2] / "src"
    env = dict(os.environ, PYTHONPATH=f"{src}{os.pathsep}{tmp_path}")
    return subprocess.run(
        [sys.executable, "-m", "livelong", "run", *flags, "chatapp:start"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60,
    )  # fmt: skip


def test_run_leaves_the_applications_logging_config_alone(tmp_path: Path) -> None:
    config = 'logging.basicConfig(format="APP %(levelname)s %(name)s: %(message)s")'
    proc = _livelong_run(tmp_path, config)
    assert proc.returncode == 1
    assert "APP WARNING app: app starting" in proc.stderr
    assert "APP ERROR livelong.gen_server: GenServer Listener" in proc.stderr
    assert "[ERROR]" not in proc.stderr  # livelong's own fallback handler stayed quiet


def test_a_failing_init_under_run_is_reported_once(tmp_path: Path) -> None:
    proc = _livelong_run(tmp_path, "")
    assert proc.returncode == 1
    assert proc.stderr.count("Traceback (most recent call last)") == 1
    assert proc.stderr.count('raise OSError("port 4000 in use")') == 1
    assert "chatapp:start failed to start: SupervisorError" in proc.stderr


def test_log_level_sets_livelongs_loggers(tmp_path: Path) -> None:
    proc = _livelong_run(tmp_path, "", "--log-level", "critical")
    assert proc.returncode == 1
    assert "GenServer Listener" not in proc.stderr
    bad = _livelong_run(tmp_path, "", "--log-level", "loud")
    assert bad.returncode == 2 and "unknown log level 'loud'" in bad.stderr


# ----------------------------------------------------------------------------------
# Telemetry: supervisor restarts and call latencies


class Echo(GenServer[None]):
    def handle_call(self, request: Any, from_: Any, state: None, /) -> Any:
        if request == "crash":
            raise RuntimeError("asked to")
        return Reply(request, state)


def test_call_and_restart_events_reach_their_handlers() -> None:
    from livelong import Supervisor, telemetry

    seen: list[tuple[Any, ...]] = []

    def handler(event: Any, measurements: Any, metadata: Any, config: Any) -> None:
        seen.append((event, measurements, metadata))

    async def main() -> Any:
        sup = await Supervisor.start_link([Echo.child_spec(None, name="echo")])
        assert await GenServer.call("echo", "hi") == "hi"
        old = GenServer.whereis("echo")
        try:
            await GenServer.call("echo", "crash")
        except livelong.Exit:
            pass
        while GenServer.whereis("echo") in (None, old):
            await livelong.Process.sleep(0.01)
        await GenServer.stop(sup, "normal")

    telemetry.attach_many(
        "test", [("livelong", "gen_server", "call"), ("livelong", "supervisor", "restart")],
        handler,
    )  # fmt: skip
    logging.disable(logging.ERROR)
    try:
        livelong.run(main)
    finally:
        logging.disable(logging.NOTSET)
        telemetry.detach("test")
    calls = [
        (md["request"], md["outcome"], m["duration"]) for ev, m, md in seen if ev[1] == "gen_server"
    ]
    assert [(r, o) for r, o, _ in calls][:2] == [("hi", "ok"), ("crash", "exit")]
    assert all(d >= 0 for _, _, d in calls)
    (restart,) = [(m, md) for ev, m, md in seen if ev[1] == "supervisor"]
    assert restart[0] == {"restarts": 1}
    assert restart[1]["child_id"] is Echo and isinstance(restart[1]["reason"], RuntimeError)
    assert isinstance(restart[1]["pid"], livelong.Pid)


def test_the_logging_guide_runs() -> None:
    import doctest

    guide = Path(__file__).resolve().parents[2] / "docs" / "logging.md"
    result = doctest.testfile(str(guide), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 10 and result.failed == 0
