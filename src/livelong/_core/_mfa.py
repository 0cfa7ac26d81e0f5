"""How the kernel names functions: Erlang's ``{Module, Function, Arity}``, and which
source files are livelong's own (left out of tracebacks and of "current function").

>>> def worker(a, b): ...
>>> mfa(worker)[1:]
('worker', 2)
>>> mfa_text(worker)
'livelong._core._mfa.worker/2'
"""

from __future__ import annotations

import types
from typing import Any

INTERNAL_FILES: set[str] = set()
"""Source files of livelong's kernel: their frames say nothing about a process's code.
Each kernel module adds itself with :func:`internal`."""


def internal(filename: str) -> None:
    """Mark a source file as part of the kernel."""
    INTERNAL_FILES.add(filename)


internal(__file__)


def mfa(fn: Any) -> tuple[str, str, int]:
    """``(module, qualified name, arity)`` of a function, as Erlang's ``{M, F, A}``."""
    code = getattr(fn, "__code__", None)
    if code is None:
        call = getattr(type(fn), "__call__", None)  # noqa: B004 (a callable object)
        code = getattr(call, "__code__", None)
    arity = code.co_argcount if code is not None else 0
    if code is not None and getattr(fn, "__self__", None) is not None:
        arity -= 1
    module = getattr(fn, "__module__", None) or "?"
    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or repr(fn)
    return (module, name, arity)


def code_arity(code: types.CodeType) -> int:
    """Arguments a caller passes: a method's ``self`` or ``cls`` does not count."""
    n = code.co_argcount
    if n and code.co_varnames[0] in ("self", "cls"):
        n -= 1
    return n


def mfa_text(fn: Any) -> str:
    """``module.name/arity`` (``name/arity`` for ``__main__``)."""
    m, f, a = mfa(fn)
    return f"{m}.{f}/{a}" if m not in ("__main__", "?") else f"{f}/{a}"
