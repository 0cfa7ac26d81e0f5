"""The floor for a Python scheduler: bare coroutines driven from a deque run queue,
with a deque mailbox each and no asyncio at all.  No links, no reductions, no
error handling -- only what a message hop (or a spawn with a monitor) strictly
needs.  It shows how close livelong's kernel comes to what CPython can do."""

from __future__ import annotations

import gc
import time
import types
from collections import deque
from collections.abc import Callable, Coroutine, Generator
from typing import Any

now = time.perf_counter


class _Proc:
    __slots__ = ("coro", "mailbox", "waiting", "monitor")

    def __init__(self) -> None:
        self.coro: Coroutine[Any, Any, Any] | None = None
        self.mailbox: deque[Any] = deque()
        self.waiting = False
        self.monitor: _Proc | None = None  # gets ("DOWN", proc) when this one ends


class _Scheduler:
    def __init__(self) -> None:
        self.runq: deque[_Proc] = deque()

    def spawn(self, fn: Callable[..., Any], *args: Any, monitor: _Proc | None = None) -> _Proc:
        p = _Proc()
        p.coro = fn(p, *args)
        p.monitor = monitor
        self.runq.append(p)
        return p

    def send(self, p: _Proc, msg: Any) -> None:
        p.mailbox.append(msg)
        if p.waiting:
            p.waiting = False
            self.runq.append(p)

    def run(self) -> None:
        runq = self.runq
        send = self.send
        while runq:
            p = runq.popleft()
            try:
                p.coro.send(None)  # type: ignore[union-attr]
            except StopIteration:
                p.coro = None
                if p.monitor is not None:
                    send(p.monitor, ("DOWN", p))
                continue
            p.waiting = True


@types.coroutine
def receive(p: _Proc) -> Generator[None, None, Any]:
    mb = p.mailbox
    while not mb:
        yield
    return mb.popleft()


def _collector_as_in_a_node() -> None:
    """Tune the cyclic GC as a running livelong node tunes it (read through the public
    API), so that this floor differs from livelong in the scheduler only."""
    import livelong

    gc.set_threshold(*livelong.run(gc.get_threshold))


# --- ring --------------------------------------------------------------------------------
async def _ring_member(me: _Proc, s: _Scheduler, main: _Proc) -> None:
    send = s.send
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


async def _ring_main(me: _Proc, s: _Scheduler, n: int, laps: int, out: list[float]) -> None:
    send = s.send
    pids = [s.spawn(_ring_member, s, me) for _ in range(n)]
    for p, nxt in zip(pids, pids[1:] + pids[:1], strict=True):
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
    out.append((t1 - t0) * 1e6 / hops)


def ring(n: int, laps: int, repeat: int) -> dict[str, Any]:
    _collector_as_in_a_node()
    out: list[float] = []
    for _ in range(repeat):
        s = _Scheduler()
        s.spawn(_ring_main, s, n, laps, out)
        s.run()
    return {"value": min(out)}


# --- spawn: N coroutines that end at once, each monitored by the spawner ------------------
async def _noop(me: _Proc) -> None:
    return None


async def _spawn_main(me: _Proc, s: _Scheduler, n: int, out: list[float]) -> None:
    spawn = s.spawn
    t0 = now()
    for _ in range(n):
        spawn(_noop, monitor=me)
    for _ in range(n):
        m = await receive(me)
        if m[0] != "DOWN":
            raise AssertionError(f"unexpected message {m!r}")
    t1 = now()
    out.append((t1 - t0) * 1e6 / n)


def spawn_many(n: int, repeat: int) -> dict[str, Any]:
    _collector_as_in_a_node()
    out: list[float] = []
    for _ in range(repeat):
        s = _Scheduler()
        s.spawn(_spawn_main, s, n, out)
        s.run()
    return {"value": min(out)}


BENCHES: dict[str, Callable[..., dict[str, Any]]] = {"ring": ring, "spawn": spawn_many}
