"""The interactive prompt in a real terminal (a tmux pane): typing with automatic
indentation, tab completion, history, Ctrl-C and Ctrl-D; and the command line."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from shell_harness import ROOT, SHELL, Terminal, have_tmux, session_lines

pytestmark = pytest.mark.skipif(not have_tmux(), reason="tmux is not installed")


@pytest.fixture
def term(tmp_path: Path) -> Iterator[Terminal]:
    t = Terminal(tmp_path)
    t.start()
    t.wait_prompt(1)
    try:
        yield t
    finally:
        t.close()


def enter(term: Terminal, text: str, prompt: int) -> list[str]:
    term.type(text)
    term.keys("Enter")
    return term.wait_prompt(prompt)


def test_banner_then_prompt(term: Terminal) -> None:
    screen = term.screen()
    assert screen[0].startswith("livelong 0.1.0 shell on node nonode@nohost (Python 3.")
    assert screen[0].endswith("h() for help, Ctrl-D to leave")
    assert screen[1] == "livelong>"


def test_typing_a_function_indents_by_itself(term: Terminal) -> None:
    # Each line is typed without its indentation: the prompt adds it after a ":" and
    # takes a level off after "return"; an empty line ends the definition.
    for line in ["async def double():", "n = await receive()", "if n:", "return n * 2"]:
        term.type(line)
        term.keys("Enter")
    term.type("return 0")
    term.keys("Enter", "Enter")
    term.wait_prompt(2)
    enter(term, "send(self(), 21)", 3)
    screen = enter(term, "await double()", 4)
    assert session_lines(screen) == [
        "livelong> async def double():",
        "     ...>     n = await receive()",
        "     ...>     if n:",
        "     ...>         return n * 2",
        "     ...>     return 0",
        "     ...>",
        "livelong> send(self(), 21)",
        "21",
        "livelong> await double()",
        "42",
        "livelong>",
    ]


def test_an_open_bracket_goes_on_to_the_next_line(term: Terminal) -> None:
    term.type("(1 +")
    term.keys("Enter")
    screen = enter(term, "2)", 2)
    assert session_lines(screen)[:3] == ["livelong> (1 +", "     ...> 2)", "3"]


def test_tab_completes_names(term: Terminal) -> None:
    term.type("Process.aliv")
    term.keys("Tab")
    term.wait(lambda s: s[-1] == "livelong> Process.alive(", "the completion")
    screen = enter(term, "self())", 2)
    assert session_lines(screen)[:2] == ["livelong> Process.alive(self())", "True"]


def test_history_and_its_file(term: Terminal) -> None:
    enter(term, "40 + 2", 2)
    term.keys("Up")
    term.wait(lambda s: s[-1] == "livelong> 40 + 2", "the input from history")
    term.keys("Enter")
    screen = term.wait_prompt(3)
    assert session_lines(screen) == [
        "livelong> 40 + 2",
        "42",
        "livelong> 40 + 2",
        "42",
        "livelong>",
    ]
    assert "40 + 2" in (term.home / "history").read_text()


def test_ctrl_c_at_the_prompt_drops_the_input(term: Terminal) -> None:
    term.type("x = 1 +")
    term.keys("C-c")
    term.wait_prompt(2)
    screen = enter(term, "self()", 3)
    assert session_lines(screen)[:3] == [
        "livelong> x = 1 +",
        "KeyboardInterrupt",
        "livelong> self()",
    ]


def test_ctrl_c_interrupts_a_busy_loop_and_ctrl_d_leaves(term: Terminal) -> None:
    enter(term, "me = self()", 2)
    term.type("while True: pass")
    term.keys("Enter", "Enter")
    term.wait(lambda s: s[-1] == "     ...>", "the input to run")
    term.keys("C-c")
    term.wait_prompt(3)
    screen = enter(term, "self() is me", 4)
    assert session_lines(screen)[1:] == [
        "livelong> while True: pass",
        "     ...>",
        "KeyboardInterrupt",
        "livelong> self() is me",
        "True",
        "livelong>",
    ]
    term.keys("C-d")
    assert term.wait_exit() == 0


def test_typed_indentation_is_kept_not_added_to_the_automatic_one(term: Terminal) -> None:
    # As a terminal without bracketed paste sends a pasted block: each line with its own
    # indentation, after the prompt has already indented it.
    for line in ["def f(n):", "    if n:", "        return 1", "    return 2"]:
        term.type(line)
        term.keys("Enter")
    term.keys("Enter")
    term.wait_prompt(2)
    screen = enter(term, "f(0), f(1)", 3)
    assert session_lines(screen) == [
        "livelong> def f(n):",
        "     ...>     if n:",
        "     ...>         return 1",
        "     ...>     return 2",
        "     ...>",
        "livelong> f(0), f(1)",
        "(2, 1)",
        "livelong>",
    ]


def test_finally_and_else_move_left_by_themselves(term: Terminal) -> None:
    for line in ["def g():", "try:", "return 1", "finally:", "print('g')"]:
        term.type(line)
        term.keys("Enter")
    term.keys("Enter")
    term.wait_prompt(2)
    screen = enter(term, "x, y = g(), 2", 3)
    assert session_lines(screen)[:6] == [
        "livelong> def g():",
        "     ...>     try:",
        "     ...>         return 1",
        "     ...>     finally:",
        "     ...>         print('g')",
        "     ...>",
    ]
    for line in ["try:", "x = 1", "finally:", "y = 2"]:
        term.type(line)
        term.keys("Enter")
    term.keys("Enter")
    term.wait_prompt(4)
    for line in ["if x:", "z = 'yes'", "else:", "z = 'no'"]:
        term.type(line)
        term.keys("Enter")
    term.keys("Enter")
    term.wait_prompt(5)
    screen = enter(term, "x, y, z", 6)
    assert session_lines(screen)[8:] == [
        "livelong> try:",
        "     ...>     x = 1",
        "     ...> finally:",
        "     ...>     y = 2",
        "     ...>",
        "livelong> if x:",
        "     ...>     z = 'yes'",
        "     ...> else:",
        "     ...>     z = 'no'",
        "     ...>",
        "livelong> x, y, z",
        "(1, 2, 'yes')",
        "livelong>",
    ]


def test_ctrl_d_typed_ahead_while_an_input_runs_leaves_the_shell(term: Terminal) -> None:
    term.type("await Process.sleep(0.5)")
    term.keys("Enter")
    time.sleep(0.1)  # the input is running: no prompt is drawn yet
    term.keys("C-d")
    assert term.wait_exit() == 0


def test_keys_typed_ahead_while_an_input_runs_reach_the_next_prompt(term: Terminal) -> None:
    term.type("await Process.sleep(0.5)")
    term.keys("Enter")
    time.sleep(0.1)
    term.type("6 * 7")
    term.keys("Enter")
    screen = term.wait_prompt(3)
    assert session_lines(screen)[-3:] == ["livelong> 6 * 7", "42", "livelong>"]


def test_ctrl_c_kills_a_runaway_process_that_holds_the_node(term: Terminal) -> None:
    enter(term, "def runaway():\n    while True: pass\n", 2)
    term.type("p = spawn(runaway)")  # the runaway takes the node: no prompt comes back
    term.keys("Enter")
    screen = term.wait(lambda s: any("runaway process" in line for line in s), "the watchdog", 10)
    # The warning names what stops it here: Ctrl-C (the screen may wrap the line).
    assert "Press Ctrl-C in the shell to kill it." in "".join(screen)
    term.keys("C-c")
    term.wait(lambda s: any("killed runaway process" in line for line in s), "the kill", 10)
    term.wait_prompt(3)
    screen = enter(term, "Process.alive(p)", 4)
    assert session_lines(screen)[-2:] == ["False", "livelong>"]
    term.keys("C-d")
    assert term.wait_exit() == 0


def run_shell(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SHELL, *args], cwd=ROOT, input=stdin, capture_output=True, text=True, timeout=30
    )


def test_remsh_is_not_available_yet() -> None:
    done = run_shell("--remsh", "app@localhost")
    assert done.returncode == 2
    assert "not available yet: needs distribution" in done.stderr
    assert run_shell("--remsh", "nohost").returncode == 2


def test_input_from_a_pipe_reads_as_a_transcript() -> None:
    done = run_shell(stdin="self()\nx = 20\n\nx * 2\n")
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    assert lines[0] == "livelong> self()" and lines[1].startswith("#PID<0.")
    assert lines[2:] == ["livelong> x = 20", "livelong> x * 2", "40"]


def test_a_missing_script() -> None:
    done = run_shell("--script", "no/such/file.txt")
    assert done.returncode == 2
    assert "cannot read the script" in done.stderr
