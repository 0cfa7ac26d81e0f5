"""The asyncio baseline: one asyncio Task per process, one asyncio.Queue per
mailbox.  This is what a Python programmer would write without livelong; each
function mirrors its counterpart in :mod:`._livelong`."""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Callable
from typing import Any

from . import _memory

now = time.perf_counter


# --- ring ------------------------------------------------------------------------------
async def _ring_member(inbox: asyncio.Queue[Any], main: asyncio.Queue[Any]) -> None:
    _, nxt = await inbox.get()  # ("next", queue)
    main.put_nowait("ready")
    while True:
        t = await inbox.get()
        if t == 0:
            main.put_nowait("ring_done")
        elif type(t) is int:
            nxt.put_nowait(t - 1)
        else:  # "stop"
            return


async def _ring_once(n: int, laps: int) -> float:
    me: asyncio.Queue[Any] = asyncio.Queue()
    boxes: list[asyncio.Queue[Any]] = [asyncio.Queue() for _ in range(n)]
    tasks = [asyncio.create_task(_ring_member(b, me)) for b in boxes]
    for b, nxt in zip(boxes, boxes[1:] + boxes[:1], strict=True):
        b.put_nowait(("next", nxt))
    for _ in range(n):
        await me.get()
    hops = n * laps
    t0 = now()
    boxes[0].put_nowait(hops)
    await me.get()
    t1 = now()
    for b in boxes:
        b.put_nowait("stop")
    await asyncio.gather(*tasks)
    return (t1 - t0) * 1e6 / hops


def ring(n: int, laps: int, repeat: int) -> dict[str, Any]:
    async def main() -> float:
        return min([await _ring_once(n, laps) for _ in range(repeat)])

    return {"value": asyncio.run(main())}


# --- spawn: N tasks that end at once; a done callback counts them (as a monitor) -------
async def _noop() -> None:
    return None


def spawn_many(n: int, repeat: int) -> dict[str, Any]:
    async def once() -> float:
        loop = asyncio.get_running_loop()
        all_done = loop.create_future()
        left = n

        def down(_task: Any) -> None:
            nonlocal left
            left -= 1
            if left == 0:
                all_done.set_result(None)

        t0 = now()
        for _ in range(n):
            loop.create_task(_noop()).add_done_callback(down)
        await all_done
        t1 = now()
        return (t1 - t0) * 1e6 / n

    async def main() -> float:
        return min([await once() for _ in range(repeat)])

    return {"value": asyncio.run(main())}


# --- idle: N tasks, each waiting on its own queue ---------------------------------------
async def _idle_loop(inbox: asyncio.Queue[Any]) -> None:
    await inbox.get()


def idle(n: int) -> dict[str, Any]:
    async def main() -> dict[str, Any]:
        gc.collect()
        before = _memory.rss()
        gc.disable()  # memory is the figure here; the collector only costs time
        boxes: list[asyncio.Queue[Any]] = [asyncio.Queue() for _ in range(n)]
        tasks = [asyncio.create_task(_idle_loop(b)) for b in boxes]
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        if tasks[-1].done() or not boxes[-1]._getters:  # type: ignore[attr-defined]
            raise AssertionError("the last idle task is not waiting on its queue")
        gc.enable()
        gc.collect()
        after = _memory.rss()
        return {"value": (after - before) / n}

    return asyncio.run(main())  # type: ignore[no-any-return]


# --- GenServer call: a Task serving an asyncio.Queue, futures for replies ---------------
async def _counter(inbox: asyncio.Queue[Any], state: int) -> None:
    while True:
        req, reply = await inbox.get()
        if req == "get":
            reply.set_result(state)
            state += 1
        else:  # "stop"
            reply.set_result("ok")
            return


async def _call(inbox: asyncio.Queue[Any], req: Any) -> Any:
    reply = asyncio.get_running_loop().create_future()
    inbox.put_nowait((req, reply))
    return await reply


def genserver(n: int, repeat: int) -> dict[str, Any]:
    async def once() -> float:
        inbox: asyncio.Queue[Any] = asyncio.Queue()
        server = asyncio.create_task(_counter(inbox, 0))
        t0 = now()
        for _ in range(n):
            await _call(inbox, "get")
        t1 = now()
        if await _call(inbox, "get") != n:
            raise AssertionError("the counter lost calls")
        await _call(inbox, "stop")
        await server
        return (t1 - t0) * 1e6 / n

    async def main() -> float:
        return min([await once() for _ in range(repeat)])

    return {"value": asyncio.run(main())}


BENCHES: dict[str, Callable[..., dict[str, Any]]] = {
    "ring": ring,
    "spawn": spawn_many,
    "idle": idle,
    "genserver": genserver,
}
