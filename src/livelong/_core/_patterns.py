"""Message patterns for selective receive.

A pattern is one of:

* ``ANY`` -- matches every message;
* a class -- matches instances of it (``receive(int)``);
* a tuple or list template -- matches a sequence of the same type and length whose
  items match the template's items (``("reply", ref, ANY)``);
* a dict template -- matches a dict holding at least the template's keys, with
  matching values;
* a callable that is not a class -- a predicate called with the message;
* anything else -- matches by equality; ints and strs also need the same type
  (``1`` matches neither ``1.0`` nor ``True``, as Erlang's exact match).

A pattern that raises (``lambda m: m["kind"] == "job"`` given a tuple) does not match,
as an Erlang guard that fails: the kernel matches a receiver's patterns wherever a
message arrives (in the sender's ``send``, in the exit of a process it monitors), and
a receiver's bug must not become the sender's.
"""

from __future__ import annotations

from types import FunctionType as _Function
from typing import Any, Final

from ._mfa import internal

internal(__file__)


class _Any:
    __slots__ = ()

    def __repr__(self) -> str:
        return "ANY"

    def __reduce__(self) -> str:
        return "ANY"


ANY: Final = _Any()


def match(pattern: Any, msg: Any) -> bool:
    """True when ``msg`` matches ``pattern`` (see the module doc)."""
    if pattern is ANY:
        return True
    tp = type(pattern)
    if tp is _Function:  # the commonest pattern in hot paths: a predicate
        return bool(pattern(msg))
    if tp is tuple or tp is list:
        if type(msg) is not tp or len(msg) != len(pattern):
            return False
        i = 0
        for p in pattern:
            m = msg[i]
            i += 1
            if p is m or p is ANY:
                continue
            tpp = type(p)
            if tpp is str or tpp is int:  # the commonest tags: compare without recursing
                if type(m) is not tpp or p != m:
                    return False
            elif not match(p, m):
                return False
        return True
    if tp is dict:
        if not isinstance(msg, dict):
            return False
        for k, p in pattern.items():
            if k not in msg or not match(p, msg[k]):
                return False
        return True
    if isinstance(pattern, type):
        return isinstance(msg, pattern)
    if callable(pattern):
        return bool(pattern(msg))
    if tp is int or tp is str:  # exact, as Erlang's =:=: 1 matches neither 1.0 nor True
        return type(msg) is tp and pattern == msg
    try:
        return bool(pattern == msg)
    except Exception:
        return False


def match_any(patterns: tuple[Any, ...], msg: Any) -> bool:
    """True when ``msg`` matches one of ``patterns``; a pattern that raises does not
    match (the others are still tried).  The kernel matches only through here."""
    if len(patterns) == 1:
        try:  # (a try costs nothing when nothing raises)
            return match(patterns[0], msg)
        except Exception:
            return False
    for p in patterns:
        try:
            if match(p, msg):
                return True
        except Exception:
            pass
    return False

