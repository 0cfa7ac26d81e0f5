"""livelong.testing.VirtualClock: a node on virtual time.

A broken clock makes these tests wait for real (an hour, a day) and pytest-timeout
fails them; the assertions check the virtual times at which things happened."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

import livelong
from livelong import ANY, GenServer, Process, Reply, receive, self, send, send_after, spawn
from livelong._core import _scheduler as kernel
from livelong.testing import VirtualClock


def test_a_receive_timeout_of_an_hour_jumps_straight_to_its_deadline():
    clock = VirtualClock()

    async def main():
        t0 = clock.time()
        with pytest.raises(TimeoutError):
            await receive(timeout=3600)
        return t0, clock.time()

    assert livelong.run(main, clock=clock) == (0.0, 3600.0)


def test_timers_sleeps_and_timeouts_fire_in_virtual_time_order():
    clock = VirtualClock(start=1000.0)

    async def sleeper(parent, seconds):
        await Process.sleep(seconds)
        send(parent, ("slept", seconds, clock.time()))

    async def main():
        me = self()
        send_after(me, "timer 20", 20)
        send_after(me, "timer 5", 5)
        spawn(sleeper, me, 12.5)
        got = []
        for _ in range(3):
            msg = await receive()
            got.append((msg, clock.time() - 1000.0))
        with pytest.raises(TimeoutError):
            await receive(timeout=30)
        got.append(("timeout", clock.time() - 1000.0))
        return got

    assert livelong.run(main, clock=clock) == [
        ("timer 5", 5.0),
        (("slept", 12.5, 1012.5), 12.5),
        ("timer 20", 20.0),
        ("timeout", 50.0),
    ]


def test_read_timer_counts_down_in_virtual_time():
    clock = VirtualClock()

    async def main():
        ref = send_after(self(), "ding", 60)
        await Process.sleep(45)
        left = livelong.read_timer(ref)
        await receive("ding")
        return left, clock.time()

    assert livelong.run(main, clock=clock) == (15.0, 60.0)


class Silent(GenServer):
    async def init(self, arg):
        return arg

    async def handle_call(self, request, from_, state):
        if request == "answer":
            return Reply(42, state)
        return livelong.NoReply(state)  # never answers anything else


def test_a_genserver_call_timeout_happens_at_its_virtual_deadline():
    clock = VirtualClock()

    async def main():
        server = await Silent.start_link(None)
        answer = await GenServer.call(server, "answer")
        with pytest.raises(livelong.Exit) as e:
            await GenServer.call(server, "question", timeout=30)
        return answer, e.value.reason[0], clock.time()

    assert livelong.run(main, clock=clock) == (42, "timeout", 30.0)


def test_without_autojump_time_moves_only_when_advanced():
    clock = VirtualClock(autojump=False)

    async def waiter(parent):
        try:
            await receive(timeout=5)
        except TimeoutError:
            send(parent, ("timed out at", clock.time()))

    async def main():
        pid = spawn(waiter, self())
        await Process.sleep(0)  # the waiter runs first: its deadline is 5.0
        clock.advance(4.9)
        await Process.sleep(0)  # let the node run: nothing is due yet
        status = Process.info(pid, "status")
        clock.advance(0.1)
        return status, await receive(("timed out at", ANY))

    assert livelong.run(main, clock=clock) == ("waiting", ("timed out at", 5.0))


def test_advance_from_another_thread_wakes_a_waiting_node():
    clock = VirtualClock(autojump=False)
    node = livelong.start(clock=clock)
    try:

        async def sleepy():
            await Process.sleep(3600)
            return clock.time()

        result = {}
        caller = threading.Thread(target=lambda: result.setdefault("t", node.call(sleepy)))
        caller.start()
        while not any(Process.info(p, "status") == "waiting" for p in node.processes()):
            time.sleep(0.001)  # until the process sleeps: then advance what it waits for
        clock.advance(3600)
        caller.join(10)
        assert result == {"t": 3600.0}
    finally:
        node.stop()


def test_real_sockets_work_on_virtual_time_with_an_autojump_threshold():
    clock = VirtualClock(autojump_threshold=0.5)

    async def handle(reader, writer):
        writer.write((await reader.readline()).upper())
        await writer.drain()
        writer.close()

    async def main():
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        t0 = clock.time()
        async with asyncio.timeout(10):  # virtual seconds: must not fire first
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"ping\n")
            line = await reader.readline()
        writer.close()
        server.close()
        return line, clock.time() - t0

    line, elapsed = livelong.run(main, clock=clock)
    assert line == b"PING\n" and elapsed < 10


def test_after_a_virtual_node_the_next_node_keeps_real_time():
    livelong.run(lambda: None, clock=VirtualClock(start=1e6))
    assert kernel._monotonic is time.monotonic

    async def main():
        t0 = time.monotonic()
        with pytest.raises(TimeoutError):
            await receive(timeout=0.02)
        return time.monotonic() - t0

    assert livelong.run(main) >= 0.02


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: VirtualClock(autojump_threshold=-1), "autojump_threshold"),
        (lambda: VirtualClock(start=float("nan")), "start"),
        (lambda: VirtualClock().advance(-1), "seconds must be"),
        (lambda: VirtualClock().advance(float("inf")), "seconds must be"),
    ],
)
def test_bad_clock_arguments_are_clear_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_one_clock_drives_one_loop_at_a_time():
    clock = VirtualClock()
    node = livelong.start(clock=clock)
    try:
        with pytest.raises(RuntimeError, match="already drives a running loop"):
            clock.new_event_loop()
    finally:
        node.stop()
    loop = clock.new_event_loop()  # the first loop is closed: the clock is free again
    loop.close()
