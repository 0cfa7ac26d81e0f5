"""What a GenServer's callbacks return: Elixir's result tuples as small classes.

``Reply(value, state)``, ``NoReply(state)``, ``Stop(reason, state, reply=...)``, and
for ``init`` ``Ok(state)`` and ``Ignore()``; each takes the keywords ``timeout``,
``continue_`` and ``hibernate`` where Elixir's tuples take them.

>>> Reply(1, {"n": 1})
Reply(1, {'n': 1})
>>> NoReply(0, timeout=10**400).timeout is None  # forever
True

For type checkers the classes are generic: ``Reply[V, S]`` answers a ``V`` and keeps a
state ``S``; ``NoReply[S]``, ``Ok[S]`` and ``Stop[S]`` carry a state ``S``.  The
aliases ``InitResult[S]``, ``CallResult[S]`` and ``NoReplyResult[S]`` are what the
callbacks of a ``GenServer[S]`` return (each may also be awaitable: ``async def``).
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, Generic, TypeAlias, TypeVar

from ._seconds import timeout_arg

__all__ = [
    "Reply",
    "NoReply",
    "Ok",
    "Stop",
    "Ignore",
    "InitResult",
    "CallResult",
    "NoReplyResult",
]

S = TypeVar("S")
V = TypeVar("V")

_NOTHING: Any = type("_Nothing", (), {"__repr__": lambda s: "<nothing>", "__slots__": ()})()


# ----------------------------------------------------------------------------------
# Callback results: Elixir's tuples as small classes


def _extras_repr(timeout: Any, cont: Any, hibernate: bool) -> str:
    s = ""
    if timeout is not None:
        s += f", timeout={timeout!r}"
    if cont is not _NOTHING:
        s += f", continue_={cont!r}"
    if hibernate:
        s += ", hibernate=True"
    return s


def _check_extras(what: str, timeout: Any, cont: Any) -> Any:
    if timeout is not None and cont is not _NOTHING:
        raise ValueError(f"{what}: timeout and continue_ exclude each other")
    return timeout_arg(timeout, f"{what}: timeout")


class Reply(Generic[V, S]):
    """``return Reply(value, state)`` from ``handle_call``: answer the caller with
    ``value`` and go on with ``state`` (Elixir's ``{:reply, value, state}``).
    Keywords ``timeout``, ``continue_`` and ``hibernate`` as the module doc says."""

    __slots__ = ("value", "state", "timeout", "continue_", "hibernate")

    def __init__(
        self,
        value: V,
        state: S,
        *,
        timeout: float | None = None,
        continue_: Any = _NOTHING,
        hibernate: bool = False,
    ) -> None:
        self.value = value
        self.state = state
        if timeout is not None:
            timeout = _check_extras("Reply", timeout, continue_)
        self.timeout = timeout
        self.continue_ = continue_
        self.hibernate = hibernate

    def __repr__(self) -> str:
        extras = _extras_repr(self.timeout, self.continue_, self.hibernate)
        return f"Reply({self.value!r}, {self.state!r}{extras})"

    def __eq__(self, other: object) -> bool:
        return type(other) is Reply and _fields(self) == _fields(other)

    __hash__ = None  # type: ignore[assignment]


class NoReply(Generic[S]):
    """``return NoReply(state)``: go on with ``state`` (Elixir's ``{:noreply, state}``).
    From ``handle_call`` it means "I will answer later with ``GenServer.reply``"."""

    __slots__ = ("state", "timeout", "continue_", "hibernate")

    def __init__(
        self,
        state: S,
        *,
        timeout: float | None = None,
        continue_: Any = _NOTHING,
        hibernate: bool = False,
    ) -> None:
        self.state = state
        if timeout is not None:
            timeout = _check_extras(type(self).__name__, timeout, continue_)
        self.timeout = timeout
        self.continue_ = continue_
        self.hibernate = hibernate

    def __repr__(self) -> str:
        extras = _extras_repr(self.timeout, self.continue_, self.hibernate)
        return f"NoReply({self.state!r}{extras})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and _fields(self) == _fields(other)

    __hash__ = None  # type: ignore[assignment]


class Ok(NoReply[S]):
    """``return Ok(state, continue_=..., timeout=...)`` from ``init``: start with
    ``state`` plus an extra, as Elixir's ``{:ok, state, {:continue, arg}}``.  A plain
    ``return state`` is the same as ``Ok(state)``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "Ok" + super().__repr__()[len("NoReply") :]


class Stop(Generic[S]):
    """``return Stop(reason, state)``: stop the server with ``reason`` after
    ``terminate(reason, state)``.  From ``handle_call``, ``reply=value`` also answers
    the caller (after ``terminate``).  From ``init``, ``Stop(reason)`` makes the start
    fail."""

    __slots__ = ("reason", "state", "reply")

    def __init__(
        self,
        reason: Any,
        state: S = None,  # type: ignore[assignment]  # S comes from the context
        *,
        reply: Any = _NOTHING,
    ) -> None:
        self.reason = reason
        self.state = state
        self.reply = reply

    def __repr__(self) -> str:
        r = f", reply={self.reply!r}" if self.reply is not _NOTHING else ""
        return f"Stop({self.reason!r}, {self.state!r}{r})"

    def __eq__(self, other: object) -> bool:
        return type(other) is Stop and _fields(self) == _fields(other)

    __hash__ = None  # type: ignore[assignment]


class Ignore:
    """``return Ignore()`` from ``init``: do not start; ``start_link`` returns None and a
    supervisor keeps the spec without a process (Elixir's ``:ignore``)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "Ignore()"

    def __eq__(self, other: object) -> bool:
        return type(other) is Ignore

    __hash__ = object.__hash__


#: What ``init`` of a ``GenServer[S]`` returns: the state, ``Ok``, ``Ignore`` or ``Stop``.
InitResult: TypeAlias = S | Ok[S] | Ignore | Stop[S] | Awaitable[S | Ok[S] | Ignore | Stop[S]]
#: What ``handle_call`` returns: ``Reply``, ``NoReply`` or ``Stop`` (or an awaitable of one).
CallResult: TypeAlias = (
    Reply[Any, S] | NoReply[S] | Stop[S] | Awaitable[Reply[Any, S] | NoReply[S] | Stop[S]]
)
#: What ``handle_cast``, ``handle_info`` and ``handle_continue`` return.
NoReplyResult: TypeAlias = NoReply[S] | Stop[S] | Awaitable[NoReply[S] | Stop[S]]


def _fields(obj: Any) -> tuple[Any, ...]:
    slots = NoReply.__slots__ if isinstance(obj, NoReply) else type(obj).__slots__
    return tuple(getattr(obj, s) for s in slots)
