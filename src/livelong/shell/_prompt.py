"""The interactive front end, on prompt_toolkit: history, tab completion and
multi-line input with automatic indentation.

Enter runs the input once it is complete; inside an open bracket or a compound
statement it starts a new line, and an empty line ends the statement (as in Python's
REPL).  Tab indents at the start of a line and completes names elsewhere.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable
from pathlib import Path

from prompt_toolkit import PromptSession
from prompt_toolkit.application import get_app
from prompt_toolkit.buffer import Buffer
from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document
from prompt_toolkit.filters import Condition
from prompt_toolkit.history import FileHistory, History, InMemoryHistory
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.lexers import Lexer, PygmentsLexer
from prompt_toolkit.patch_stdout import patch_stdout

from ._code import needs_more
from ._session import Session
from ._transcript import CONTINUATION, PROMPT

__all__ = ["PromptFrontend", "history_path"]

_INDENT = "    "
_DEDENT_AFTER = re.compile(r"\s*(return|pass|raise|break|continue)\b")
_WORD = re.compile(r"[A-Za-z_][\w.]*$")


def history_path() -> Path:
    """Where the prompt keeps its history: ``$LIVELONG_HISTORY``, or
    ``~/.livelong_history``."""
    return Path(os.environ.get("LIVELONG_HISTORY") or Path.home() / ".livelong_history")


class PromptFrontend:
    """The interactive prompt (stdin and stdout are a terminal)."""

    def __init__(self, history: Path | None = None) -> None:
        self.history = history if history is not None else history_path()

    def serve(self, session: Session) -> int:
        prompt = self._prompt_session(session)
        print(session.banner, flush=True)
        while True:
            try:
                with patch_stdout(raw=True):  # what other processes print shows above
                    text = prompt.prompt()
            except KeyboardInterrupt:
                print("KeyboardInterrupt", flush=True)
                continue
            except EOFError:
                return 0
            if not text.strip():
                continue
            outcome = session.evaluate(text)
            if outcome.kind == "interrupted" and sys.stdout.isatty():
                sys.stdout.write("\r\x1b[K")  # over the "^C" the terminal echoed
            if outcome.text:
                print(outcome.text, flush=True)
            if outcome.kind == "quit":
                return outcome.code

    def _prompt_session(self, session: Session) -> PromptSession[str]:
        history: History
        try:
            self.history.touch()
            history = FileHistory(str(self.history))
        except OSError:
            history = InMemoryHistory()
        return PromptSession(
            message=PROMPT,
            prompt_continuation=lambda width, line, wrapped: CONTINUATION,
            multiline=True,
            key_bindings=_key_bindings(),
            history=history,
            completer=ShellCompleter(session),
            complete_while_typing=False,
            lexer=_python_lexer(),
            enable_open_in_editor=False,
        )


def _python_lexer() -> Lexer | None:
    try:
        from pygments.lexers.python import PythonLexer
    except ImportError:
        return None
    return PygmentsLexer(PythonLexer)


def _key_bindings() -> KeyBindings:
    kb = KeyBindings()

    @kb.add("enter")
    def _enter(event: KeyPressEvent) -> None:
        buf = event.current_buffer
        if buf.complete_state is not None:
            buf.complete_state = None  # keep the completion chosen in the menu
            return
        text = buf.text
        if needs_more(text):
            new_line(buf)
            return
        lines = text.split("\n")
        if len(lines) > 1 and not lines[-1].strip():
            buf.text = "\n".join(lines[:-1]) + "\n"  # the empty line that ended a block
        buf.validate_and_handle()

    @Condition
    def at_indentation() -> bool:
        return not get_app().current_buffer.document.current_line_before_cursor.strip()

    @kb.add("tab", filter=at_indentation)
    def _indent(event: KeyPressEvent) -> None:
        event.current_buffer.insert_text(_INDENT)

    return kb


def new_line(buf: Buffer) -> None:
    """A new line indented like the current one: one level more after a ``:``, one
    less after ``return``, ``pass``, ``raise``, ``break`` or ``continue``."""
    line = buf.document.current_line_before_cursor
    indent = line[: len(line) - len(line.lstrip())]
    if line.rstrip().endswith(":"):
        indent += _INDENT
    elif _DEDENT_AFTER.match(line) and indent.endswith(_INDENT):
        indent = indent[: -len(_INDENT)]
    buf.insert_text("\n" + indent)


class ShellCompleter(Completer):
    """Tab completion of names and dotted names in the shell's scope."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def get_completions(
        self, document: Document, complete_event: CompleteEvent
    ) -> Iterable[Completion]:
        m = _WORD.search(document.text_before_cursor)
        if m is None:
            return
        word = m.group()
        for found in self._session.complete(word):
            yield Completion(found, start_position=-len(word))
