"""One input of the shell: when it is complete, how it compiles, how it runs, and
how its value or its exception is shown.

Plain functions, no node and no terminal: the shell process calls them.  An input is
compiled the way ``python -m asyncio`` compiles it (top-level ``await`` allowed).  When
its last statement is an expression, that expression is compiled apart, so its value
can be shown (``None`` shows nothing, as in Python's own REPL).
"""

from __future__ import annotations

import ast
import codeop
import inspect
import linecache
import os
import pprint
import sys
import traceback
import types
import warnings
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Compiled",
    "compile_input",
    "format_exception",
    "format_syntax_error",
    "format_value",
    "needs_more",
    "run",
]

_FLAGS = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
_SHELL_DIR = os.path.dirname(os.path.abspath(__file__))


def needs_more(text: str) -> bool:
    """True while ``text`` is the start of an input that goes on: an open bracket, or a
    compound statement (``def``, ``class``, ``for``...) not yet ended by an empty line.

    An input with a syntax error is complete: running it reports the error.

    >>> needs_more("1 + 1"), needs_more("(1 +"), needs_more("1 +")
    (False, True, False)
    >>> needs_more("async def f():\\n    return 1"), needs_more("async def f():\\n    return 1\\n")
    (True, False)
    """
    lines = text.split("\n")
    if len(lines) > 1 and not lines[-1].strip():
        text = "\n".join(lines[:-1]) + "\n"  # an empty last line ends a compound statement
    if not text.strip() or _only_comments(text):
        return False
    compiler = codeop.CommandCompiler()
    compiler.compiler.flags |= _FLAGS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return compiler(text, "<shell>", "single") is None
    except (SyntaxError, ValueError, OverflowError):
        return False


def _only_comments(text: str) -> bool:
    return all(not line.strip() or line.lstrip().startswith("#") for line in text.split("\n"))


@dataclass(frozen=True)
class Compiled:
    """An input, compiled: the statements, then the last expression (if the input ends
    with one), whose value is the input's value."""

    filename: str
    body: types.CodeType | None
    last: types.CodeType | None


def compile_input(source: str, filename: str) -> Compiled:
    """Compile one input, with top-level ``await`` allowed.  Raises ``SyntaxError``.

    The source is kept in :mod:`linecache` under ``filename``, so tracebacks through
    code typed at the prompt (now or in a function defined earlier) show its lines.
    """
    lines = [line if line.endswith("\n") else line + "\n" for line in source.splitlines(True)]
    linecache.cache[filename] = (len(source), None, lines, filename)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        tree = ast.parse(source, filename, "exec")
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        body = last_code = None
        if tree.body:
            body = compile(tree, filename, "exec", flags=_FLAGS, dont_inherit=True)
        if isinstance(last, ast.Expr):
            expression = ast.Expression(last.value)
            last_code = compile(expression, filename, "eval", flags=_FLAGS, dont_inherit=True)
    return Compiled(filename, body, last_code)


async def run(compiled: Compiled, namespace: dict[str, Any]) -> Any:
    """Run a compiled input in ``namespace`` (awaiting it when it awaits) and return
    the value of its last expression, or None."""
    if compiled.body is not None:
        done = eval(compiled.body, namespace)
        if compiled.body.co_flags & inspect.CO_COROUTINE:
            await done
    if compiled.last is None:
        return None
    value = eval(compiled.last, namespace)
    if compiled.last.co_flags & inspect.CO_COROUTINE:
        value = await value
    return value


def format_value(value: Any, width: int = 80) -> str:
    """How the shell shows a value: its ``repr``, containers pretty-printed to ``width``
    columns in their own order (pids show as ``#PID<0.86.0>``)."""
    if isinstance(value, (str, bytes)):
        return repr(value)
    return pprint.pformat(value, width=max(width, 40), sort_dicts=False)


def format_exception(exc: BaseException) -> str:
    """A Python traceback of ``exc`` without the shell's own frames, livelong's
    exceptions named by their public names (``livelong.Exit``)."""
    te = traceback.TracebackException.from_exception(exc)
    _trim(te, set())
    text = "".join(te.format()).rstrip("\n")
    if sys.version_info < (3, 12) and not text.endswith("?"):
        # Python 3.11 prints "Did you mean" in C, out of the traceback module's reach.
        hint = suggestion(exc)
        if hint is not None:
            text += f". Did you mean: {hint!r}?"
    for public in _public_exceptions():
        private = f"{public.__module__}.{public.__qualname__}"
        if private != f"livelong.{public.__qualname__}":
            text = text.replace(private, f"livelong.{public.__qualname__}")
    return text


def suggestion(exc: BaseException) -> str | None:
    """The name Python suggests for a misspelt one (a ``NameError`` or an
    ``AttributeError``), as its REPL's "Did you mean" does: the closest known name within
    an edit distance that grows with the name's length, a change of case costing less.

    >>> try:
    ...     [].apend(1)
    ... except AttributeError as e:
    ...     suggestion(e)
    'append'
    """
    wrong = getattr(exc, "name", None)
    if not isinstance(wrong, str):
        return None
    if isinstance(exc, AttributeError):
        try:
            candidates = dir(exc.obj)
        except Exception:
            return None
    elif isinstance(exc, NameError):
        tb = exc.__traceback__
        if tb is None:
            return None
        while tb.tb_next is not None:
            tb = tb.tb_next
        frame = tb.tb_frame
        candidates = [*frame.f_locals, *frame.f_globals, *frame.f_builtins]
    else:
        return None
    return _closest(wrong, candidates)


def _closest(wrong: str, candidates: list[str]) -> str | None:
    best, best_cost = None, None
    for name in set(candidates):
        if name == wrong or abs(len(name) - len(wrong)) > 10:
            continue
        limit = (len(name) + len(wrong) + 3) * _MOVE // 6
        cost = _distance(wrong, name, limit if best_cost is None else min(limit, best_cost))
        if cost <= limit and (best_cost is None or cost < best_cost):
            best, best_cost = name, cost
    return best


_MOVE = 2  # an insertion, deletion or substitution; a change of case alone costs 1


def _distance(a: str, b: str, limit: int) -> int:
    """The edit distance of ``a`` and ``b`` (past ``limit``: some number above it)."""
    row = [i * _MOVE for i in range(len(b) + 1)]
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i * _MOVE
        lowest = row[0]
        for j, cb in enumerate(b, 1):
            sub = 0 if ca == cb else (1 if ca.lower() == cb.lower() else _MOVE)
            prev, row[j] = row[j], min(row[j] + _MOVE, row[j - 1] + _MOVE, prev + sub)
            lowest = min(lowest, row[j])
        if lowest > limit:
            return limit + 1
    return row[-1]


def format_syntax_error(exc: SyntaxError | ValueError | OverflowError) -> str:
    """An input that does not compile: where, and why (no traceback: none ran)."""
    return "".join(traceback.format_exception_only(type(exc), exc)).rstrip("\n")


def _trim(te: traceback.TracebackException, seen: set[int]) -> None:
    if id(te) in seen:
        return
    seen.add(id(te))
    te.stack = traceback.StackSummary.from_list(
        [f for f in te.stack if os.path.dirname(os.path.abspath(f.filename)) != _SHELL_DIR]
    )
    for other in (te.__cause__, te.__context__, *(getattr(te, "exceptions", None) or ())):
        if other is not None:
            _trim(other, seen)


def _public_exceptions() -> list[type[BaseException]]:
    import livelong

    return [
        obj
        for name in livelong.__all__
        if isinstance(obj := getattr(livelong, name), type) and issubclass(obj, BaseException)
    ]
