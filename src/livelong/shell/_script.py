"""The script front end: runs inputs read from a file (``--script FILE``) or a pipe,
echoing each with its prompt and showing its outcome, so the output reads as a
transcript."""

from __future__ import annotations

import threading
from collections.abc import Iterable

from ._session import Outcome, Session
from ._transcript import Entry, echo

__all__ = ["ScriptFrontend"]


class ScriptFrontend:
    """Runs ``entries`` one after the other.  An input marked ``# Ctrl-C`` is
    interrupted once it has run ``interrupt_after`` seconds, as if Ctrl-C were
    pressed (and again each second, until the input ends)."""

    def __init__(self, entries: Iterable[Entry], interrupt_after: float = 0.3) -> None:
        self.entries = entries  # read one at a time: they may come from a pipe
        self.interrupt_after = interrupt_after

    def serve(self, session: Session) -> int:
        for entry in self.entries:
            print(echo(entry.source), flush=True)
            outcome = self._evaluate(session, entry)
            if outcome.text:
                print(outcome.text, flush=True)
            if outcome.kind == "quit":
                return outcome.code
        return 0

    def _evaluate(self, session: Session, entry: Entry) -> Outcome:
        if not entry.interrupt:
            return session.evaluate(entry.source)
        done = threading.Event()

        def press_ctrl_c() -> None:
            delay = self.interrupt_after
            while not done.wait(delay):
                session.interrupt()
                delay = 1.0

        presser = threading.Thread(target=press_ctrl_c, name="livelong-shell-ctrl-c", daemon=True)
        presser.start()
        try:
            return session.evaluate(entry.source)
        finally:
            done.set()
            presser.join()
