"""Typed user code that mypy --strict and pyright (default and strict) accept."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, assert_type

import livelong
from livelong import GenServer, NoReply, Pid, Reply, Request, Stop, Task


@dataclass(frozen=True)
class Get(Request[int]):
    pass


@dataclass(frozen=True)
class Add(Request[None]):
    n: int


class Counter(GenServer[int]):
    def init(self, arg: int, /) -> int:
        return arg

    def handle_call(
        self, request: object, from_: Any, state: int, /
    ) -> Reply[int, int] | Reply[None, int] | Stop[int]:
        match request:
            case Get():
                return Reply(state, state)
            case Add(n):
                return Reply(None, state + n)
            case _:
                return Stop("bad_request", state)

    def handle_cast(self, request: Any, state: int, /) -> NoReply[int]:
        return NoReply(state + 1)


class Renamed(GenServer[list[str]]):
    # other parameter names than the base class's: fine, they are positional-only there
    def handle_info(self, msg: Any, s: list[str], /) -> NoReply[list[str]]:
        return NoReply([*s, str(msg)])

    async def handle_continue(self, what: Any, items: list[str]) -> NoReply[list[str]]:
        return NoReply(items)


def double(n: int) -> int:
    return 2 * n


async def main() -> int:
    pid = await Counter.start_link_pid(1)
    assert_type(pid, Pid)
    maybe = await Counter.start_link(1)
    assert_type(maybe, Pid | None)
    await GenServer.call(pid, Add(2))
    n = await GenServer.call(pid, Get())
    assert_type(n, int)
    untyped = await GenServer.call(pid, ("anything", 1))
    assert_type(untyped, Any)
    task = Task.async_(double, n)
    assert_type(task, Task[int])
    doubled = await Task.await_(task)
    assert_type(doubled, int)
    return doubled


result = livelong.run(main)
assert_type(result, int)


def remote(node: livelong.Node) -> str:
    async def hello() -> str:
        return "hi"

    return node.call(hello)
