"""The livelong side of each benchmark.  Every function runs in a fresh
subprocess (see :mod:`._worker`) and returns a dict of figures.

Each one does what its counterpart in ``ring.erl`` does, step for step."""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Callable
from typing import Any

import livelong
from livelong import Process, receive, receive_nowait, send, spawn, spawn_monitor, tail

from . import _memory

now = time.perf_counter


# --- ring: N processes pass an integer token around, `laps` times; µs per hop ---------
async def _ring_member(main: livelong.Pid) -> None:
    _, nxt = await receive()  # ("next", pid)
    send(main, "ready")
    while True:
        t = await receive()
        if t == 0:
            send(main, "ring_done")
        elif type(t) is int:
            send(nxt, t - 1)
        else:  # "stop"
            return


async def _ring_once(n: int, laps: int) -> float:
    me = livelong.self()
    pids = [spawn(_ring_member, me) for _ in range(n)]
    for p, nxt in zip(pids, pids[1:] + pids[:1], strict=True):
        send(p, ("next", nxt))
    for _ in range(n):
        await receive()  # "ready"
    hops = n * laps
    t0 = now()
    send(pids[0], hops)
    await receive()  # "ring_done"
    t1 = now()
    for p in pids:
        send(p, "stop")
    return (t1 - t0) * 1e6 / hops


def ring(n: int, laps: int, repeat: int) -> dict[str, Any]:
    async def main() -> float:
        return min([await _ring_once(n, laps) for _ in range(repeat)])

    return {"value": livelong.run(main)}


# --- ring written with tail calls instead of a while loop (the Erlang shape) -----------
async def _tail_member(main: livelong.Pid) -> Any:
    _, nxt = await receive()
    send(main, "ready")
    return tail(_tail_loop, nxt, main)


async def _tail_loop(nxt: livelong.Pid, main: livelong.Pid) -> Any:
    t = await receive()
    if t == 0:
        send(main, "ring_done")
    elif type(t) is int:
        send(nxt, t - 1)
    else:
        return None
    return tail(_tail_loop, nxt, main)


def ring_tail(n: int, laps: int, repeat: int) -> dict[str, Any]:
    async def once() -> float:
        me = livelong.self()
        pids = [spawn(_tail_member, me) for _ in range(n)]
        for p, nxt in zip(pids, pids[1:] + pids[:1], strict=True):
            send(p, ("next", nxt))
        for _ in range(n):
            await receive()
        hops = n * laps
        t0 = now()
        send(pids[0], hops)
        await receive()
        t1 = now()
        for p in pids:
            send(p, "stop")
        return (t1 - t0) * 1e6 / hops

    async def main() -> float:
        return min([await once() for _ in range(repeat)])

    return {"value": livelong.run(main)}


# --- spawn: N processes that exit at once; wait for every DOWN; µs per spawn ----------
async def _noop() -> None:
    return None


def spawn_many(n: int, repeat: int) -> dict[str, Any]:
    async def once() -> float:
        t0 = now()
        for _ in range(n):
            spawn_monitor(_noop)
        for _ in range(n):
            m = await receive()
            if m[0] != "DOWN":
                raise AssertionError(f"unexpected message {m!r}")
        t1 = now()
        return (t1 - t0) * 1e6 / n

    async def main() -> float:
        return min([await once() for _ in range(repeat)])

    return {"value": livelong.run(main)}


# --- idle: N processes alive at once, each waiting in receive; bytes per process ------
async def _idle_loop() -> None:
    await receive()  # "stop"


def idle(n: int) -> dict[str, Any]:
    async def main() -> dict[str, Any]:
        gc.collect()
        before = _memory.rss()
        gc.disable()  # memory is the figure here; the collector only costs time
        pids = [spawn(_idle_loop) for _ in range(n)]
        # every new process is ahead of us in the run queue: once we run again they
        # have all reached their receive
        await asyncio.sleep(0)
        status = Process.info(pids[-1], "status")
        if status != "waiting":
            raise AssertionError(f"last idle process is {status}, not waiting")
        gc.enable()
        gc.collect()
        after = _memory.rss()
        reported = Process.info(pids[-1], "memory")
        return {
            "value": (after - before) / n,
            "process_info_memory": reported,
            "processes": len(Process.list()),
        }

    return livelong.run(main)  # type: ignore[no-any-return]


# --- tail: a process loops N times by tail calls; time and peak memory growth ---------
async def _count(n: int) -> Any:
    if n == 0:
        return 0
    return tail(_count, n - 1)


def tail_loop(n: int) -> dict[str, Any]:
    async def main() -> dict[str, Any]:
        gc.collect()
        exact = _memory.reset_peak()
        before = _memory.rss()
        t0 = now()
        spawn_monitor(_count, n)
        m = await receive()
        t1 = now()
        if m[0] != "DOWN" or m[4] != "normal":
            raise AssertionError(f"tail loop ended with {m!r}")
        growth = _memory.peak() - before
        return {
            "value": (t1 - t0) * 1e6 / n,
            "peak_growth_bytes": max(0, growth),
            "peak_exact": exact,
        }

    return livelong.run(main)  # type: ignore[no-any-return]


# --- GenServer call round trip ---------------------------------------------------------
def genserver(n: int, repeat: int) -> dict[str, Any]:
    GenServer: Any = getattr(livelong, "GenServer", None)
    Reply: Any = getattr(livelong, "Reply", None)
    if GenServer is None or Reply is None:
        return {"skip": "livelong.GenServer / livelong.Reply not available yet (issue 3)"}

    class Counter(GenServer):  # type: ignore[misc]
        async def init(self, arg: int) -> int:
            return arg

        async def handle_call(self, req: Any, from_: Any, state: int) -> Any:
            return Reply(state, state + 1)

    async def once() -> float:
        pid = await Counter.start_link(0)
        call = GenServer.call
        t0 = now()
        for _ in range(n):
            await call(pid, "get")
        t1 = now()
        if await call(pid, "get") != n:
            raise AssertionError("the counter lost calls")
        stop = getattr(GenServer, "stop", None)
        if stop is not None:
            await stop(pid)
        return (t1 - t0) * 1e6 / n

    async def main() -> float:
        return min([await once() for _ in range(repeat)])

    return {"value": livelong.run(main)}


# --- supervisor: a permanent child that crashes at once; restarts per second ----------
def supervisor(n: int, batch: int, repeat: int) -> dict[str, Any]:
    """N restarts in batches, a fresh supervisor per batch (as ring.erl does)."""
    from . import _supervisor_adapter as adapter

    problem = adapter.unavailable()
    if problem:
        return {"skip": problem}
    # supervisor reports are not printed on either side (ring.erl sets the OTP
    # logger level to none): this measures restarts, not the logger
    logging.disable(logging.CRITICAL)

    async def one_batch(k: int) -> float:
        me = livelong.self()
        sup = await adapter.start(me, batch + 10)
        await receive()  # the first start
        t0 = now()
        for _ in range(k):
            await receive()  # "started"
        t1 = now()
        await adapter.stop(sup)
        while True:  # flush
            try:
                await receive(timeout=0)
            except TimeoutError:
                break
        return t1 - t0

    async def once() -> float:
        sizes = [batch] * (n // batch) + ([n % batch] if n % batch else [])
        total = 0.0
        for k in sizes:
            total += await one_batch(k)
        return n / total

    async def main() -> float:
        return max([await once() for _ in range(repeat)])

    return {"value": livelong.run(main)}


# --- call_backlog: GenServer.call from a process with a long mailbox -------------------
def call_backlog(backlog: int, backlog_calls: int, empty_calls: int, repeat: int) -> dict[str, Any]:
    """µs per call with an empty mailbox, then with ``backlog`` unrelated messages
    queued in the caller's mailbox (as ``ring.erl`` does)."""
    GenServer: Any = getattr(livelong, "GenServer", None)
    Reply: Any = getattr(livelong, "Reply", None)
    if GenServer is None or Reply is None:
        return {"skip": "livelong.GenServer / livelong.Reply not available yet (issue 3)"}

    class Counter(GenServer):  # type: ignore[misc]
        async def init(self, arg: int) -> int:
            return arg

        async def handle_call(self, req: Any, from_: Any, state: int) -> Any:
            return Reply(state, state + 1)

    def queued(pid: livelong.Pid) -> int:
        return int(Process.info(pid, "message_queue_len"))

    async def once() -> tuple[float, float]:
        pid = await Counter.start_link(0)
        me = livelong.self()
        call = GenServer.call
        t0 = now()
        for _ in range(empty_calls):
            await call(pid, "get")
        t1 = now()
        if queued(me) != 0:
            raise AssertionError(f"{queued(me)} messages before the backlog")
        for i in range(backlog):
            send(me, ("junk", i))
        last: Any = None
        t2 = now()
        for _ in range(backlog_calls):
            last = await call(pid, "get")
        t3 = now()
        # the calls took their replies only: the backlog is still there, in order
        if queued(me) != backlog:
            raise AssertionError(f"{queued(me)} messages queued, not the {backlog} sent")
        if backlog_calls and last != empty_calls + backlog_calls - 1:
            raise AssertionError("the counter lost calls")
        for i in range(backlog):
            if receive_nowait() != ("junk", i):
                raise AssertionError("the backlog was reordered")
        await GenServer.stop(pid)
        return (t3 - t2) * 1e6 / backlog_calls, (t1 - t0) * 1e6 / empty_calls

    async def main() -> dict[str, float]:
        runs = [await once() for _ in range(repeat)]
        return {"backlog_us": min(b for b, _ in runs), "empty_us": min(e for _, e in runs)}

    return livelong.run(main)  # type: ignore[no-any-return]


# --- mass_restart: N permanent children killed at once; time until all are back -------
def mass_restart(n: int, repeat: int) -> dict[str, Any]:
    """Restarts per second and µs per restart for ``n`` and ``4 * n`` children (as
    ``ring.erl`` does)."""
    DynamicSupervisor: Any = getattr(livelong, "DynamicSupervisor", None)
    GenServer: Any = getattr(livelong, "GenServer", None)
    if DynamicSupervisor is None or GenServer is None:
        return {"skip": "livelong.DynamicSupervisor not available yet"}
    # supervisor reports are not printed on either side: this measures restarts
    logging.disable(logging.CRITICAL)

    class Worker(GenServer):  # type: ignore[misc]
        async def init(self, arg: int) -> int:
            return arg

    async def once(k: int) -> float:
        sup = await DynamicSupervisor.start(max_restarts=2 * k, max_seconds=60)
        which = DynamicSupervisor.which_children
        old = [await DynamicSupervisor.start_child(sup, (Worker, i)) for i in range(k)]
        old_set = set(old)
        t0 = now()
        for pid in old:
            Process.exit(pid, "kill")
        while True:
            pids = [c.pid for c in await which(sup, timeout=None)]
            if (
                len(pids) == k
                and old_set.isdisjoint(pids)
                and all(isinstance(p, livelong.Pid) and Process.alive(p) for p in pids)
            ):
                break
        t1 = now()
        await DynamicSupervisor.stop(sup, "shutdown", timeout=None)
        return t1 - t0

    async def main() -> dict[str, float]:
        small = min([await once(n) for _ in range(repeat)])
        large = min([await once(4 * n) for _ in range(repeat)])
        return {
            "small_per_s": n / small,
            "large_per_s": 4 * n / large,
            "small_us": small * 1e6 / n,
            "large_us": large * 1e6 / (4 * n),
        }

    return livelong.run(main)  # type: ignore[no-any-return]


BENCHES: dict[str, Callable[..., dict[str, Any]]] = {
    "ring": ring,
    "ring_tail": ring_tail,
    "spawn": spawn_many,
    "idle": idle,
    "tail": tail_loop,
    "genserver": genserver,
    "supervisor": supervisor,
    "call_backlog": call_backlog,
    "mass_restart": mass_restart,
}
