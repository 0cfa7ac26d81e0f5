"""The floor for a Python scheduler: bare coroutines driven from a deque run queue,
with a deque mailbox each and no asyncio at all.  No links, no monitors, no
fairness, no error handling -- only what a message hop strictly needs.  It shows how
close livelong's kernel comes to what CPython can do."""

from __future__ import annotations

import time
import types
from collections import deque
from collections.abc import Coroutine, Generator
from typing import Any

now = time.perf_counter


class _Proc:
    __slots__ = ("coro", "mailbox", "waiting", "monitor")

    def __init__(self) -> None:
        self.coro: Coroutine[Any, Any, Any] | None = None
        self.mailbox: deque[Any] = deque()
        self.waiting = False
        self.monitor: _Proc | None = None


class _Scheduler:
    def __init__(self) -> None:
        self.runq: deque[_Proc] = deque()

    def spawn(self, fn: Any, *args: Any) -> _Proc:
        p = _Proc()
        p.coro = fn(p, *args)
        self.runq.append(p)
        return p

    def send(self, p: _Proc, msg: Any) -> None:
        p.mailbox.append(msg)
        if p.waiting:
            p.waiting = False
            self.runq.append(p)

    def run(self) -> None:
        runq = self.runq
        while runq:
            p = runq.popleft()
            try:
                p.coro.send(None)  # type: ignore[union-attr]
            except StopIteration:
                p.coro = None
                continue
            p.waiting = True


@types.coroutine
def receive(p: _Proc) -> Generator[None, None, Any]:
    mb = p.mailbox
    while not mb:
        yield
    return mb.popleft()


def ring(n: int, laps: int, repeat: int) -> dict[str, Any]:
    best = float("inf")
    for _ in range(repeat):
        s = _Scheduler()
        send = s.send
        result: list[float] = []

        async def member(me: _Proc, main: _Proc) -> None:
            _, nxt = await receive(me)
            send(main, "ready")
            while True:
                t = await receive(me)
                if t == 0:
                    send(main, "ring_done")
                elif type(t) is int:
                    send(nxt, t - 1)
                else:
                    return

        async def main(me: _Proc) -> None:
            pids = [s.spawn(member, me) for _ in range(n)]
            for p, nxt in zip(pids, pids[1:] + pids[:1]):
                send(p, ("next", nxt))
            for _ in range(n):
                await receive(me)
            hops = n * laps
            t0 = now()
            send(pids[0], hops)
            await receive(me)
            t1 = now()
            for p in pids:
                send(p, "stop")
            result.append((t1 - t0) * 1e6 / hops)

        s.spawn(main)
        s.run()
        best = min(best, result[0])
    return {"value": best}


def spawn_many(n: int, repeat: int) -> dict[str, Any]:
    """N coroutines that end at once; each end is a ("DOWN", proc) message to the
    spawner, as a monitor would send."""
    best = float("inf")
    for _ in range(repeat):
        s = _Scheduler()
        runq = s.runq
        result: list[float] = []

        async def noop(me: _Proc) -> None:
            return None

        def run() -> None:  # the scheduler loop, with the monitor's DOWN on exit
            while runq:
                p = runq.popleft()
                try:
                    p.coro.send(None)  # type: ignore[union-attr]
                except StopIteration:
                    p.coro = None
                    if p.monitor is not None:
                        s.send(p.monitor, ("DOWN", p))
                    continue
                p.waiting = True

        async def main(me: _Proc) -> None:
            t0 = now()
            for _ in range(n):
                p = _Proc()
                p.coro = noop(p)
                p.monitor = me
                runq.append(p)
            for _ in range(n):
                m = await receive(me)
                if m[0] != "DOWN":
                    raise AssertionError(f"unexpected message {m!r}")
            t1 = now()
            result.append((t1 - t0) * 1e6 / n)

        s.spawn(main)
        run()
        best = min(best, result[0])
    return {"value": best}


BENCHES = {"ring": ring, "spawn": spawn_many}
