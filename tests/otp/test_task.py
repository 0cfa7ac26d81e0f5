"""Task: async_/await_/yield_/shutdown/start, async_stream, and Task.Supervisor."""

from __future__ import annotations

import logging
import time

import pytest

import livelong
from livelong import ANY, Exit, GenServer, NoReply, Process, Task, receive, send
from livelong import self as self_pid
from livelong.testing import mailbox


@pytest.fixture(autouse=True)
def _quiet(caplog):
    caplog.set_level(logging.CRITICAL, logger="livelong")


def run(main):
    return livelong.run(main)


async def slow(seconds, value=None):
    await Process.sleep(seconds)
    return value if value is not None else seconds


def test_async_and_await_with_sync_and_async_functions():
    async def main():
        a = Task.async_(lambda x: x * 2, 21)
        b = Task.async_(slow, 0.01, "done")
        return await Task.await_(a), await Task.await_(b), mailbox()

    assert run(main) == (42, "done", [])


def test_tasks_run_concurrently():
    async def main():
        t0 = time.monotonic()
        tasks = [Task.async_(slow, 0.05, i) for i in range(10)]
        results = [await Task.await_(t) for t in tasks]
        return results, time.monotonic() - t0

    results, took = run(main)
    assert results == list(range(10)) and took < 0.3


def test_await_timeout_exits_with_context():
    async def main():
        t = Task.async_(slow, 1)
        try:
            await Task.await_(t, timeout=0.02)
        except Exit as e:
            await Task.shutdown(t, "brutal_kill")
            return e.reason[0], e.context[0].function

    assert run(main) == ("timeout", "Task.await_")


def test_a_crashing_task_takes_its_owner_down_through_the_link():
    async def owner(to):
        t = Task.async_(lambda: 1 / 0)
        await Task.await_(t)
        send(to, "unreachable")

    async def main():
        pid, ref = livelong.spawn_monitor(owner, self_pid())
        return (await receive(("DOWN", ref, ANY, ANY, ANY)))[4]

    reason = run(main)
    assert isinstance(reason, ZeroDivisionError)


def test_a_trapping_owner_gets_the_reason_from_await():
    async def main():
        Process.flag("trap_exit", True)
        t = Task.async_(lambda: [][1])
        try:
            await Task.await_(t)
        except Exit as e:
            return type(e.reason).__name__

    assert run(main) == "IndexError"


def test_yield_then_yield_again():
    async def main():
        t = Task.async_(slow, 0.05, "late")
        first = await Task.yield_(t, timeout=0.01)
        second = await Task.yield_(t, timeout=1)
        return first, second, mailbox()

    assert run(main) == (None, ("ok", "late"), [])


def test_yield_reports_an_exit():
    async def main():
        Process.flag("trap_exit", True)
        t = Task.async_(livelong.exit, "gave_up")
        return await Task.yield_(t, timeout=1)

    assert run(main) == ("exit", "gave_up")


def test_shutdown_stops_the_task_without_taking_the_owner():
    async def main():
        t = Task.async_(slow, 10)
        result = await Task.shutdown(t, timeout=0.05)
        done = Task.async_(lambda: "quick")
        await Process.sleep(0.01)
        finished = await Task.shutdown(done)
        return result, Process.alive(t.pid), finished, Process.alive(self_pid()), mailbox()

    assert run(main) == (None, False, ("ok", "quick"), True, [])


def test_shutdown_of_a_task_that_crashed_already_returns_the_crash():
    async def main():
        sup = await Task.Supervisor.start_link()
        nolink = await Task.Supervisor.async_nolink(sup, livelong.exit, "boom")
        Process.flag("trap_exit", True)
        linked = Task.async_(livelong.exit, "bang")
        await Process.sleep(0.02)  # both have crashed by now
        return await Task.shutdown(nolink), await Task.shutdown(linked, "brutal_kill"), mailbox()

    assert run(main) == (("exit", "boom"), ("exit", "bang"), [])


def test_only_the_owner_may_await():
    async def main():
        t = Task.async_(slow, 0.01)

        async def other():
            try:
                await Task.await_(t)
            except ValueError as e:
                return str(e)

        return await Task.await_(Task.async_(other)), await Task.await_(t)

    message, value = run(main)
    assert "only its owner" in message and value == 0.01


def test_start_is_not_linked():
    async def main():
        pid = Task.start(lambda: 1 / 0)
        await Process.sleep(0.01)
        return Process.alive(pid), Process.alive(self_pid())

    assert run(main) == (False, True)


def test_bad_function_is_a_clear_error():
    async def main():
        with pytest.raises(TypeError, match="Task.async_: expected a function"):
            Task.async_(42)

    run(main)


def test_results_are_messages_a_genserver_can_handle():
    class Worker(GenServer):
        def init(self, to):
            self.task = Task.async_(lambda: "result")
            return to

        def handle_info(self, msg, to):
            if msg[0] == self.task.ref:
                livelong.demonitor(self.task.ref, flush=True)
                send(to, ("task said", msg[1]))
            return NoReply(to)

    async def main():
        await Worker.start_link(self_pid())
        return await receive(timeout=1)

    assert run(main) == ("task said", "result")


# --- async_stream --------------------------------------------------------------------


def test_async_stream_ordered_with_bounded_concurrency():
    async def main():
        running = []
        peak = [0]

        async def work(x):
            running.append(x)
            peak[0] = max(peak[0], len(running))
            await Process.sleep(0.01 * (5 - x % 5))
            running.remove(x)
            return x * 10

        out = [r async for r in Task.async_stream(range(10), work, max_concurrency=3)]
        return out, peak[0], mailbox()

    out, peak, left = run(main)
    assert out == [("ok", x * 10) for x in range(10)]
    assert peak == 3 and left == []


def test_async_stream_unordered_yields_as_they_finish():
    async def main():
        return [v async for _, v in Task.async_stream([0.06, 0.01, 0.03], slow, ordered=False)]

    assert run(main) == [0.01, 0.03, 0.06]


def test_async_stream_takes_async_iterables():
    async def gen():
        for i in range(3):
            yield i

    async def main():
        return [v async for _, v in Task.async_stream(gen(), lambda x: -x)]

    assert run(main) == [0, -1, -2]


def test_async_stream_timeout_exit():
    async def main():
        try:
            async for _ in Task.async_stream([0.01, 5], slow, timeout=0.1):
                pass
        except Exit as e:
            return e.reason[0], [p for p in Process.list() if p != self_pid()]

    assert run(main) == ("timeout", [])


def test_async_stream_timeout_kill_task():
    async def main():
        return [
            r
            async for r in Task.async_stream(
                [0.01, 5, 0.02], slow, timeout=0.1, on_timeout="kill_task"
            )
        ]

    assert run(main) == [("ok", 0.01), ("exit", "timeout"), ("ok", 0.02)]


def test_async_stream_as_context_manager_stops_what_is_left():
    async def main():
        async with Task.async_stream(range(100), slow, max_concurrency=4) as results:
            async for r in results:
                first = r
                break
        await Process.sleep(0.01)
        return first, [p for p in Process.list() if p != self_pid()], mailbox()

    assert run(main) == (("ok", 0), [], [])


def test_async_stream_bad_options():
    with pytest.raises(ValueError, match="max_concurrency"):
        Task.async_stream([], print, max_concurrency=0)
    with pytest.raises(ValueError, match="on_timeout"):
        Task.async_stream([], print, on_timeout="shrug")


# --- Task.Supervisor -----------------------------------------------------------------


def test_async_nolink_survives_a_crash():
    async def main():
        sup = await Task.Supervisor.start_link()
        t = await Task.Supervisor.async_nolink(sup, lambda: 1 / 0)
        try:
            await Task.await_(t)
        except Exit as e:
            crashed = type(e.reason).__name__
        ok = await Task.await_(await Task.Supervisor.async_nolink(sup, slow, 0.01, "fine"))
        return crashed, ok, Process.alive(self_pid())

    assert run(main) == ("ZeroDivisionError", "fine", True)


def test_async_nolink_down_message_in_a_genserver():
    class Boss(GenServer):
        async def init(self, arg):
            sup, to = arg
            self.task = await Task.Supervisor.async_nolink(sup, livelong.exit, "failed")
            return to

        def handle_info(self, msg, to):
            if msg[:2] == ("DOWN", self.task.ref):
                send(to, ("task failed with", msg[4]))
            return NoReply(to)

    async def main():
        sup = await Task.Supervisor.start_link()
        await Boss.start_link((sup, self_pid()))
        return await receive(timeout=1)

    assert run(main) == ("task failed with", "failed")


def test_supervised_tasks_are_children_and_stop_with_the_supervisor():
    async def main():
        sup = await Task.Supervisor.start_link()
        t = await Task.Supervisor.async_(sup, slow, 10)
        pid = await Task.Supervisor.start_child(sup, slow, 10)
        children = await Task.Supervisor.children(sup)
        await Task.shutdown(t, "brutal_kill")
        livelong.unlink(sup)
        await livelong.DynamicSupervisor.stop(sup)
        return set(children) == {t.pid, pid}, Process.alive(pid)

    assert run(main) == (True, False)


def test_a_supervised_task_whose_owner_dies_before_the_go_does_not_linger():
    class SlowStart(GenServer):
        async def init(self, arg):
            await Process.sleep(0.1)  # keeps the supervisor busy
            return arg

    async def caller(sup):
        await Task.Supervisor.async_nolink(sup, slow, 10)

    async def main():
        sup = await Task.Supervisor.start_link()
        livelong.spawn(livelong.DynamicSupervisor.start_child, sup, (SlowStart, 0))
        await Process.sleep(0.01)
        c = livelong.spawn(caller, sup)  # its start_child waits behind the slow start
        await Process.sleep(0.01)
        Process.exit(c, "kill")  # the caller dies before it can send the go
        await Process.sleep(0.2)
        left = await Task.Supervisor.children(sup)
        return [Process.info(p)["current_function"][1] for p in left]

    assert run(main) == ["_loop"]  # only the SlowStart server: the task is gone


def test_task_supervisor_async_stream_nolink_reports_crashes_as_items():
    async def main():
        sup = await Task.Supervisor.start_link()
        return [
            (ok, v if ok == "ok" else type(v).__name__)
            async for ok, v in Task.Supervisor.async_stream_nolink(sup, [1, 0, 2], lambda x: 2 / x)
        ]

    assert run(main) == [("ok", 2.0), ("exit", "ZeroDivisionError"), ("ok", 1.0)]


def test_task_child_spec_in_a_supervisor():
    async def main():
        me = self_pid()
        await livelong.Supervisor.start_link([Task.child_spec(send, me, "ran")])
        return await receive(timeout=1)

    assert run(main) == "ran"
