"""Shared fixtures for tests that talk to a real epmd or erl node.

Every real process is started on a free loopback port through ``ERL_EPMD_PORT`` so a
system epmd is never touched, and every process a test starts is killed by its pid
when the test ends.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

HOST = socket.gethostname().split(".")[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port}")


@dataclass
class Epmd:
    port: int
    proc: subprocess.Popen[bytes]


def start_epmd() -> Epmd:
    port = free_port()
    proc = subprocess.Popen(["epmd", "-port", str(port), "-address", "127.0.0.1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port)
    return Epmd(port, proc)


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait(10)


@pytest.fixture
def epmd() -> Iterator[Epmd]:
    """A real epmd on a free port, killed at the end."""
    ep = start_epmd()
    try:
        yield ep
    finally:
        stop(ep.proc)


def erl(name: str, cookie: str, epmd_port: int, eval_: str,
        *extra: str) -> subprocess.Popen[bytes]:
    """Start ``erl -sname name`` pointed at ``epmd_port``, running ``eval_``."""
    env = dict(os.environ, ERL_EPMD_PORT=str(epmd_port))
    return subprocess.Popen(
        ["erl", "-sname", name, "-setcookie", cookie, "-noshell", *extra, "-eval", eval_],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def run_erl(name: str, cookie: str, epmd_port: int, eval_: str, *extra: str,
            timeout: float = 30.0) -> str:
    """Run an erl node until it halts (the eval should end with halt()); its output."""
    p = erl(name, cookie, epmd_port, eval_, *extra)
    try:
        out, _ = p.communicate(timeout=timeout)
    finally:
        stop(p)
    return out.decode("utf-8", "replace")
