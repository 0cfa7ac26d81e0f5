"""The article's console sessions (docs/transcripts/) replayed against the real shell:
in a real terminal, as a person types them, and through ``--script``."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from shell_harness import ROOT, SHELL, TRANSCRIPTS, Terminal, compare, have_tmux, play

from livelong.shell._transcript import parse

ids = [p.stem for p in TRANSCRIPTS]


def test_there_are_transcripts() -> None:
    assert len(TRANSCRIPTS) >= 4


@pytest.mark.parametrize("path", TRANSCRIPTS, ids=ids)
def test_transcript_in_a_terminal(path: Path, tmp_path: Path) -> None:
    if not have_tmux():
        pytest.skip("tmux is not installed")
    expected = path.read_text().splitlines()
    term = Terminal(tmp_path)
    try:
        term.start()
        shown, status = play(term, parse(path.read_text()))
    finally:
        term.close()
    problem = compare(expected, shown)
    assert problem is None, problem
    assert status == 0


@pytest.mark.parametrize("path", TRANSCRIPTS, ids=ids)
def test_transcript_as_a_script(path: Path) -> None:
    done = subprocess.run(
        [*SHELL, "--script", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    problem = compare(path.read_text().splitlines(), done.stdout.splitlines())
    assert problem is None, problem
