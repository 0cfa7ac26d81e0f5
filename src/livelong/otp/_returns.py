"""What a GenServer's callbacks return: Elixir's result tuples as small classes.

``Reply(value, state)``, ``NoReply(state)``, ``Stop(reason, state, reply=...)``, and
for ``init`` ``Ok(state)`` and ``Ignore()``; each takes the keywords ``timeout``,
``continue_`` and ``hibernate`` where Elixir's tuples take them.

>>> Reply(1, {"n": 1})
Reply(1, {'n': 1})
>>> NoReply(0, timeout=10**400).timeout is None  # forever
True
"""

from __future__ import annotations

from typing import Any

from ._seconds import timeout_arg

__all__ = ["Reply", "NoReply", "Ok", "Stop", "Ignore"]

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


class Reply:
    """``return Reply(value, state)`` from ``handle_call``: answer the caller with
    ``value`` and go on with ``state`` (Elixir's ``{:reply, value, state}``).
    Keywords ``timeout``, ``continue_`` and ``hibernate`` as the module doc says."""

    __slots__ = ("value", "state", "timeout", "continue_", "hibernate")

    def __init__(
        self,
        value: Any,
        state: Any,
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


class NoReply:
    """``return NoReply(state)``: go on with ``state`` (Elixir's ``{:noreply, state}``).
    From ``handle_call`` it means "I will answer later with ``GenServer.reply``"."""

    __slots__ = ("state", "timeout", "continue_", "hibernate")

    def __init__(
        self,
        state: Any,
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


class Ok(NoReply):
    """``return Ok(state, continue_=..., timeout=...)`` from ``init``: start with
    ``state`` plus an extra, as Elixir's ``{:ok, state, {:continue, arg}}``.  A plain
    ``return state`` is the same as ``Ok(state)``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "Ok" + super().__repr__()[len("NoReply") :]


class Stop:
    """``return Stop(reason, state)``: stop the server with ``reason`` after
    ``terminate(reason, state)``.  From ``handle_call``, ``reply=value`` also answers
    the caller (after ``terminate``).  From ``init``, ``Stop(reason)`` makes the start
    fail."""

    __slots__ = ("reason", "state", "reply")

    def __init__(self, reason: Any, state: Any = None, *, reply: Any = _NOTHING) -> None:
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


def _fields(obj: Any) -> tuple[Any, ...]:
    slots = NoReply.__slots__ if isinstance(obj, NoReply) else type(obj).__slots__
    return tuple(getattr(obj, s) for s in slots)
