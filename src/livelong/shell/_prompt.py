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
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
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
_DEDENT_LINE = re.compile(r"\s*(else|elif\b.*|except\b.*|finally|case\b.*)\s*:\s*(#.*)?$")
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
            with _keys_typed_ahead_kept():
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


@contextmanager
def _keys_typed_ahead_kept() -> Iterator[None]:
    """While an input runs, keep what is typed for the next prompt, Ctrl-D included.

    Between two prompts the terminal is in its cooked mode, where a Ctrl-D typed ahead
    becomes an end-of-file mark that the next prompt (in raw mode) reads as a NUL: the
    Ctrl-D was lost and the shell did not leave.  So while the input runs the terminal
    keeps keys as they are (no line editing, no echo: the next prompt shows them), and
    Ctrl-C still interrupts."""
    fd = sys.stdin.fileno() if sys.stdin.isatty() else -1
    if fd < 0:
        yield
        return
    try:
        import termios

        saved = termios.tcgetattr(fd)
    except (ImportError, OSError):
        yield
        return
    keep = list(saved)
    keep[3] &= ~(termios.ICANON | termios.ECHO)  # lflag; ISIG stays on for Ctrl-C
    keep[6] = list(saved[6])
    keep[6][termios.VMIN], keep[6][termios.VTIME] = 1, 0
    termios.tcsetattr(fd, termios.TCSANOW, keep)
    try:
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSANOW, saved)


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
        dedent_clause(buf)
        text = buf.text
        if needs_more(text):
            new_line(buf)
            return
        lines = text.split("\n")
        if len(lines) > 1 and not lines[-1].strip():
            buf.text = "\n".join(lines[:-1]) + "\n"  # the empty line that ended a block
        _auto.pop(id(buf), None)
        _auto_rows.pop(id(buf), None)
        buf.validate_and_handle()

    @Condition
    def at_indentation() -> bool:
        return not get_app().current_buffer.document.current_line_before_cursor.strip()

    @kb.add("tab", filter=at_indentation)
    def _indent(event: KeyPressEvent) -> None:
        event.current_buffer.insert_text(_INDENT)

    @Condition
    def at_auto_indent() -> bool:
        buf = get_app().current_buffer
        return _auto.get(id(buf)) == (buf.document.cursor_position_row, buf.text)

    @kb.add(" ", filter=at_auto_indent)
    def _typed_indent(event: KeyPressEvent) -> None:
        # Indentation typed by hand (or sent by a terminal without bracketed paste)
        # replaces the automatic one rather than adding to it.
        buf = event.current_buffer
        line = buf.document.current_line_before_cursor
        buf.delete_before_cursor(len(line))
        buf.insert_text(" ")
        _auto.pop(id(buf), None)
        _auto_rows.get(id(buf), set()).discard(buf.document.cursor_position_row)

    return kb


# Where new_line put an automatic indentation that nothing was typed after yet:
# id(buffer) -> (row, the buffer's text then).
_auto: dict[int, tuple[int, str]] = {}


def new_line(buf: Buffer) -> None:
    """A new line indented like the current one: one level more after a ``:``, one
    less after ``return``, ``pass``, ``raise``, ``break`` or ``continue``.  A line
    that opens ``else``, ``elif``, ``except``, ``finally`` (or ``case``) on its
    automatic indentation first moves one level left, as in IPython; indentation the
    user typed is kept as typed."""
    dedent_clause(buf)
    doc = buf.document
    line = doc.current_line_before_cursor
    indent = line[: len(line) - len(line.lstrip())]
    row = doc.cursor_position_row
    left = False  # already a level left of the line above (after a return)
    if line.rstrip().endswith(":"):
        indent += _INDENT
    elif _DEDENT_AFTER.match(line) and indent.endswith(_INDENT):
        indent = indent[: -len(_INDENT)]
        left = True
    buf.insert_text("\n" + indent)
    rows = _auto_rows.setdefault(id(buf), set())
    rows.intersection_update(range(row + 1))
    if indent:
        if not left:
            rows.add(row + 1)
        _auto[id(buf)] = (row + 1, buf.text)
    else:
        _auto.pop(id(buf), None)


# The rows of a buffer whose indentation new_line put there (not typed by hand).
_auto_rows: dict[int, set[int]] = {}


def dedent_clause(buf: Buffer) -> None:
    """Move the current line one level left when it opens ``else``, ``elif``,
    ``except``, ``finally`` or ``case`` on the indentation new_line gave it."""
    doc = buf.document
    line = doc.current_line_before_cursor
    if (
        doc.cursor_position_row in _auto_rows.get(id(buf), ())
        and _DEDENT_LINE.match(line)
        and line.startswith(_INDENT)
    ):
        _auto_rows[id(buf)].discard(doc.cursor_position_row)  # once per line
        buf.cursor_position -= len(line)
        buf.delete(len(_INDENT))
        buf.cursor_position += len(line) - len(_INDENT)


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
