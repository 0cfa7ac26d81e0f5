"""The article's SimpleGenServer, written twice in examples/: as a raw receive loop and
as a GenServer.  Both get the same messages and must give the same answers."""

from __future__ import annotations

import importlib.util
import logging
import subprocess
import sys
from pathlib import Path

import pytest

import livelong
from livelong import ANY, monitor, receive, send, spawn
from livelong import self as self_pid

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def load(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


raw = load("simple_gen_server_receive")
gen = load("simple_gen_server_genserver")

SCRIPT = [
    ("send_all_values",),
    ("store", 23),
    ("store", "hello"),
    ("send_all_values",),
    ("store", ("a", "tuple")),
    ("store", None),
    ("send_all_values",),
    ("send_all_values",),
]


async def talk(pid):
    """Send SCRIPT to ``pid``; collect the answers; then send a message no clause
    matches and return how the process ended."""
    answers = []
    for step in SCRIPT:
        if step == ("send_all_values",):
            send(pid, ("send_all_values", self_pid()))
            answers.append(await receive(("all_values", ANY), timeout=1))
        else:
            send(pid, step)
    ref = monitor(pid)
    send(pid, ("dance",))
    _, _, _, _, reason = await receive(("DOWN", ref, ANY, ANY, ANY), timeout=1)
    return answers, (type(reason).__name__, str(reason))


def test_both_simple_gen_servers_give_the_same_answers(caplog):
    caplog.set_level(logging.CRITICAL, logger="livelong")

    async def main():
        by_loop = await talk(spawn(raw.start))
        # unlinked: its crash at the end must not take this process down
        by_genserver = await talk(await gen.SimpleGenServer.start())
        return by_loop, by_genserver

    by_loop, by_genserver = livelong.run(main)
    assert by_loop == by_genserver
    answers, crash = by_loop
    assert answers == [
        ("all_values", []),
        ("all_values", ["hello", 23]),
        ("all_values", [None, ("a", "tuple"), "hello", 23]),
        ("all_values", [None, ("a", "tuple"), "hello", 23]),
    ]
    assert crash == ("ValueError", "SimpleGenServer: no clause matches ('dance',)")


@pytest.mark.parametrize("name", ["simple_gen_server_receive", "simple_gen_server_genserver"])
def test_the_examples_run_as_scripts(name):
    out = subprocess.run(
        [sys.executable, str(EXAMPLES / f"{name}.py")],
        capture_output=True, text=True, timeout=30, check=True,
    )  # fmt: skip
    assert "('all_values', ['hello', 23])" in out.stdout
