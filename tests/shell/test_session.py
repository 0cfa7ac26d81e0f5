"""A local shell session, driven in this process by a scripted front end: the shell
process, Ctrl-C, exits, completion and leaving."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from livelong.shell import LocalSession, Outcome, Session

Step = str | Callable[[Session], Outcome]


class Scripted:
    """A front end that enters ``steps`` (a source, or a function of the session) and
    keeps the outcomes."""

    def __init__(self, *steps: Step) -> None:
        self.steps = steps
        self.outcomes: list[Outcome] = []

    def serve(self, session: Session) -> int:
        for step in self.steps:
            outcome = session.evaluate(step) if isinstance(step, str) else step(session)
            self.outcomes.append(outcome)
            if outcome.kind == "quit":
                return outcome.code
        return 0


def shell(*steps: Step) -> tuple[list[Outcome], int]:
    front = Scripted(*steps)
    status = LocalSession().run(front)
    return front.outcomes, status


def texts(outcomes: list[Outcome]) -> list[str]:
    return [o.text for o in outcomes]


def interrupted(source: str, after: float = 0.3) -> Callable[[Session], Outcome]:
    """Enter ``source`` and press Ctrl-C once it has run ``after`` seconds."""

    def step(session: Session) -> Outcome:
        timer = threading.Timer(after, session.interrupt)
        timer.start()
        try:
            return session.evaluate(source)
        finally:
            timer.cancel()

    return step


def test_the_prompt_is_a_process_with_a_stable_pid() -> None:
    outcomes, status = shell("self()", "1 + 1", "self()")
    first, two, again = texts(outcomes)
    assert first.startswith("#PID<0.") and first == again
    assert two == "2"
    assert status == 0


def test_none_shows_nothing_and_underscore_is_the_last_value() -> None:
    outcomes, _ = shell("x = 40", "None", "x + 2", "_")
    assert texts(outcomes) == ["", "", "42", "42"]


def test_an_exception_is_shown_and_the_shell_goes_on() -> None:
    outcomes, _ = shell("self()", "1 / 0", "undefined_name", "1 +", "self()")
    assert [o.kind for o in outcomes] == ["value", "error", "error", "error", "value"]
    assert outcomes[1].text.endswith("ZeroDivisionError: division by zero")
    assert outcomes[2].text.endswith("NameError: name 'undefined_name' is not defined")
    assert outcomes[3].text.endswith("SyntaxError: invalid syntax")
    assert outcomes[0].text == outcomes[4].text


def test_exit_is_shown_the_iex_way() -> None:
    outcomes, _ = shell('exit("boom")', 'exit(("shutdown", 1))')
    assert texts(outcomes) == ["** (exit) 'boom'", "** (exit) ('shutdown', 1)"]


def test_await_receive_takes_from_the_shells_mailbox() -> None:
    outcomes, _ = shell(
        "pid = spawn(lambda me: send(me, 'hi'), self())",
        "await receive()",
        "send(self(), ('a', 1)); send(self(), ('b', 2))",
        "await receive(('b', ANY))",
        "Process.info(self(), 'messages')",
    )
    assert texts(outcomes)[1:] == ["'hi'", "('b', 2)", "('b', 2)", "[('a', 1)]"]


@pytest.mark.parametrize(
    "source",
    [
        "await receive()",  # waiting for a message: cancelled in the loop
        "await Process.sleep(30)",  # waiting on an asyncio future
        "while True: pass",  # busy in its own code: KeyboardInterrupt raised there
        "import time; time.sleep(30)",  # blocked in C: the signal wakes it
        "for n in range(10**9):\n    await Process.sleep(0)\n",  # yielding all the time
    ],
)
def test_ctrl_c_interrupts_only_the_running_input(source: str) -> None:
    started = time.monotonic()
    outcomes, status = shell(
        "self()",
        "spawn(lambda: tail(lambda: None)) and None",
        "async def wait():\n    await receive()\n",
        "waiter = spawn(wait)",
        interrupted(source),
        "self()",
        "Process.alive(waiter)",
    )
    assert time.monotonic() - started < 10
    assert outcomes[4] == Outcome("interrupted", "KeyboardInterrupt")
    assert outcomes[5].text == outcomes[0].text  # the same shell process
    assert outcomes[6].text == "True"  # the other process is untouched
    assert status == 0


def test_ctrl_c_when_nothing_runs_does_nothing() -> None:
    def press(session: Session) -> Outcome:
        session.interrupt()
        time.sleep(0.2)
        return session.evaluate("self()")

    outcomes, status = shell("self()", press, "1 + 1")
    assert outcomes[1].text == outcomes[0].text
    assert outcomes[2].text == "2"
    assert status == 0


def test_a_busy_process_leaves_the_shell_responsive() -> None:
    outcomes, _ = shell(
        "class LiveLong:\n    def run():\n        return tail(LiveLong.run)\n",
        "pid = spawn(LiveLong.run)",
        "Process.alive(pid)",
        "Process.info(pid)['status']",
        "Process.info(pid)['current_function']",
        "Process.exit(pid, 'kill')",
        "Process.alive(pid)",
    )
    assert texts(outcomes)[2:] == [
        "True",
        "'running'",
        "('__main__', 'LiveLong.run', 0)",
        "True",
        "False",
    ]


def test_an_exit_signal_ends_the_shell_process_and_another_takes_over() -> None:
    outcomes, _ = shell(
        "before = self()",
        "spawn_link(lambda: exit('boom'))",
        "self() != before",
        "before",  # the variables survive
        "Process.exit(self(), 'kill')",
    )
    assert outcomes[1].kind == "exited"
    pid_line, notice = outcomes[1].text.splitlines()
    assert pid_line.startswith("#PID<")
    assert notice.startswith("** (EXIT from #PID<0.")
    assert notice.endswith("shell process exited with reason: 'boom'")
    assert outcomes[2].text == "True"
    assert outcomes[3].text.startswith("#PID<")
    assert outcomes[4].kind == "exited" and outcomes[4].text.endswith("reason: 'killed'")


def test_quit_leaves_with_its_status() -> None:
    outcomes, status = shell("1", "raise SystemExit(3)", "2")
    assert [o.kind for o in outcomes] == ["value", "quit"]
    assert status == 3


def test_leaving_stops_every_process_and_restores_sigint() -> None:
    stopped: list[int] = []

    def setup(session: Session) -> Outcome:
        assert isinstance(session, LocalSession)
        session.namespace["stopped"] = stopped
        return session.evaluate(
            "async def worker(n):\n"
            "    try:\n"
            "        await receive()\n"
            "    finally:\n"
            "        stopped.append(n)\n"
        )

    shell(setup, "spawn(worker, 1)", "spawn(worker, 2)")
    assert stopped == [1, 2]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_completion() -> None:
    session = LocalSession()
    assert session.complete("Process.aliv") == ["Process.alive("]
    spawns = session.complete("spawn")
    assert {"spawn(", "spawn_link(", "spawn_monitor("} <= set(spawns)
    assert session.complete("proc") == ["processes()"]  # () when it takes no argument
    assert "livelong" in session.complete("livel")
    assert session.complete("no_such_") == []


def test_helpers_are_shadowed_by_variables_until_deleted() -> None:
    outcomes, _ = shell("pid = spawn(lambda: None)", "callable(pid)", "del pid", "callable(pid)")
    assert texts(outcomes)[1:] == ["False", "", "True"]


def test_crash_reports_are_shown(capsys: Any) -> None:
    shell("spawn(lambda: 1 / 0) and None")
    out = capsys.readouterr().out
    assert "[error] Process #PID<0." in out
    assert "** (ZeroDivisionError) division by zero" in out


def test_ctrl_c_waits_until_code_is_out_of_the_kernel() -> None:
    """An interrupt raised inside livelong's own code (between recording a spawned
    process and queueing it, say) would corrupt the node: the handler only raises in
    the process's own code, and retries a moment later otherwise."""
    import sys

    from livelong import match
    from livelong.shell._session import _inside_livelong

    seen: list[bool] = []

    def predicate(msg: Any) -> bool:
        seen.append(_inside_livelong(sys._getframe(1)))  # the frame of livelong's match
        seen.append(_inside_livelong(sys._getframe(0)))  # this test's own code
        return True

    assert match(predicate, "anything")
    assert seen == [True, False]


def test_bare_exit_says_how_to_leave_and_exit_with_a_reason_still_ends_a_process(
    capsys: pytest.CaptureFixture[str],
) -> None:
    outcomes, status = shell(
        "exit()",
        "p, ref = spawn_monitor(lambda: exit('bye'))",
        "(await receive())[4]",
        "exit",
    )
    assert capsys.readouterr().out.count("to leave the shell: quit() or Ctrl-D") == 1
    assert [o.kind for o in outcomes] == ["value"] * 4
    assert status == 0
    assert outcomes[2].text == "'bye'"
    assert "quit() or Ctrl-D" in outcomes[3].text


def test_c_of_a_file_that_calls_livelong_run_at_module_level_says_what_to_do(tmp_path) -> None:
    app = tmp_path / "quickstart.py"
    app.write_text(
        "import livelong\n\nasync def main():\n    return 42\n\nprint(livelong.run(main))\n"
    )
    outcomes, _ = shell(f"c({str(app)!r})", "1")
    assert outcomes[0].kind == "error"
    assert "if __name__ == '__main__':" in outcomes[0].text
    assert "Cannot run the event loop" not in outcomes[0].text
    assert outcomes[1].text == "1"  # the shell goes on
