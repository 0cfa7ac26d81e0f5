"""livelong.timer (Erlang's :timer) and Task.await_many / Task.yield_many."""

from __future__ import annotations

import logging

import pytest

import livelong
from livelong import ANY, Exit, Process, Task, receive, self_pid, send, spawn, timer
from livelong.testing import mailbox


@pytest.fixture(autouse=True)
def _quiet(caplog):
    caplog.set_level(logging.CRITICAL, logger="livelong")


def test_send_interval_repeats_until_cancelled():
    async def main():
        tref = timer.send_interval(0.005, self_pid(), "tick")
        ticks = [await receive("tick") for _ in range(4)]
        cancelled = timer.cancel(tref)
        await Process.sleep(0.03)
        while "tick" in mailbox():
            await receive("tick")  # ticks sent before the cancel
        await Process.sleep(0.03)
        return ticks, cancelled, mailbox(), timer.cancel(tref)

    assert livelong.run(main) == (["tick"] * 4, True, [], False)


def test_send_interval_stops_when_the_caller_exits():
    async def main():
        me = self_pid()

        async def owner():
            tref = timer.send_interval(0.005, me, "tick")
            send(me, ("tref", tref))
            await receive("stop")

        pid = spawn(owner)
        _, tref = await receive(("tref", ANY))
        await receive("tick")
        send(pid, "stop")
        await Process.sleep(0.03)
        return Process.alive(tref.pid)

    assert livelong.run(main) is False


def test_apply_after_runs_once_and_cancel_before_stops_it():
    async def main():
        me = self_pid()
        timer.apply_after(0.005, send, me, ("ran", 1))
        t2 = timer.apply_after(5, send, me, ("ran", 2))
        got = await receive(("ran", ANY))
        return got, timer.cancel(t2), mailbox()

    assert livelong.run(main) == (("ran", 1), True, [])


def test_apply_interval_passes_arguments_and_keywords():
    async def report(to, *, n):
        send(to, ("n", n))

    async def main():
        tref = timer.apply_interval(0.005, report, self_pid(), n=7)
        got = [await receive(("n", ANY)) for _ in range(3)]
        timer.cancel(tref)
        return got

    assert livelong.run(main) == [("n", 7)] * 3


def test_one_shot_timer_that_fired_cannot_be_cancelled():
    async def main():
        tref = timer.send_after(0.001, self_pid(), "once")
        await receive("once")
        await Process.sleep(0.01)
        return timer.cancel(tref)

    assert livelong.run(main) is False


def test_bad_arguments_are_clear_errors():
    async def main():
        with pytest.raises(TypeError):
            timer.cancel("nope")
        with pytest.raises(TypeError):
            timer.apply_after(1, "not callable")
        with pytest.raises(ValueError):
            timer.send_interval(-1, self_pid(), "x")
        return True

    assert livelong.run(main) is True


async def after(seconds, value):
    await Process.sleep(seconds)
    return value


def test_await_many_returns_results_in_order():
    async def main():
        tasks = [Task.async_(after, 0.03 - i * 0.01, i) for i in range(3)]
        return await Task.await_many(tasks), mailbox()

    assert livelong.run(main) == ([0, 1, 2], [])


def test_await_many_times_out_in_total():
    async def main():
        tasks = [Task.async_(after, 0.001, "fast"), Task.async_(after, 5, "slow")]
        try:
            await Task.await_many(tasks, timeout=0.05)
        except Exit as e:
            await Task.shutdown(tasks[1], "brutal_kill")
            return e.reason[0]

    assert livelong.run(main) == "timeout"


def test_yield_many_gives_what_is_done():
    async def main():
        Process.flag("trap_exit", True)

        def boom():
            raise ValueError("boom")

        tasks = [Task.async_(after, 0.001, "a"), Task.async_(after, 5, "b"), Task.async_(boom)]
        got = await Task.yield_many(tasks, timeout=0.05)
        await Task.shutdown(tasks[1], "brutal_kill")
        return got[0], got[1], got[2][0]

    assert livelong.run(main) == (("ok", "a"), None, "exit")
