"""Typed user code with mistakes: each line marked ``# E`` must be an error for both
mypy and pyright, ``# E pyright`` for pyright (tests/typing/test_typing.py checks
exactly those lines).

mypy, unlike pyright, lets the declared type of the target pick the overload, so it
reads ``name: str = await GenServer.call(pid, Get())`` as the untyped ``call``; it does
report the mismatch once the reply has its type (``reply = await ...``)."""

from __future__ import annotations

from dataclasses import dataclass

import livelong
from livelong import GenServer, NoReply, Pid, Reply, Request, Task


@dataclass(frozen=True)
class Get(Request[int]):
    pass


class Counter(GenServer[int]):
    def handle_cast(self, request: object, state: int, /) -> NoReply[int]:
        return NoReply(state)


async def main() -> None:
    pid = await Counter.start_link_pid(0)
    name: str = await GenServer.call(pid, Get())  # E pyright
    reply = await GenServer.call(pid, Get())
    also: str = reply  # E
    maybe: Pid = await Counter.start_link(0)  # E
    task = Task.async_(lambda: 1)
    text: str = await Task.await_(task)  # E
    print(name, also, maybe, text)


async def answer() -> int:
    return 42


wrong: str = livelong.run(answer)  # E


class BadState(GenServer[int]):
    def handle_call(self, request: object, from_: object, state: int, /) -> Reply[str, str]:  # E
        return Reply("x", "y")
