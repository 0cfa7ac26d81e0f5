"""``livelong run ... --dashboard=PORT`` and ``livelong shell --dashboard=PORT`` serve
the dashboard from inside their node, and stop it with the node."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

from dash_harness import eventually

HERE = Path(__file__).resolve().parent
SRC = HERE.parents[1] / "src"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def session(port: int):
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/api/v1/session")
        resp = conn.getresponse()
        return json.loads(resp.read()) if resp.status == 200 else None
    except OSError:
        return None


def supervisors(port: int):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", "/api/v1/supervisors")
    return json.loads(conn.getresponse().read())["trees"]


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), str(HERE)])}


def test_run_with_dashboard_serves_the_application_tree():
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "livelong", "run", "dash_app:start", f"--dashboard={port}"],
        env=env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        eventually(lambda: session(port), "the dashboard answers", tries=400)
        trees = supervisors(port)
        assert [c["id"] for c in trees[0]["children"]] == ["'store'"]
        assert trees[0]["children"][0]["label"] == "GenServer Store"
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert f"livelong dashboard: http://127.0.0.1:{port}/" in err
    assert session(port) is None  # gone with the node


def test_shell_with_dashboard():
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "livelong", "shell", "--script", "-", f"--dashboard={port}"],
        env=env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdin is not None
        # the shell process waits in receive while the test looks at it
        proc.stdin.write("register('from_the_shell', self())\nawait receive('never')\n")
        proc.stdin.close()
        proc.stdin = None  # (communicate must not flush it)
        eventually(lambda: session(port), "the dashboard answers", tries=400)

        def listed():
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/api/v1/processes?filter=from_the_shell")
            rows = json.loads(conn.getresponse().read())["rows"]
            return rows[0]["pid"] if rows else None

        pid = eventually(listed, "the shell process is listed by its name")
        csrf = session(port)["csrf"]
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request(
            "POST", f"/api/v1/processes/{pid[5:-1]}/kill", headers={"X-Livelong-CSRF": csrf}
        )
        assert conn.getresponse().status == 200  # the input ends; then the script does
    finally:
        out, err = proc.communicate(timeout=30)
    assert session(port) is None, (out, err)
    assert "killed" in out
