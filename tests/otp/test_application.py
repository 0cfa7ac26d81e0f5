"""``livelong run module:function`` in a real subprocess, stopped by a real signal."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).parent


def start(target):
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    return subprocess.Popen(
        [sys.executable, "-m", "livelong", "run", target],
        cwd=HERE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def wait_for(proc, text, timeout=10.0):
    """Read stderr until a line containing ``text``; returns the lines read."""
    sel = selectors.DefaultSelector()
    sel.register(proc.stderr, selectors.EVENT_READ)
    lines = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not sel.select(timeout=deadline - time.monotonic()):
            break
        line = proc.stderr.readline()
        if not line:
            break
        lines.append(line)
        if text in line:
            return lines
    proc.kill()
    raise AssertionError(f"no {text!r} on stderr; got {lines!r}")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_run_until_a_signal_then_stop_the_tree_in_order(sig):
    proc = start("otp_app_fixture:start")
    wait_for(proc, "running")
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert out.splitlines() == [
        "start w1",
        "start m1",
        "start m2",
        "start w3",
        "stop w3 shutdown",
        "stop m2 shutdown",
        "stop m1 shutdown",
        "stop w1 shutdown",
    ]
    assert f"{sig.name}, stopping" in err and "stopped" in err


def test_a_function_that_starts_the_root_itself():
    proc = start("otp_app_fixture:start_root")
    wait_for(proc, "running")
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert out.splitlines() == ["start only", "stop only shutdown"]


def test_a_root_started_without_a_link_stops_on_the_first_signal():
    proc = start("otp_app_fixture:start_unlinked_root")
    wait_for(proc, "running")
    proc.send_signal(signal.SIGTERM)
    try:
        out, err = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise AssertionError(f"still running 10 s after SIGTERM; stderr: {err!r}") from None
    assert proc.returncode == 0, err
    assert out.splitlines() == ["start alone", "stop alone shutdown"]


def test_a_tree_that_dies_on_its_own_exits_with_status_1():
    proc = start("otp_app_fixture:doomed")
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 1
    assert "exited: 'shutdown'" in err and "reached max restart intensity" in err


@pytest.mark.parametrize(
    "target, status, message",
    [
        ("no_colon", 2, "expected MODULE:FUNCTION"),
        ("no_such_module_xyz:start", 2, "No module named"),
        ("otp_app_fixture:missing", 2, "missing"),
        ("otp_app_fixture:not_a_tree", 1, "returned 42"),
    ],
)
def test_bad_targets(target, status, message):
    proc = start(target)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == status and message in err, err
