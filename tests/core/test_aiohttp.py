"""A real aiohttp server and client, each inside livelong processes.

aiohttp looks up the current task for its timeouts, so this checks that a running
process stands in for an asyncio Task."""

from __future__ import annotations

import pytest

import livelong
from livelong import ANY, receive, self, send, spawn

aiohttp = pytest.importorskip("aiohttp")  # a test extra: installed by scripts/test
from aiohttp import web  # noqa: E402


async def counter(n):
    frm, _ = await receive()
    send(frm, n)
    return livelong.tail(counter, n + 1)


async def ask_counter():
    send("counter", (self(), "next"))
    return await receive(int, timeout=5)


async def serve(parent, path, handler):
    """A process that serves ``handler`` at ``path`` on a free loopback port, says
    ``("listening", port)`` to ``parent``, and stops at ``"stop"``."""
    app = web.Application()
    app.router.add_get(path, handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    send(parent, ("listening", runner.addresses[0][1]))
    await receive("stop")
    await runner.cleanup()
    send(parent, "stopped")


async def http_server(parent):
    async def hello(request):
        # aiohttp runs handlers in its own asyncio Tasks: they reach processes
        # through the node handle, which runs a function in a fresh process
        n = await livelong.node().acall(ask_counter)
        return web.json_response({"n": n, "q": request.query.get("q")})

    livelong.register("counter", spawn(counter, 1))
    return livelong.tail(serve, parent, "/hello", hello)


def test_aiohttp_server_and_client_in_processes():
    async def main():
        server = spawn(http_server, self())
        _, port = await receive(("listening", ANY))
        timeout = aiohttp.ClientTimeout(total=5)
        bodies = []
        async with aiohttp.ClientSession(timeout=timeout) as session:
            for _ in range(2):
                async with session.get(f"http://127.0.0.1:{port}/hello?q=livelong") as resp:
                    bodies.append(await resp.json())
        send(server, "stop")
        await receive("stopped", timeout=5)
        return bodies

    assert livelong.run(main) == [{"n": 1, "q": "livelong"}, {"n": 2, "q": "livelong"}]


def test_aiohttp_client_timeout_fires_inside_a_process():
    async def slow(request):
        import asyncio

        await asyncio.sleep(5)
        return web.Response(text="late")

    async def main():
        server = spawn(serve, self(), "/slow", slow)
        _, port = await receive(("listening", ANY))
        timeout = aiohttp.ClientTimeout(total=0.1)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            with pytest.raises(TimeoutError):
                async with session.get(f"http://127.0.0.1:{port}/slow"):
                    pass
        send(server, "stop")
        return "timed out cleanly"

    assert livelong.run(main) == "timed out cleanly"
