"""An iex-like interactive shell where the prompt is itself a process.

``livelong shell`` (or ``python -m livelong shell``) opens it on a fresh node::

    livelong> self()
    #PID<0.80.0>
    livelong> 1 + 1
    2
    livelong> self()
    #PID<0.80.0>

Every input runs in the *shell process*, with top-level ``await``: ``await receive()``
takes a message from its mailbox and ``flush()`` prints and empties it.  In scope
without imports: the public livelong API, ``livelong`` itself, and the helpers
``flush()``, ``i(pid)``, ``pid("0.84.0")``, ``processes()``, ``h(obj)`` and
``c("file.py")``.  Ctrl-C interrupts the running input (never the node, never another
process); Ctrl-D leaves the shell and stops the node's processes.

``livelong shell --script FILE`` runs a file of shell input (or a transcript, see
``docs/transcripts/``) and echoes it as a transcript.  See ``docs/shell.md``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ._session import Frontend, LocalSession, Outcome, Session
from ._transcript import iter_script, read_inputs

__all__ = ["LocalSession", "Outcome", "Session", "main"]


def main(
    script: str | None = None,
    remsh: str | None = None,
    on_start: Callable[[], Any] | None = None,
) -> int:
    """``livelong shell [--script FILE] [--remsh NAME@HOST]``; returns the exit status.
    ``on_start`` runs in the node once it runs (``--dashboard`` starts the dashboard)."""
    session: Session
    if remsh is not None:
        from ._remote import RemoteShellUnavailable, connect

        try:
            session = connect(remsh)
        except RemoteShellUnavailable as e:
            print(f"livelong shell: {e}", file=sys.stderr)
            return 2
    else:
        session = LocalSession(on_start=on_start)
    try:
        frontend = _frontend(script)
    except OSError as e:
        print(f"livelong shell: cannot read the script: {e}", file=sys.stderr)
        return 2
    return session.run(frontend)


def _frontend(script: str | None) -> Frontend:
    from ._script import ScriptFrontend

    if script is not None:
        text = sys.stdin.read() if script == "-" else Path(script).read_text(encoding="utf-8")
        return ScriptFrontend(read_inputs(text))
    if sys.stdin.isatty() and sys.stdout.isatty():
        from ._prompt import PromptFrontend

        return PromptFrontend()
    return ScriptFrontend(iter_script(sys.stdin))  # a pipe: each input as it comes
