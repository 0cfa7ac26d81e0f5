"""Agent: state in a process, read and changed by functions sent to it.

>>> import livelong
>>> from livelong import Agent
>>> async def main():
...     counter = await Agent.start_link(lambda: 0)
...     await Agent.update(counter, lambda n: n + 1)
...     Agent.cast(counter, lambda n, k: n + k, 10)
...     old = await Agent.get_and_update(counter, lambda n: (n, n * 2))
...     return old, await Agent.get(counter, lambda n: n)
>>> livelong.run(main)
(11, 22)

Every function runs inside the agent process, one at a time, and may be sync or
async; extra positional arguments follow the state (``fn(state, *args)``, Elixir's
``get(agent, module, fun, args)``).  ``get_and_update``'s function returns
``(value, new_state)``.  A function that raises crashes the agent (and the caller's
``get``/``update`` raises ``Exit`` with that exception as reason).
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, overload

from .._core import Pid
from ._child_spec import ChildSpec
from ._gen_server import GenServer, NoReply, Reply, format_term
from ._seconds import timeout_arg

__all__ = ["Agent"]

T = TypeVar("T")


async def _run(fn: Callable[..., Any], *args: Any) -> Any:
    r = fn(*args)
    if hasattr(r, "__await__"):
        r = await r
    return r


class _AgentServer(GenServer[Any]):
    async def init(self, arg: Any) -> Any:
        fn, args = arg
        return await _run(fn, *args)

    async def handle_call(self, request: Any, from_: Any, state: Any) -> Any:
        op, fn, args = request
        if op == "get":
            return Reply(await _run(fn, state, *args), state)
        if op == "update":
            return Reply(None, await _run(fn, state, *args))
        r = await _run(fn, state, *args)
        if type(r) is not tuple or len(r) != 2:
            raise TypeError(
                f"Agent.get_and_update: {getattr(fn, '__qualname__', fn)!r} returned "
                f"{format_term(r, 200)}; expected (value, new_state)"
            )
        return Reply(r[0], r[1])

    async def handle_cast(self, request: Any, state: Any) -> Any:
        _, fn, args = request
        return NoReply(await _run(fn, state, *args))


def _bind(fn: Callable[..., Any], kwargs: dict[str, Any]) -> Callable[..., Any]:
    """``fn`` with ``kwargs`` bound: the agent runs ``fn(state, *args, **kwargs)``."""
    return functools.partial(fn, **kwargs) if kwargs else fn


def _check(fn: Any, what: str) -> None:
    if not callable(fn):
        raise TypeError(f"{what}: expected a function, got {fn!r}")


class Agent:
    """A process holding state, changed by functions (see the module docs)."""

    @staticmethod
    async def start_link(
        fn: Callable[..., Any],
        /,
        *args: Any,
        name: Any = None,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> Pid:
        """Start an agent linked to the caller with the state ``fn(*args, **kwargs)``
        (``name`` and ``timeout`` are the agent's own options)."""
        _check(fn, "Agent.start_link")
        fn = _bind(fn, kwargs)
        timeout = timeout_arg(timeout, "Agent.start_link: timeout")
        pid = await _AgentServer.start_link((fn, args), name=name, timeout=timeout)
        assert pid is not None
        return pid

    @staticmethod
    async def start(
        fn: Callable[..., Any],
        /,
        *args: Any,
        name: Any = None,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> Pid:
        """Like :meth:`start_link`, not linked."""
        _check(fn, "Agent.start")
        fn = _bind(fn, kwargs)
        timeout = timeout_arg(timeout, "Agent.start: timeout")
        pid = await _AgentServer.start((fn, args), name=name, timeout=timeout)
        assert pid is not None
        return pid

    @staticmethod
    def child_spec(
        fn: Callable[..., Any], *args: Any, id: Any = None, name: Any = None
    ) -> ChildSpec:
        """Spec to supervise an agent whose state starts as ``fn(*args)``."""
        _check(fn, "Agent.child_spec")

        async def start() -> Pid:
            return await Agent.start_link(fn, *args, name=name)

        return ChildSpec(Agent if id is None else id, start)

    @overload
    @staticmethod
    async def get(
        agent: Any,
        fn: Callable[..., Awaitable[T]],
        /,
        *args: Any,
        timeout: float | None = 5.0,
        **kwargs: Any,
    ) -> T: ...
    @overload
    @staticmethod
    async def get(
        agent: Any,
        fn: Callable[..., T],
        /,
        *args: Any,
        timeout: float | None = 5.0,
        **kwargs: Any,
    ) -> T: ...
    @staticmethod
    async def get(
        agent: Any,
        fn: Callable[..., Any],
        /,
        *args: Any,
        timeout: float | None = 5.0,
        **kwargs: Any,
    ) -> Any:
        """``fn(state, *args)``, computed in the agent."""
        _check(fn, "Agent.get")
        fn = _bind(fn, kwargs)
        timeout = timeout_arg(timeout, "Agent.get: timeout")
        return await GenServer.call(agent, ("get", fn, args), timeout)

    @staticmethod
    async def update(
        agent: Any,
        fn: Callable[..., Any],
        /,
        *args: Any,
        timeout: float | None = 5.0,
        **kwargs: Any,
    ) -> None:
        """Replace the state with ``fn(state, *args)``; waits until done."""
        _check(fn, "Agent.update")
        fn = _bind(fn, kwargs)
        timeout = timeout_arg(timeout, "Agent.update: timeout")
        await GenServer.call(agent, ("update", fn, args), timeout)

    @overload
    @staticmethod
    async def get_and_update(
        agent: Any,
        fn: Callable[..., Awaitable[tuple[T, Any]]],
        /,
        *args: Any,
        timeout: float | None = 5.0,
        **kwargs: Any,
    ) -> T: ...
    @overload
    @staticmethod
    async def get_and_update(
        agent: Any,
        fn: Callable[..., tuple[T, Any]],
        /,
        *args: Any,
        timeout: float | None = 5.0,
        **kwargs: Any,
    ) -> T: ...
    @staticmethod
    async def get_and_update(
        agent: Any,
        fn: Callable[..., Any],
        /,
        *args: Any,
        timeout: float | None = 5.0,
        **kwargs: Any,
    ) -> Any:
        """``value, new_state = fn(state, *args)``: set the state, return the value."""
        _check(fn, "Agent.get_and_update")
        fn = _bind(fn, kwargs)
        timeout = timeout_arg(timeout, "Agent.get_and_update: timeout")
        return await GenServer.call(agent, ("get_and_update", fn, args), timeout)

    @staticmethod
    def cast(agent: Any, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> None:
        """Replace the state with ``fn(state, *args)`` without waiting."""
        _check(fn, "Agent.cast")
        fn = _bind(fn, kwargs)
        GenServer.cast(agent, ("update", fn, args))

    @staticmethod
    async def stop(agent: Any, reason: Any = "normal", timeout: float | None = None) -> None:
        """Stop the agent."""
        await GenServer.stop(agent, reason, timeout_arg(timeout, "Agent.stop: timeout"))
