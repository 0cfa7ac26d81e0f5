"""The shell's helpers, run inside a process of a node (as the shell runs them)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

import livelong
from livelong import Pid, Process, receive, self, send, spawn, tail
from livelong.shell._helpers import function_text, make_helpers


def in_process(fn: Any) -> Any:
    """Run ``fn(helpers, namespace)`` in a process of a fresh node; its result."""
    namespace: dict[str, Any] = {}
    helpers = make_helpers(namespace)

    async def main() -> Any:
        result = fn(helpers, namespace)
        if hasattr(result, "__await__"):
            result = await result
        return result

    return livelong.run(main)


async def wait_forever() -> None:
    await receive()


class LiveLong:
    def run() -> Any:  # type: ignore[misc]
        return tail(LiveLong.run)


def test_function_text() -> None:
    assert function_text(("__main__", "LiveLong.run", 0)) == "LiveLong.run/0"
    assert function_text(("store", "Store.loop", 1)) == "store.Store.loop/1"
    assert function_text(None) == "None"


def test_flush_prints_every_message_and_empties_the_mailbox(capsys: Any) -> None:
    def go(h: dict, ns: dict) -> int:
        send(self(), ("all_values", ["hello", 23]))
        send(self(), "second")
        assert h["flush"]() is None
        return Process.info(self(), "message_queue_len")

    assert in_process(go) == 0
    assert capsys.readouterr().out == "('all_values', ['hello', 23])\n'second'\n"


def test_flush_on_an_empty_mailbox_says_so(capsys: Any) -> None:
    in_process(lambda h, ns: h["flush"]())
    assert capsys.readouterr().out == "# the mailbox is empty\n"


def test_pid_from_text_is_the_live_pid() -> None:
    def go(h: dict, ns: dict) -> None:
        me = self()
        text = f"0.{me.id}.0"
        for form in (text, f"<{text}>", f"#PID<{text}>", repr(me)):
            assert h["pid"](form) is me
        assert h["pid"](0, me.id, 0) is me
        gone = h["pid"]("0.100000.0")
        assert isinstance(gone, Pid) and not Process.alive(gone)

    in_process(go)


@pytest.mark.parametrize("bad", ["garbage", "0.84", "", "#PID<a.b.c>"])
def test_pid_of_garbage_is_a_clear_error(bad: str) -> None:
    def go(h: dict, ns: dict) -> None:
        with pytest.raises(ValueError, match=r"expected a pid as text, like pid\(\"0.84.0\"\)"):
            h["pid"](bad)

    in_process(go)


def test_pid_on_another_node_needs_distribution() -> None:
    def go(h: dict, ns: dict) -> None:
        with pytest.raises(ValueError, match="until livelong has distribution"):
            h["pid"]("3.84.0")

    in_process(go)


def test_i_shows_a_process(capsys: Any) -> None:
    async def main(h: dict, ns: dict) -> None:
        pid = spawn(wait_forever)
        await Process.sleep(0)
        livelong.register("waiter", pid)
        h["i"](pid)
        h["i"]("waiter")
        Process.exit(pid, "kill")
        await Process.sleep(0)
        h["i"](pid)

    in_process(main)
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("Process #PID<0.")
    assert "  status            waiting" in out
    assert "  registered name   waiter" in out
    assert any(line.startswith("  current function  ") and "wait_forever/0" in line for line in out)
    assert out.count(out[0]) == 2  # by pid and by name
    assert out[-1].endswith("is not alive")


def test_i_shows_a_busy_process_running(capsys: Any) -> None:
    async def main(h: dict, ns: dict) -> None:
        pid = spawn(LiveLong.run)
        await Process.sleep(0)
        h["i"](pid)
        Process.exit(pid, "kill")

    in_process(main)
    out = capsys.readouterr().out
    assert "  status            running" in out
    assert "current function  test_helpers.LiveLong.run/0" in out


def test_i_with_no_argument_is_the_caller_and_any_term_is_described(capsys: Any) -> None:
    in_process(lambda h, ns: (h["i"](), h["i"](42), h["i"]("nobody")))
    out = capsys.readouterr().out
    assert out.startswith("Process #PID<0.")
    assert "Term\n  42\nData type\n  int\n" in out
    assert "no process is registered as 'nobody'" in out


def test_processes_is_a_table(capsys: Any) -> None:
    async def main(h: dict, ns: dict) -> None:
        pid = spawn(wait_forever)
        livelong.register("waiter", pid)
        await Process.sleep(0)
        h["processes"]()

    in_process(main)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == [
        "PID",
        "NAME",
        "CURRENT",
        "FUNCTION",
        "QUEUE",
        "MEMORY",
        "REDUCTIONS",
    ]
    assert len(lines) == 3
    assert lines[2].split()[1:3] == ["waiter", "test_helpers.wait_forever/0"]


def test_h(capsys: Any) -> None:
    in_process(lambda h, ns: (h["h"](), h["h"](Process.alive), h["h"](Process)))
    out = capsys.readouterr().out
    assert "  flush()" in out and '  pid("0.84.0")' in out and "Helpers:" in out
    assert "Process.alive(pid)\n\n    True while `pid` is a live local process." in out
    assert "class Process" in out and "  alive(pid)" in out and "  info(pid, key=None)" in out


def test_c_loads_a_file_and_binds_its_names(tmp_path: Path) -> None:
    file = tmp_path / "counter_example.py"
    file.write_text(
        "from livelong import receive, tail\n"
        "LIMIT = 3\n"
        "class Counter:\n"
        "    async def loop(n):\n"
        "        await receive()\n"
        "        return tail(Counter.loop, n + 1)\n"
        "def helper():\n"
        "    return 'help'\n"
    )

    def go(h: dict, ns: dict) -> list[str]:
        names = h["c"](str(file))
        assert ns["Counter"].loop.__module__ == "counter_example"
        assert ns["helper"]() == "help"
        assert "LIMIT" not in ns  # only what the file defines: its classes and functions
        file.write_text(file.read_text().replace("'help'", "'again'"))
        h["c"](str(file))
        assert ns["helper"]() == "again"
        return names

    try:
        assert in_process(go) == ["Counter", "helper"]
        assert "counter_example" in sys.modules
    finally:
        sys.modules.pop("counter_example", None)


def test_c_of_a_missing_file(tmp_path: Path) -> None:
    def go(h: dict, ns: dict) -> None:
        with pytest.raises(FileNotFoundError, match="c: no such file: 'nope.py'"):
            h["c"]("nope.py")

    in_process(go)


def test_c_does_not_replace_an_imported_module(tmp_path: Path) -> None:
    file = tmp_path / "json.py"
    file.write_text("def dumps(x):\n    return 'mine'\n")

    def go(h: dict, ns: dict) -> None:
        import json

        h["c"](str(file))
        assert sys.modules["json"] is json
        assert ns["dumps"](1) == "mine"

    in_process(go)


def test_h_of_genserver_shows_docs_without_markup_and_whole_sentences(capsys) -> None:
    helpers = make_helpers({})
    helpers["h"](livelong.GenServer)
    text = capsys.readouterr().out
    assert "``" not in text and ":meth:" not in text and ":class:" not in text
    members = text.split("Members:\n", 1)[1].splitlines()
    start_link = next(line for line in members if line.startswith("  start_link("))
    assert start_link.endswith("returns its pid when `init` is done (None after `Ignore()`).")
    assert all(line.rstrip().endswith((".", ")", "?", "!")) for line in members if line)
