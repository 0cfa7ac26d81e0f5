"""Exits that asyncio code survives: an exit signal that ends a process reaches it as
a cancellation at its await, its cleanup runs (and may await), bounded, and its links
and monitors hear of the exit only after the cleanup."""

from __future__ import annotations

import asyncio
import logging

import pytest

import livelong
from livelong import ANY, Process, monitor, receive, self, send, spawn
from livelong.lowlevel import ProcessExit
from livelong.testing import VirtualClock


def _down(ref):
    return ("DOWN", ref, "process", ANY, ANY)


@pytest.mark.parametrize("reason", ["kill", "shutdown", "custom"])
def test_a_finally_block_that_awaits_runs_before_monitors_hear(reason):
    events = []

    async def worker():
        try:
            await receive("never")
        finally:
            events.append("cleanup started")
            await asyncio.sleep(0.01)
            events.append("cleanup done")

    async def main():
        pid = spawn(worker)
        ref = monitor(pid)
        await Process.sleep(0)
        Process.exit(pid, reason)
        down = await receive(_down(ref), timeout=2)
        events.append("down")
        return down[4]

    expected = "killed" if reason == "kill" else reason
    assert livelong.run(main) == expected
    assert events == ["cleanup started", "cleanup done", "down"]


def test_the_exit_is_a_cancelled_error_at_an_asyncio_await():
    seen = []

    async def worker():
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError as e:
            seen.append((type(e).__name__, isinstance(e, ProcessExit), e.reason))
            raise

    async def main():
        pid = spawn(worker)
        ref = monitor(pid)
        await Process.sleep(0.01)
        Process.exit(pid, "kill")
        return (await receive(_down(ref), timeout=2))[4]

    assert livelong.run(main) == "killed"
    assert seen == [("ProcessExit", True, "killed")]


def test_a_task_group_is_torn_down_completely():
    events = []

    async def child(n):
        try:
            await asyncio.sleep(10)
        finally:
            await asyncio.sleep(0.005)
            events.append(f"child {n} cleaned up")

    async def worker(parent):
        async with asyncio.TaskGroup() as tg:
            for n in range(3):
                tg.create_task(child(n))
            send(parent, "started")
            await asyncio.sleep(10)

    async def main():
        pid = spawn(worker, self())
        ref = monitor(pid)
        await receive("started", timeout=1)
        await Process.sleep(0.01)
        Process.exit(pid, "kill")
        reason = (await receive(_down(ref), timeout=2))[4]
        events.append("down")
        return reason

    assert livelong.run(main) == "killed"
    assert sorted(events[:3]) == [f"child {n} cleaned up" for n in range(3)]
    assert events[3] == "down"


def test_asyncio_timeout_does_not_turn_a_kill_into_a_timeout():
    async def worker():
        async with asyncio.timeout(0.02):
            await asyncio.sleep(10)

    async def main():
        pid = spawn(worker)
        ref = monitor(pid)
        await Process.sleep(0.005)
        Process.exit(pid, "kill")
        return (await receive(_down(ref), timeout=2))[4]

    assert livelong.run(main) == "killed"


def test_swallowing_the_exit_does_not_keep_the_process_alive():
    async def swallow_and_return():
        try:
            await receive("never")
        except BaseException:
            return "I survived"

    async def swallow_and_loop():
        while True:
            try:
                await receive("never")
            except BaseException:
                pass

    async def main():
        a = spawn(swallow_and_return)
        b = spawn(swallow_and_loop)
        ra, rb = monitor(a), monitor(b)
        await Process.sleep(0)
        Process.exit(a, "kill")
        Process.exit(b, "boom")
        da = await receive(_down(ra), timeout=5)
        db = await receive(_down(rb), timeout=5)
        return da[4], db[4]

    clock = VirtualClock()
    assert livelong.run(main, clock=clock) == ("killed", "boom")


async def _stubborn():
    try:
        await receive("never")
    finally:
        await asyncio.sleep(3600)


async def _seconds_until_gone(setting):
    """Kill a process whose cleanup never ends: its reason, and how long it took."""
    if setting is not None:
        livelong.node().exit_cleanup_seconds = setting
    pid = spawn(_stubborn)
    ref = monitor(pid)
    await Process.sleep(0)
    t0 = livelong.lowlevel.monotonic()
    Process.exit(pid, "kill")
    down = await receive(_down(ref), timeout=7200)
    return down[4], livelong.lowlevel.monotonic() - t0


def test_a_cleanup_past_its_bound_is_closed_and_logged(caplog):
    with caplog.at_level(logging.WARNING, logger="livelong"):
        reason, took = livelong.run(_seconds_until_gone, None, clock=VirtualClock())
    assert reason == "killed"
    assert 0.9 <= took <= 1.1  # the node's default bound, 1 s
    assert "did not finish its cleanup within 1.0 s" in caplog.text


def test_the_bound_is_a_node_setting(caplog):
    with caplog.at_level(logging.CRITICAL, logger="livelong"):
        reason, took = livelong.run(_seconds_until_gone, 30.0, clock=VirtualClock())
    assert reason == "killed"
    assert 29.9 <= took <= 30.1


def test_a_second_kill_during_cleanup_ends_it_at_once():
    async def main():
        pid = spawn(_stubborn)
        ref = monitor(pid)
        await Process.sleep(0)
        Process.exit(pid, "shutdown")  # bounded by its sender: no node bound
        await Process.sleep(0.01)
        assert Process.info(pid, "status") == "exiting"
        Process.exit(pid, "kill")
        return (await receive(_down(ref), timeout=0.5))[4]

    assert livelong.run(main) == "killed"


def test_kill_then_asyncio_cancel_in_the_same_callback_keeps_the_kill():
    async def worker():
        await asyncio.sleep(10)

    async def main():
        pid = spawn(worker)
        ref = monitor(pid)
        await Process.sleep(0.01)
        Process.exit(pid, "kill")
        assert pid.cancel() is False  # an exiting process is not cancelled again
        return (await receive(_down(ref), timeout=2))[4]

    assert livelong.run(main) == "killed"


def test_a_self_kill_cannot_be_caught_away():
    async def worker():
        try:
            Process.exit(self(), "kill")
        except BaseException:
            pass
        await receive(timeout=0.01)  # it goes on a while; it is still ending
        return "survived"

    async def main():
        pid = spawn(worker)
        ref = monitor(pid)
        return (await receive(_down(ref), timeout=5))[4]

    assert livelong.run(main, clock=VirtualClock()) == "killed"


def test_a_process_raising_generator_exit_itself_is_a_crash_not_a_kill():
    async def worker():
        raise GeneratorExit("mine")

    async def main():
        pid = spawn(worker)
        ref = monitor(pid)
        return (await receive(_down(ref), timeout=2))[4]

    logging.disable(logging.ERROR)
    try:
        reason = livelong.run(main)
    finally:
        logging.disable(logging.NOTSET)
    assert isinstance(reason, GeneratorExit) and str(reason) == "mine"


class _Weird:
    """An exit reason whose == raises (as a numpy array's truth value does)."""

    def __eq__(self, other):
        raise ValueError("no truth value")

    __hash__ = object.__hash__


def test_an_exit_reason_with_a_strange_eq_reaches_every_watcher():
    weird = _Weird()

    async def dies():
        await receive("go")
        livelong.exit(weird)

    async def trapper(parent, pid):
        Process.flag("trap_exit", True)
        livelong.link(pid)
        send(parent, "linked")
        msg = await receive(("EXIT", pid, ANY))
        send(parent, ("trapped", msg[2] is weird))

    async def main():
        pid = spawn(dies)
        refs = [monitor(pid) for _ in range(3)]
        spawn(trapper, self(), pid)
        await receive("linked", timeout=1)
        send(pid, "go")
        got = [(await receive(_down(r), timeout=1))[4] is weird for r in refs]
        trapped = await receive(("trapped", ANY), timeout=1)
        return got, trapped

    assert livelong.run(main) == ([True, True, True], ("trapped", True))


def test_a_killed_listener_is_restarted_on_the_same_port_at_once():
    """The chat server of the issue: a supervised listener owning an asyncio server in
    ``async with`` is killed; its restart binds the same port and clients get answers
    again within a fraction of a second."""

    async def handle(reader, writer):
        line = await reader.readline()
        writer.write(b"echo " + line)
        await writer.drain()
        writer.close()

    async def serve(port):
        server = await asyncio.start_server(handle, "127.0.0.1", port)
        async with server:
            await server.serve_forever()

    async def ask(port):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"hi\n")
        await writer.drain()
        answer = await reader.readline()
        writer.close()
        return answer

    async def ask_until_answered(port, seconds):
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        while True:
            try:
                return await ask(port), loop.time() - t0
            except OSError:
                if loop.time() - t0 > seconds:
                    raise
                await asyncio.sleep(0.005)

    async def main():
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        spec = livelong.ChildSpec("listener", (livelong.spawn_link, (serve, port)))
        sup = await livelong.Supervisor.start_link([spec], strategy="one_for_one")
        first, _ = await ask_until_answered(port, 2.0)
        for _ in range(3):  # kill the listener, again and again
            [info] = await livelong.Supervisor.which_children(sup)
            Process.exit(info.pid, "kill")
            again, took = await ask_until_answered(port, 2.0)
            assert again == b"echo hi\n"
            assert took < 0.5
            [info2] = await livelong.Supervisor.which_children(sup)
            assert info2.pid != info.pid
        return first

    assert livelong.run(main) == b"echo hi\n"


def test_processes_left_when_main_ends_clean_up_with_awaits():
    events = []

    async def owner():
        try:
            await receive("never")
        finally:
            await asyncio.sleep(0.01)  # close a connection, say
            events.append("cleaned up")

    async def main():
        spawn(owner)
        await Process.sleep(0.001)
        return "main done"

    assert livelong.run(main) == "main done"
    assert events == ["cleaned up"]


def test_a_stopped_node_lets_its_processes_clean_up():
    events = []

    async def owner():
        try:
            await receive("never")
        finally:
            await asyncio.sleep(0.01)
            events.append("cleaned up")

    n = livelong.start()
    n.spawn(owner)
    n.call(lambda: None)
    n.stop()
    assert events == ["cleaned up"]
