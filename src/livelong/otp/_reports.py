"""What GenServers log and emit: terms truncated for logs, the crash report of a server
that stops abnormally (naming the call that failed when a call of its own did), and the
``("livelong", "gen_server", "call")`` telemetry event of a call's latency.

>>> format_term(list(range(100)))
'[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, ...]'
"""

from __future__ import annotations

import logging
import reprlib
from time import perf_counter as _now
from typing import TYPE_CHECKING, Any

from .._core import Exit
from .._core import self as _self
from ..telemetry import execute as _telemetry_execute
from ._returns import _NOTHING

if TYPE_CHECKING:
    from ._gen_server import GenServer

__all__ = ["format_term"]

logger = logging.getLogger("livelong.gen_server")
CALL_EVENT = ("livelong", "gen_server", "call")

_repr = reprlib.Repr()
_repr.maxlevel = 4
_repr.maxstring = 160
_repr.maxother = 160
_repr.maxlong = 60
for _attr in ("maxtuple", "maxlist", "maxarray", "maxdict", "maxset", "maxfrozenset", "maxdeque"):
    setattr(_repr, _attr, 12)


def format_term(term: Any, limit: int = 1000) -> str:
    """``repr`` of a term, truncated for logs (deep or long values end in ``...``)."""
    try:
        text = _repr.repr(term)
    except Exception as e:  # a broken __repr__ must not hide the report
        text = f"<unprintable {type(term).__name__}: {e!r}>"
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return text


def _is_normal(reason: Any) -> bool:
    return (
        reason == "normal"
        or reason == "shutdown"
        or (type(reason) is tuple and len(reason) == 2 and reason[0] == "shutdown")
    )


def _server_desc(cls: type, name: Any) -> str:
    me = _self()
    return f"{cls.__qualname__} {me!r}" + (f" ({name!r})" if name is not None else "")


def _crash_report(
    server: GenServer[Any],
    name: Any,
    reason: Any,
    last: Any,
    state: Any,
    callback: str,
    raised: BaseException | None = None,
) -> None:
    try:
        shown = server.format_status(state)
    except Exception as e:
        shown = f"<format_status failed: {e!r}>"
    if last is _NOTHING:
        last_text = "(none)"
    elif type(last) is tuple and len(last) == 3 and last[0] == "$gen_call":
        client = last[1][0] if type(last[1]) is tuple and last[1] else "?"
        last_text = f"call {format_term(last[2])} from {client!r}"
    elif type(last) is tuple and len(last) == 2 and last[0] == "$gen_cast":
        last_text = f"cast {format_term(last[1])}"
    else:
        last_text = format_term(last)
    exc = reason if isinstance(reason, BaseException) else None
    why = f"({type(exc).__name__}) {exc}" if exc is not None else format_term(reason)
    if isinstance(raised, Exit) and raised.context:
        # a call of this server's failed: name the call, show this server's traceback
        # (where it called), never the callee's exception's as if it were its own
        why = "(stop) exited in: " + ", ".join(map(repr, raised.context)) + "\n** (EXIT) " + why
        exc = raised
    elif raised is not None:
        exc = raised
    logger.error(
        "GenServer %s terminating in %s\n** %s\nLast message: %s\nState: %s",
        _server_desc(type(server), name),
        callback,
        why,
        last_text,
        format_term(shown),
        exc_info=exc,
    )


def _call_event(started: float, server: Any, request: Any, outcome: str) -> None:
    _telemetry_execute(
        CALL_EVENT,
        {"duration": _now() - started},
        {"server": server, "request": request, "outcome": outcome},
    )
