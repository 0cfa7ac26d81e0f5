"""``GenStateMachine``: Erlang's gen_statem (Elixir's GenStateMachine).

A server that is in one *state* at a time and holds *data*.  Each event (a call, a
cast, a plain message, a timeout, an event it queued itself) goes to the state's
method (``callback_mode = "state_functions"``, the default: a method named as the
state) or to ``handle_event(event_type, content, state, data)``
(``callback_mode = "handle_event_function"``, where a state may be any value).

Callbacks return :class:`NextState`, :class:`KeepState`, :class:`KeepStateAndData`
or :class:`Stop` (GenServer's), each with *actions*:

* ``("reply", from_, value)`` answers a call (event type ``("call", from_)``);
* ``"postpone"``: keep this event and retry it after the next change of state;
* ``("next_event", event_type, content)``: handle this event next, before any message;
* ``("state_timeout", seconds, content)``: an event ``"state_timeout"`` unless the
  state changes first (``seconds=None`` cancels);
* ``("timeout", seconds, content)``: an event ``"timeout"`` unless any event comes
  first;
* ``(("timeout", name), seconds, content)``: a named timer, kept across states, event
  type ``("timeout", name)``; set again to restart, ``seconds=None`` to cancel.

``init(arg)`` returns ``(state, data)`` or ``(state, data, [actions])``.  Starting,
calls, casts, stopping and supervision are GenServer's.

>>> import livelong
>>> from livelong import GenStateMachine, NextState, KeepStateAndData
>>> class Door(GenStateMachine):
...     def init(self, code):
...         return "locked", code
...     def locked(self, event_type, content, code):
...         if content == code:
...             return NextState("open", code, ("reply", event_type[1], "opened"),
...                              ("state_timeout", 0.01, "lock"))
...         return KeepStateAndData(("reply", event_type[1], "wrong"))
...     def open(self, event_type, content, code):
...         if event_type == "state_timeout":
...             return NextState("locked", code)
...         return KeepStateAndData("postpone")
>>> async def main():
...     door = await Door.start_link("1234")
...     a = await GenStateMachine.call(door, "0000")
...     b = await GenStateMachine.call(door, "1234")
...     c = await GenStateMachine.call(door, "1234")  # postponed until locked again
...     return a, b, c
>>> livelong.run(main)
('wrong', 'opened', 'opened')
"""

from __future__ import annotations

from collections import deque
from typing import Any

from .._core import Pid, Ref, cancel_timer, send_after
from .._core import self as _self
from ._child_spec import ChildSpec
from ._gen_server import GenServer
from ._returns import NoReply, Stop

__all__ = ["GenStateMachine", "KeepState", "KeepStateAndData", "NextState"]

_TIMEOUT = "$gen_statem_timeout"


class NextState:
    """Go to ``state`` with ``data``, then run ``actions``."""

    __slots__ = ("state", "data", "actions")

    def __init__(self, state: Any, data: Any, *actions: Any) -> None:
        self.state, self.data, self.actions = state, data, actions

    def __repr__(self) -> str:
        return f"NextState({self.state!r}, {self.data!r}, *{self.actions!r})"


class KeepState:
    """Stay in the state with new ``data``, then run ``actions``."""

    __slots__ = ("data", "actions")

    def __init__(self, data: Any, *actions: Any) -> None:
        self.data, self.actions = data, actions

    def __repr__(self) -> str:
        return f"KeepState({self.data!r}, *{self.actions!r})"


class KeepStateAndData:
    """Change nothing, then run ``actions``."""

    __slots__ = ("actions",)

    def __init__(self, *actions: Any) -> None:
        self.actions = actions

    def __repr__(self) -> str:
        return f"KeepStateAndData(*{self.actions!r})"


class _M:
    """The engine's state: the machine, its state and data, and its queues."""

    __slots__ = ("machine", "state", "data", "postponed", "timers", "event_timer", "spec")

    def __init__(self, machine: GenStateMachine, state: Any, data: Any) -> None:
        self.machine, self.state, self.data = machine, state, data
        self.postponed: list[tuple[Any, Any]] = []
        self.timers: dict[Any, Ref] = {}  # "state_timeout" / ("timeout", name) -> ref
        self.event_timer: Ref | None = None
        self.spec: tuple[Any, Any] | None = None  # the event timeout to arm


async def _maybe(r: Any) -> Any:
    if hasattr(r, "__await__"):
        r = await r
    return r


class _Engine(GenServer[Any]):
    async def init(self, arg: Any) -> Any:
        cls, user_arg = arg
        machine = cls()
        r = await _maybe(machine.init(user_arg))
        if isinstance(r, Stop) or type(r).__name__ == "Ignore":
            return r
        if not isinstance(r, tuple) or len(r) not in (2, 3):
            raise TypeError(f"{cls.__qualname__}.init returned {r!r}; expected (state, data)")
        m = _M(machine, r[0], r[1])
        events: deque[tuple[Any, Any]] = deque()
        self._actions(m, r[2] if len(r) == 3 else (), None, events, changed=True)
        r = await self._loop(m, events)
        return Stop(r.reason) if isinstance(r, Stop) else r

    async def handle_call(self, request: Any, from_: Any, m: Any) -> Any:
        return await self._event(m, ("call", from_), request)

    async def handle_cast(self, request: Any, m: Any) -> Any:
        return await self._event(m, "cast", request)

    async def handle_info(self, msg: Any, m: Any) -> Any:
        if type(msg) is tuple and len(msg) == 4 and msg[0] == _TIMEOUT:
            _, kind, ref, content = msg
            if kind == "timeout":
                if m.event_timer is not ref:
                    return NoReply(m)
                m.event_timer = None
            elif m.timers.get(kind) is ref:
                del m.timers[kind]
            else:
                return NoReply(m)  # cancelled or restarted meanwhile
            return await self._event(m, kind, content)
        return await self._event(m, "info", msg)

    async def terminate(self, reason: Any, m: Any) -> None:
        if isinstance(m, _M):
            await _maybe(m.machine.terminate(reason, m.state, m.data))

    async def _event(self, m: _M, event_type: Any, content: Any) -> Any:
        if m.event_timer is not None and event_type != "timeout":
            cancel_timer(m.event_timer)
            m.event_timer = None
        r = await self._loop(m, deque([(event_type, content)]))
        return r if isinstance(r, Stop) else NoReply(r)

    async def _loop(self, m: _M, events: deque[tuple[Any, Any]]) -> Any:
        while events:
            event_type, content = events.popleft()
            mach = m.machine
            if mach.callback_mode == "handle_event_function":
                r = mach.handle_event(event_type, content, m.state, m.data)
            else:
                fn = getattr(mach, m.state, None) if isinstance(m.state, str) else None
                if fn is None:
                    raise TypeError(f"{type(mach).__qualname__}: no method for state {m.state!r}")
                r = fn(event_type, content, m.data)
            r = await _maybe(r)
            if isinstance(r, Stop):
                if r.state is not None:
                    m.data = r.state
                return Stop(r.reason, m)
            if isinstance(r, NextState):
                changed = r.state != m.state
                m.state, m.data = r.state, r.data
            elif isinstance(r, KeepState):
                changed = False
                m.data = r.data
            elif isinstance(r, KeepStateAndData):
                changed = False
            else:
                raise TypeError(
                    f"{type(mach).__qualname__}: state callback returned {r!r}; expected "
                    "NextState, KeepState, KeepStateAndData or Stop"
                )
            self._actions(m, r.actions, (event_type, content), events, changed)
        self._arm_event_timer(m)
        return m

    def _actions(
        self,
        m: _M,
        actions: Any,
        event: tuple[Any, Any] | None,
        events: deque[tuple[Any, Any]],
        changed: bool,
    ) -> None:
        if changed and "state_timeout" in m.timers:
            cancel_timer(m.timers.pop("state_timeout"))
        postpone = False
        inserted: list[tuple[Any, Any]] = []
        m.spec = None
        for a in actions:
            if a == "postpone":
                postpone = True
            elif type(a) is tuple and len(a) == 3 and a[0] == "reply":
                GenServer.reply(a[1], a[2])
            elif type(a) is tuple and len(a) == 3 and a[0] == "next_event":
                inserted.append((a[1], a[2]))
            elif type(a) is tuple and len(a) == 3 and a[0] == "timeout":
                m.spec = (a[1], a[2])
            elif (
                type(a) is tuple
                and len(a) == 3
                and (a[0] == "state_timeout" or (type(a[0]) is tuple and a[0][:1] == ("timeout",)))
            ):
                kind, seconds, content = a
                old = m.timers.pop(kind, None)
                if old is not None:
                    cancel_timer(old)
                if seconds is not None:
                    ref = Ref()
                    m.timers[kind] = ref
                    send_after(_self(), (_TIMEOUT, kind, ref, content), seconds)
            else:
                raise ValueError(f"{type(m.machine).__qualname__}: unknown action {a!r}")
        if postpone and event is not None:
            m.postponed.append(event)
        events.extendleft(reversed(inserted))
        if changed and m.postponed:
            retry, m.postponed = m.postponed, []
            at = len(inserted)
            for i, e in enumerate(retry):  # after the inserted events, before the rest
                events.insert(at + i, e)

    def _arm_event_timer(self, m: _M) -> None:
        spec, m.spec = m.spec, None
        if spec is None or spec[0] is None:
            return
        ref = Ref()
        m.event_timer = ref
        send_after(_self(), (_TIMEOUT, "timeout", ref, spec[1]), spec[0])


class GenStateMachine:
    """Base class of a state machine (see the module docs)."""

    callback_mode: str = "state_functions"

    def init(self, arg: Any) -> Any:
        """``(state, data)`` or ``(state, data, [actions])``."""
        raise NotImplementedError(f"{type(self).__qualname__} must define init(arg)")

    def handle_event(self, event_type: Any, content: Any, state: Any, data: Any) -> Any:
        """The callback in ``"handle_event_function"`` mode."""
        raise NotImplementedError(f"{type(self).__qualname__} must define handle_event")

    def terminate(self, reason: Any, state: Any, data: Any) -> Any:
        """Called when the machine stops."""

    @classmethod
    async def start_link(
        cls, arg: Any = None, *, name: Any = None, timeout: float | None = None
    ) -> Pid | None:
        """Start the machine linked to the caller; returns its pid once ``init`` ran."""
        return await _Engine.start_link((cls, arg), name=name, timeout=timeout)

    @classmethod
    async def start(
        cls, arg: Any = None, *, name: Any = None, timeout: float | None = None
    ) -> Pid | None:
        """Like :meth:`start_link` without the link."""
        return await _Engine.start((cls, arg), name=name, timeout=timeout)

    @classmethod
    def child_spec(cls, arg: Any = None, **overrides: Any) -> ChildSpec:
        """How a supervisor starts this machine (``cls.start_link(arg)``)."""
        child_id = overrides.pop("id", cls)
        return ChildSpec(child_id, (cls.start_link, (arg,)), **overrides)

    call = staticmethod(GenServer.call)
    cast = staticmethod(GenServer.cast)
    reply = staticmethod(GenServer.reply)
    stop = staticmethod(GenServer.stop)
