"""Message patterns for selective receive, and where a receive looks for them.

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

The receive marker
------------------

A selective receive scans the mailbox from its oldest message, so with a long backlog
of unrelated messages every call would cost as much as the backlog is long.  As the
BEAM does, the kernel remembers where the mailbox ended when the caller last made a
ref (``make_ref``, ``monitor``, ``alias``, ``spawn_monitor``): no message before that
index can hold the ref.  A receive starts scanning there when each of its patterns is
a tuple template holding that ref at top level (``("DOWN", ref, ANY, ANY, ANY)``), or
when it is told ``since=ref``.  The record's ``mark_ref``, ``mark_ref2`` and
``mark_at`` hold the marker (see ``_process``): :func:`set_marker` sets it, every
removal before ``mark_at`` moves it back by one (:func:`take`), and :func:`start_at`
says where a receive may start.
"""

from __future__ import annotations

from collections import deque
from itertools import islice
from types import FunctionType as _Function
from typing import TYPE_CHECKING, Any, Final

from ._mfa import internal

if TYPE_CHECKING:
    from ._ids import Ref
    from ._process import Proc

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


# ----------------------------------------------------------------------------------
# The receive marker (see the module doc)


def set_marker(proc: Proc, ref: Ref) -> None:
    """Make ``ref``, just made by ``proc``, its receive marker.  The previous marker
    ref stays valid (as ``mark_ref2``) when no message arrived since it was set, so
    that two refs made back to back (a start's tag and its monitor) both count.
    ``monitor`` and ``spawn_monitor`` inline this."""
    mb = proc.mailbox
    if mb:
        at = len(mb)
        proc.mark_ref2 = proc.mark_ref if proc.mark_at == at else None
        proc.mark_at = at
    else:  # an empty mailbox: the marker is at 0 already, and still right
        proc.mark_ref2 = proc.mark_ref
    proc.mark_ref = ref


def _holds(template: tuple[Any, ...], ref: Any) -> bool:
    for item in template:
        if item is ref:
            return True
    return False


def start_at(proc: Proc, patterns: tuple[Any, ...], since: Any = None) -> int:
    """The mailbox index a receive of ``patterns`` may start scanning at: the
    marker's when ``since`` is a marker ref or when every pattern is a tuple template
    holding one at top level; else 0 (a full scan, never a wrong answer)."""
    at = proc.mark_at
    ref = proc.mark_ref
    if not at or ref is None or not patterns:
        return 0
    ref2 = proc.mark_ref2
    if since is not None:
        return at if since is ref or since is ref2 else 0
    for p in patterns:
        if type(p) is not tuple:
            return 0
        if not (_holds(p, ref) or (ref2 is not None and _holds(p, ref2))):
            return 0
    return at


def find(mb: deque[Any], patterns: tuple[Any, ...], start: int = 0) -> int:
    """The index of the oldest message at ``start`` or after that matches one of
    ``patterns`` (any message if there are none); -1 if none does."""
    n = len(mb)
    if not patterns:
        return start if start < n else -1
    if start == 0:
        i = 0
        for m in mb:
            if match_any(patterns, m):
                return i
            i += 1
        return -1
    if n - start <= 64:  # a short tail: index it (a deque indexes from its nearer end)
        for i in range(start, n):
            if match_any(patterns, mb[i]):
                return i
        return -1
    tail = list(islice(reversed(mb), n - start))  # O(tail), not O(mailbox)
    tail.reverse()
    for i, m in enumerate(tail, start):
        if match_any(patterns, m):
            return i
    return -1


def take(proc: Proc, mb: deque[Any], i: int) -> Any:
    """Remove and return message ``i`` of ``proc``'s mailbox ``mb``, keeping the
    marker on the message it was on."""
    m = mb[i]
    del mb[i]
    if i < proc.mark_at:
        proc.mark_at -= 1
    return m
