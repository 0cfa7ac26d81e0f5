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
    for public in _public_exceptions():
        private = f"{public.__module__}.{public.__qualname__}"
        if private != f"livelong.{public.__qualname__}":
            text = text.replace(private, f"livelong.{public.__qualname__}")
    return text


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
