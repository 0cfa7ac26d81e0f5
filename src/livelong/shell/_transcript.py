"""Shell input read from a file: a transcript, or plain Python typed as at the prompt.

A *transcript* is what a person sees in the shell::

    livelong> pid = spawn(lambda: 1 + 1)
    livelong> Process.alive(pid)
    False
    livelong> class LiveLong:
         ...>     def run():
         ...>         return tail(LiveLong.run)
         ...>

A line that starts with the prompt begins an input, lines that start with the
continuation prompt go on with it, and the other lines are its output.  An input whose
last line ends with the comment ``# Ctrl-C`` is interrupted with Ctrl-C while it runs.

A file without prompts is plain shell input: it is cut into inputs the way the prompt
cuts what is typed (a compound statement ends at an empty line).

No terminal, no node: text in, :class:`Entry` values out.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from ._code import needs_more

__all__ = [
    "CONTINUATION",
    "INTERRUPT",
    "PROMPT",
    "Entry",
    "echo",
    "iter_script",
    "parse",
    "read_inputs",
    "split_script",
]

PROMPT = "livelong> "
CONTINUATION = "     ...> "
INTERRUPT = "# Ctrl-C"


@dataclass(frozen=True)
class Entry:
    """One input and, in a transcript, the output it is expected to show."""

    source: str
    output: tuple[str, ...] = field(default=())

    @property
    def interrupt(self) -> bool:
        """The person pressed Ctrl-C while this input ran."""
        last = self.source.rstrip("\n").rsplit("\n", 1)[-1]
        return last.rstrip().endswith(INTERRUPT)


def echo(source: str) -> str:
    """``source`` as the prompt shows it once it is entered."""
    lines = source.split("\n")
    shown = [PROMPT + lines[0]] + [CONTINUATION + line for line in lines[1:]]
    return "\n".join(line.rstrip() for line in shown)


def is_transcript(text: str) -> bool:
    return any(_starts(line, PROMPT) for line in text.splitlines())


def parse(text: str) -> list[Entry]:
    """The entries of a transcript; lines before the first prompt (a banner) are
    skipped."""
    entries: list[tuple[list[str], list[str]]] = []
    for line in text.splitlines():
        if _starts(line, PROMPT):
            entries.append(([line[len(PROMPT) :]], []))
        elif entries and not entries[-1][1] and _starts(line, CONTINUATION):
            entries[-1][0].append(line[len(CONTINUATION) :])
        elif entries:
            entries[-1][1].append(line)
    return [Entry("\n".join(src), tuple(out)) for src, out in entries]


def split_script(text: str) -> list[Entry]:
    """Plain shell input, cut into inputs; empty lines between inputs are skipped."""
    return list(iter_script(text.splitlines()))


def iter_script(lines: Iterable[str]) -> Iterator[Entry]:
    """:func:`split_script` over lines as they come (from a pipe, say)."""
    pending: list[str] = []
    for line in lines:
        line = line.rstrip("\r\n")
        if not pending and not line.strip():
            continue
        pending.append(line)
        source = "\n".join(pending)
        if not needs_more(source):
            yield Entry(source)
            pending = []
    if pending:
        yield Entry("\n".join(pending) + "\n")


def read_inputs(text: str) -> list[Entry]:
    """The inputs of a file given to ``livelong shell --script``."""
    return parse(text) if is_transcript(text) else split_script(text)


def _starts(line: str, prompt: str) -> bool:
    return line.startswith(prompt) or line == prompt.rstrip()
