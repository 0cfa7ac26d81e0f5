"""Helpers for the shell's tests: comparing a transcript with what a run showed, and
driving the shell in a real terminal (a tmux pane)."""

from __future__ import annotations

import itertools
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from livelong.shell._transcript import CONTINUATION, PROMPT, Entry

ROOT = Path(__file__).resolve().parents[2]
TRANSCRIPTS = sorted((ROOT / "docs" / "transcripts").glob("*.txt"))
SHELL = [sys.executable, "-m", "livelong", "shell"]

_ID = re.compile(r"#PID<\d+\.\d+\.\d+>|#Reference<\d+(?:\.\d+)+>")
_PROMPTS = (PROMPT.rstrip(), CONTINUATION.rstrip())
_CARETS = re.compile(r"\s*[~^]+\s*")


# --- comparing ------------------------------------------------------------------------


def compare(expected: Sequence[str], actual: Sequence[str]) -> str | None:
    """None when ``actual`` shows what ``expected`` says, else a readable report.

    Lines are compared without trailing spaces.  In ``expected``: ``...`` inside an
    output line stands for any text, a line that is only ``...`` for any number of
    lines, and each pid (or reference) stands for one pid of the run: the same pid
    everywhere, and two different pids never for the same one.  The lines of ``~`` and
    ``^`` that tracebacks put under the failing expression are left out on both
    sides: each Python version draws them differently (3.13 under more lines)."""
    pids: dict[str, str] = {}
    seen: dict[str, str] = {}
    exp = [line.rstrip() for line in expected if not _CARETS.fullmatch(line)]
    act = [line.rstrip() for line in actual if not _CARETS.fullmatch(line)]
    i = j = 0
    while i < len(exp):
        if exp[i] == "...":
            i += 1
            if i == len(exp):
                return None
            while j < len(act) and not _line_matches(exp[i], act[j], pids, seen):
                j += 1
            if j == len(act):
                return _report(exp, act, i, j, "no line matches after '...'")
            i += 1
            j += 1
            continue
        if j >= len(act):
            return _report(exp, act, i, j, "the run showed less")
        if not _line_matches(exp[i], act[j], pids, seen):
            return _report(exp, act, i, j, "lines differ")
        i += 1
        j += 1
    if j < len(act):
        return _report(exp, act, i, j, "the run showed more")
    return None


def _line_matches(exp: str, act: str, pids: dict[str, str], seen: dict[str, str]) -> bool:
    literal = ""
    for prompt in (PROMPT, CONTINUATION):
        if exp.startswith(prompt.rstrip()):
            literal, exp = exp[: len(prompt)], exp[len(prompt) :]
            break
    if literal and not act.startswith(literal.rstrip()):
        return False
    act = act[len(literal) :]
    pattern = ""
    pos = 0
    expected_pids = []
    for m in _ID.finditer(exp):
        pattern += _wild(exp[pos : m.start()], bool(literal)) + f"({_ID.pattern})"
        expected_pids.append(m.group())
        pos = m.end()
    pattern += _wild(exp[pos:], bool(literal))
    m = re.fullmatch(pattern, act)
    if m is None:
        return False
    new_pids, new_seen = dict(pids), dict(seen)
    for want, got in zip(expected_pids, m.groups(), strict=True):
        if new_pids.setdefault(want, got) != got or new_seen.setdefault(got, want) != want:
            return False
    pids.update(new_pids)
    seen.update(new_seen)
    return True


def _wild(text: str, is_input: bool) -> str:
    if is_input:
        return re.escape(text)
    return ".*?".join(re.escape(part) for part in text.split("..."))


def _report(exp: Sequence[str], act: Sequence[str], i: int, j: int, why: str) -> str:
    def show(lines: Sequence[str], at: int) -> str:
        lo = max(0, at - 6)
        return "\n".join(
            f"{'>>' if k == at else '  '} {lines[k]}" for k in range(lo, min(len(lines), at + 4))
        )

    return (
        f"{why}\n--- expected (line {i + 1}):\n{show(exp, i)}"
        f"\n--- shown (line {j + 1}):\n{show(act, j)}"
    )


# --- running in a terminal --------------------------------------------------------------


def have_tmux() -> bool:
    return shutil.which("tmux") is not None


_sockets = itertools.count()


class Terminal:
    """A shell in a tmux pane: keys in, the screen (scrollback included) out."""

    def __init__(self, home: Path, width: int = 200, height: int = 50) -> None:
        self.name = f"livelong-test-{os.getpid()}-{next(_sockets)}"
        self.width = width
        self.height = height
        self.home = home
        self.config = home / "tmux.conf"
        self.config.write_text("set -g remain-on-exit on\nset -g history-limit 5000\n")
        self.env = {
            **os.environ,
            "HOME": str(home),
            "LIVELONG_HISTORY": str(home / "history"),
            "TERM": "xterm-256color",
        }

    def tmux(self, *args: str, input: str | None = None) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.name, "-f", str(self.config), *args],
            input=input,
            capture_output=True,
            text=True,
            env=self.env,
            timeout=10,
        )
        if done.returncode != 0:
            raise RuntimeError(f"tmux {' '.join(args)}: {done.stderr.strip()}")
        return done.stdout

    def start(self, argv: Sequence[str] = SHELL, cwd: Path = ROOT) -> None:
        # tmux does not always learn a dead pane's exit status: the shell writes it down
        self.status_file = self.home / "status"
        self.status_file.unlink(missing_ok=True)
        command = " ".join(_quote(a) for a in argv) + f"; echo $? > {_quote(str(self.status_file))}"
        self.tmux(
            "new-session", "-d", "-x", str(self.width), "-y", str(self.height),
            "-c", str(cwd), command,
        )  # fmt: skip

    def close(self) -> None:
        try:
            self.tmux("kill-server")
        except (RuntimeError, subprocess.TimeoutExpired):
            pass

    def screen(self) -> list[str]:
        lines = self.tmux("capture-pane", "-p", "-J", "-S", "-").split("\n")
        lines = [line.rstrip() for line in lines if not line.startswith("Pane is dead")]
        while lines and not lines[-1]:
            lines.pop()
        return lines

    def type(self, text: str) -> None:
        self.tmux("send-keys", "-l", text)

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", *keys)

    def paste(self, text: str) -> None:
        """Paste ``text`` as a terminal does (bracketed paste)."""
        self.tmux("load-buffer", "-", input=text)
        self.tmux("paste-buffer", "-p", "-d")

    def dead(self) -> int | None:
        """The exit status once the shell has ended, else None."""
        try:
            text = self.status_file.read_text()
        except FileNotFoundError:
            return None
        return int(text) if text.strip() else None

    def wait(
        self, ready: Callable[[list[str]], bool], what: str, timeout: float = 15.0
    ) -> list[str]:
        """Wait until ``ready(screen)`` holds and the screen has stopped changing."""
        deadline = time.monotonic() + timeout
        last: list[str] | None = None
        while time.monotonic() < deadline:
            screen = self.screen()
            if ready(screen):
                if screen == last:
                    return screen
                last = screen
                time.sleep(0.08)
                continue
            last = None
            time.sleep(0.02)
        raise AssertionError(
            f"timed out waiting for {what}; the screen:\n" + "\n".join(self.screen())
        )

    def wait_prompt(self, count: int, timeout: float = 15.0) -> list[str]:
        """Wait for the ``count``-th prompt, empty and last on the screen."""

        def ready(screen: list[str]) -> bool:
            return bool(screen) and screen[-1] == PROMPT.rstrip() and prompts(screen) >= count

        return self.wait(ready, f"prompt #{count}", timeout)

    def wait_exit(self, timeout: float = 15.0) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = self.dead()
            if status is not None:
                return status
            time.sleep(0.02)
        raise AssertionError("the shell did not exit; the screen:\n" + "\n".join(self.screen()))


def prompts(screen: Sequence[str]) -> int:
    return sum(1 for line in screen if line.startswith(PROMPT.rstrip()))


def session_lines(screen: Sequence[str]) -> list[str]:
    """The screen from the first prompt on (the banner is left out)."""
    for k, line in enumerate(screen):
        if line.startswith(PROMPT.rstrip()):
            return list(screen[k:])
    return []


def play(term: Terminal, entries: Sequence[Entry]) -> tuple[list[str], int]:
    """Enter a transcript's inputs as a person would, pressing Ctrl-C where it says so
    and Ctrl-D at its last, empty prompt; the screen and the exit status."""
    term.wait_prompt(1)
    for k, entry in enumerate(entries):
        if k == len(entries) - 1 and not entry.source:
            term.keys("C-d")
            break
        if "\n" in entry.source:
            term.paste(entry.source)
        else:
            term.type(entry.source)
        term.keys("Enter")
        if entry.interrupt:
            _interrupt(term, k + 2)
        term.wait_prompt(k + 2)
    else:
        term.keys("C-d")
    status = term.wait_exit()
    return session_lines(term.screen()), status


def _interrupt(term: Terminal, count: int) -> None:
    time.sleep(0.3)  # the input is running (or waiting) by now
    for _ in range(5):
        term.keys("C-c")
        try:
            term.wait_prompt(count, timeout=2.0)
            return
        except AssertionError:
            continue


def _quote(arg: str) -> str:
    return "'" + arg.replace("'", "'\\''") + "'"
