"""Introspection, fairness, the watchdog, asyncio interop and the thread-safe handle."""

from __future__ import annotations

import asyncio
import logging
import threading
import time

import pytest

import livelong
from livelong import ANY, Process, receive, self, send, spawn, spawn_monitor, tail


def run(main, **kw):
    return livelong.run(main, **kw)


class LiveLong:
    """The article's never-ending loop: ``def run do run() end``."""

    @staticmethod
    def run():
        return tail(LiveLong.run)


INFO_KEYS = {
    "status",
    "current_function",
    "initial_call",
    "message_queue_len",
    "messages",
    "links",
    "monitors",
    "monitored_by",
    "trap_exit",
    "registered_name",
    "reductions",
    "memory",
    "dictionary",
}


async def sleeper():
    Process.put("role", "sleeper")
    livelong.register("the_sleeper")
    await receive("never")


def test_process_info_snapshot():
    async def main():
        pid = spawn(sleeper)
        ref = livelong.monitor(pid)
        livelong.link(pid)
        await Process.sleep(0.01)
        send(pid, "hello")
        send(pid, ("x", 1))
        info = Process.info(pid)
        return pid, ref, info, Process.info(pid, "status")

    pid, ref, info, status = run(main)
    assert INFO_KEYS <= set(info)
    assert info["status"] == "waiting" == status
    assert info["message_queue_len"] == 2
    assert info["messages"] == ["hello", ("x", 1)]
    assert info["registered_name"] == "the_sleeper"
    assert info["dictionary"] == {"role": "sleeper"}
    assert info["trap_exit"] is False
    assert len(info["links"]) == 1 and len(info["monitored_by"]) == 1
    assert info["current_function"][1].endswith("sleeper")
    assert info["initial_call"] == (__name__, "sleeper", 0)
    assert info["reductions"] > 0
    assert 300 < info["memory"] < 100_000


async def wait_for_job(n):
    return await receive(("job", ANY))


async def tail_looper(n):
    await wait_for_job(n)
    return tail(tail_looper, n + 1)


def test_process_info_of_a_tail_loop_shows_where_it_waits_now():
    async def main():
        pid = spawn(tail_looper, 0)
        for i in range(3):  # three tail calls: the loop runs in the kernel's trampoline
            send(pid, ("job", i))
        await Process.sleep(0.01)
        return Process.info(pid)

    info = run(main)
    assert info["status"] == "waiting"
    assert info["current_function"] == (__name__, "wait_for_job", 1)
    assert info["initial_call"] == (__name__, "tail_looper", 1)


async def next_step():
    await receive("never")


def test_process_info_of_a_process_preempted_at_its_first_tail_call():
    async def busy_then_tail(dead):
        for _ in range(2500):  # spends its reductions budget (sends count)
            send(dead, "x")
        return tail(next_step)

    async def main():
        dead = spawn(lambda: None)
        await Process.sleep(0.01)
        pid = spawn(busy_then_tail, dead)
        await Process.sleep(0)  # it runs, and is put back in the queue at its tail call
        return Process.info(pid)

    info = run(main)
    assert info["status"] == "running"
    assert info["current_function"] == (__name__, "next_step", 0)


def test_process_info_of_dead_pid_is_none_and_unknown_key_is_an_error():
    async def main():
        pid = spawn(lambda: None)
        await Process.sleep(0.01)
        with pytest.raises(KeyError, match="unknown item"):
            Process.info(self(), "nope")
        return Process.info(pid)

    assert run(main) is None


def test_memory_estimate_grows_with_the_mailbox():
    async def main():
        pid = spawn(sleeper)
        await Process.sleep(0)
        before = Process.info(pid, "memory")
        for i in range(1000):
            send(pid, ("payload", "x" * 100, i))
        after = Process.info(pid, "memory")
        return before, after

    before, after = run(main)
    assert after - before > 1000 * 100


def test_busy_tail_loop_cannot_starve_others_and_shows_running_in_run():
    async def ticker(parent, n):
        for _ in range(n):
            await Process.sleep(0)
        send(parent, "ticked")

    async def main():
        busy = spawn(LiveLong.run)
        spawn(ticker, self(), 100)
        await receive("ticked", timeout=5)
        info = Process.info(busy)
        Process.exit(busy, "kill")
        return info

    info = run(main)
    assert info["status"] == "running"
    assert info["current_function"] == (__name__, "LiveLong.run", 0)
    assert info["reductions"] > 1000


def test_message_flood_receiver_is_preempted_by_reductions():
    """A process that always finds a message never waits; it still yields."""

    async def drain(parent):
        n = 0
        while True:
            m = await receive()
            n += 1
            if m == "last":
                send(parent, ("drained", n))
                return

    async def ping(parent):
        send(parent, "pinged")

    async def main():
        pid = spawn(drain, self())
        for i in range(50_000):
            send(pid, i)
        send(pid, "last")
        spawn(ping, self())
        first = await receive()
        await receive()
        return first

    assert run(main) == "pinged"


def test_statuses_running_runnable_waiting():
    async def main():
        me = self()
        mine = Process.info(me, "status")
        fresh = spawn(lambda: None)
        runnable = Process.info(fresh, "status")
        return mine, runnable

    assert run(main) == ("running", "runnable")


def test_runaway_process_watchdog_and_kill_from_another_thread(caplog):
    node = livelong.start(watchdog_seconds=0.3)
    try:

        def runaway():
            while True:
                pass

        with caplog.at_level(logging.WARNING, logger="livelong"):
            pid = node.spawn(runaway)
            deadline = time.monotonic() + 10
            while "runaway process" not in caplog.text and time.monotonic() < deadline:
                time.sleep(0.05)
        assert "runaway process" in caplog.text
        assert repr(pid) in caplog.text and "runaway" in caplog.text
        # introspection answers from this thread while the loop thread is stuck
        assert Process.alive(pid)
        info = Process.info(pid)
        assert info["status"] == "running"
        assert info["current_function"][1].endswith("runaway")
        Process.exit(pid, "kill")
        deadline = time.monotonic() + 5
        while Process.alive(pid) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not Process.alive(pid)
        # the node keeps running
        assert node.call(lambda: 1 + 1, timeout=5) == 2
    finally:
        node.stop()


def test_asyncio_awaitables_work_inside_a_process():
    async def main():
        await asyncio.sleep(0.001)
        async with asyncio.timeout(1):
            await asyncio.sleep(0)
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.01):
                await asyncio.sleep(5)
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.01):
                await receive("never")  # a livelong wait is cancellable too
        r = await asyncio.wait_for(asyncio.sleep(0, "ok"), 1)
        t = asyncio.get_running_loop().create_task(asyncio.sleep(0, "task"))
        return r, await t, asyncio.current_task() is not None

    assert run(main) == ("ok", "task", True)


def test_gather_task_groups_and_wait_for_inside_a_process():
    """Structured concurrency from asyncio works inside a process: the process is the
    tasks' parent (a failing child cancels it, and the group raises), and asyncio tasks
    of the process may send to it."""

    async def work(n):
        await asyncio.sleep(0.001 * n)
        return n * 10

    async def boom():
        await asyncio.sleep(0.001)
        raise ValueError("child failed")

    async def tell(pid):
        send(pid, "from a task")

    async def main():
        got = [await asyncio.gather(work(1), work(2), work(3))]
        async with asyncio.TaskGroup() as tg:
            t = tg.create_task(work(2))
            tg.create_task(tell(self()))
        got += [t.result(), await receive(timeout=1)]
        try:
            async with asyncio.TaskGroup() as tg:
                tg.create_task(boom())
                tg.create_task(asyncio.sleep(10))
                await asyncio.sleep(10)  # cancelled when boom fails
        except* ValueError as group:
            got.append(("group failed", str(group.exceptions[0])))
        got.append(await asyncio.wait_for(work(1), 1))
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(asyncio.sleep(10), 0.01)
        send(self(), "still a process")
        got += [await receive(timeout=1), asyncio.current_task().cancelling()]
        return got

    assert run(main) == [
        [10, 20, 30],
        20,
        "from a task",
        ("group failed", "child failed"),
        10,
        "still a process",
        0,
    ]


def _swap_like_asyncio_312(loop, task):
    """Python 3.11 has no _swap_current_task: this does what 3.12's Python one does."""
    tasks = asyncio.tasks._current_tasks
    prev = tasks.get(loop)
    if task is None:
        del tasks[loop]
    else:
        tasks[loop] = task
    return prev


_SWAP = getattr(asyncio.tasks, "_swap_current_task", _swap_like_asyncio_312)


@pytest.mark.parametrize("how", ["the default of this Python", "swap (Python 3.14's only way)"])
def test_a_running_process_is_the_loops_current_task(how, monkeypatch):
    """Both ways the kernel can make a process asyncio's current task give the same:
    current_task() is the process, and asyncio.timeout and TaskGroup work."""
    from livelong._core import _scheduler as kernel

    if how.startswith("swap"):
        monkeypatch.setattr(kernel, "_current_tasks", None)
        monkeypatch.setattr(kernel, "_swap_current_task", _SWAP)

    async def child():
        await asyncio.sleep(0)
        return asyncio.current_task() is not None

    async def main():
        me = self()
        mine = asyncio.current_task() is me
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.01):
                await asyncio.sleep(10)
        async with asyncio.TaskGroup() as tg:
            t = tg.create_task(child())
        other = spawn(lambda: None)
        await Process.sleep(0)
        return mine, t.result(), asyncio.current_task() is me, Process.alive(other)

    assert run(main) == (True, True, True, False)
    assert asyncio.run(asyncio.sleep(0, "plain asyncio after the node")) == (
        "plain asyncio after the node"
    )


def test_real_tcp_streams_inside_processes():
    async def server_proc(parent):
        async def handle(reader, writer):
            data = await reader.readline()
            writer.write(data.upper())
            await writer.drain()
            writer.close()

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        send(parent, ("port", server.sockets[0].getsockname()[1]))
        await receive("stop")
        server.close()

    async def main():
        srv = spawn(server_proc, self())
        _, port = await receive(("port", ANY))
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"hello livelong\n")
        await writer.drain()
        line = await reader.readline()
        writer.close()
        send(srv, "stop")
        return line

    assert run(main) == b"HELLO LIVELONG\n"


def test_messages_arrive_while_a_process_awaits_asyncio():
    async def slow(parent):
        await asyncio.sleep(0.02)
        msgs = [await receive(timeout=0), await receive(timeout=0)]
        send(parent, msgs)

    async def main():
        pid = spawn(slow, self())
        await Process.sleep(0.001)
        send(pid, 1)
        send(pid, 2)
        return await receive()

    assert run(main) == [1, 2]


def test_kill_while_awaiting_an_asyncio_future():
    async def main():
        pid, ref = spawn_monitor(asyncio.sleep, 30)
        await Process.sleep(0.01)
        Process.exit(pid, "kill")
        return (await receive(("DOWN", ref, ANY, ANY, ANY)))[4]

    assert run(main) == "killed"


def test_thread_safe_handle_spawn_send_call():
    node = livelong.start()
    try:
        got = []

        async def collector():
            for _ in range(3):
                got.append(await receive())

        pid = node.spawn(collector)
        for i in range(3):
            node.send(pid, i)
        # plain send from another thread is routed safely too
        deadline = time.monotonic() + 5
        while len(got) < 3 and time.monotonic() < deadline:
            time.sleep(0.005)
        assert got == [0, 1, 2]
        assert node.call(lambda a, b: a * b, 6, 7) == 42

        async def fails():
            raise ValueError("inside")

        with pytest.raises(ValueError, match="inside"):
            node.call(fails)
        results = []

        def from_thread():
            results.append(node.call(lambda: "thread ok", timeout=5))

        ts = [threading.Thread(target=from_thread) for _ in range(4)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        assert results == ["thread ok"] * 4
    finally:
        node.stop()


def test_node_attached_to_plain_asyncio_code():
    async def program():
        async with livelong.Node() as node:

            async def echo():
                frm, m = await receive()
                send(frm, m)

            async def ask():
                pid = spawn(echo)
                send(pid, (self(), "ping"))
                return await receive()

            return await node.acall(ask)

    assert asyncio.run(program()) == "ping"


def test_one_node_per_os_process():
    node = livelong.start()
    try:
        with pytest.raises(RuntimeError, match="already running"):
            livelong.run(lambda: None)
    finally:
        node.stop()


def test_status_is_exiting_while_finally_blocks_run():
    async def guarded(parent):
        try:
            await receive("never")
        finally:
            send(parent, ("status", Process.info(self(), "status")))

    async def main():
        pid = spawn(guarded, self())
        await Process.sleep(0)
        Process.exit(pid, "shutdown")
        return await receive(("status", ANY), timeout=1)

    assert run(main) == ("status", "exiting")


def test_run_inside_a_process_says_what_to_do_instead():
    async def main():
        with pytest.raises(RuntimeError) as e:
            livelong.run(lambda: None)
        return str(e.value)

    text = run(main)
    assert "called inside a running event loop" in text
    assert "`await main()` or `spawn(main)`" in text
    assert "if __name__ == '__main__':" in text
