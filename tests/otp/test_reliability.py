"""Reliability of the OTP layer under load and with odd arguments.

* Supervisors stay linear in their children: stopping many children, and restarting
  many killed ones, takes time in proportion to their number.  Each such test times N
  and 4N children and asks for a ratio well under the 16 of a quadratic cost (linear
  is about 4); no test asserts an absolute time.
* Every seconds argument (timeouts, shutdown times, restart windows) is checked
  before anything is sent, with an error that names it; NaN is refused, an int too
  big for a float means "forever" where forever is accepted.
* ``GenServer.reply`` refuses what is not the ``from_`` of a call.
"""

from __future__ import annotations

import gc
import logging
import math
import time

import pytest

import livelong
from livelong import (
    Agent,
    ChildSpec,
    DynamicSupervisor,
    Exit,
    GenServer,
    NoReply,
    Ok,
    Process,
    Reply,
    Supervisor,
    Task,
    make_ref,
    receive,
    send,
)
from livelong import self as self_pid
from livelong.testing import mailbox


@pytest.fixture(autouse=True)
def _quiet(caplog):
    caplog.set_level(logging.CRITICAL, logger="livelong")


def run(main):
    return livelong.run(main)


class Trapping(GenServer):
    """A child that traps exits, so a supervisor's stop goes through its terminate."""

    def init(self, arg):
        Process.flag("trap_exit", True)
        return arg


class Reporter(GenServer):
    """A child that says "up" to ``arg`` every time it starts."""

    def init(self, to):
        send(to, "up")
        return to


async def _timed(coro):
    """CPU seconds ``coro`` took (other programs on the machine do not count; nothing
    here sleeps), and its result; without the garbage collector, whose passes over
    everything the test made only add noise."""
    gc.collect()
    gc.disable()
    try:
        t0 = time.process_time()
        result = await coro
        return time.process_time() - t0, result
    finally:
        gc.enable()


async def _assert_linear(measure, n, runs=3):
    """``measure(4 * n)`` takes well under the 16x time of a quadratic cost of
    ``measure(n)`` (linear is about 4, a bit more once the data outgrows the CPU's
    caches).  The best of a few interleaved runs, in CPU time: noise only adds time."""
    small = large = math.inf
    for _ in range(runs):
        small = min(small, await measure(n))
        large = min(large, await measure(4 * n))
    ratio = large / small
    assert ratio < 8, f"4x the children took {ratio:.1f}x the time ({small:.3f}, {large:.3f} s)"


# --- 1. stopping many children ------------------------------------------------------


async def _until_shutdown():
    """A light child (no GenServer start to wait for) that stops when asked."""
    Process.flag("trap_exit", True)
    await receive()
    livelong.exit("shutdown")


LIGHT = ChildSpec("light", (livelong.spawn_link, (_until_shutdown,)))


async def _stop_dynamic(n):
    sup = await DynamicSupervisor.start()
    for _ in range(n):
        await DynamicSupervisor.start_child(sup, LIGHT)
    assert (await DynamicSupervisor.count_children(sup))["active"] == n
    before = len(Process.list())
    took, _ = await _timed(DynamicSupervisor.stop(sup, timeout=None))
    assert before - len(Process.list()) == n + 1  # every child is gone, and the supervisor
    return took


def test_stopping_a_dynamic_supervisor_is_linear_in_its_children():
    run(lambda: _assert_linear(_stop_dynamic, 4000))


def test_children_with_different_shutdowns_are_each_killed_at_their_own_time():
    class Stubborn(GenServer):
        """Traps exits and ignores the supervisor's "shutdown": only a kill stops it."""

        def init(self, arg):
            Process.flag("trap_exit", True)
            return arg

        def handle_info(self, msg, state):
            return NoReply(state)

    async def main():
        sup = await DynamicSupervisor.start()
        # the parent's EXIT is what a GenServer stops on; a child whose parent is the
        # supervisor would stop at once, so these are started unlinked and linked by hand
        kinds = {}
        for shutdown in (0.2, 0.05, "brutal_kill", 0.1):
            spec = ChildSpec(shutdown, (_start_stubborn, (Stubborn,)), shutdown=shutdown)
            pid = await DynamicSupervisor.start_child(sup, spec)
            kinds[pid] = shutdown
        refs = {livelong.monitor(pid): kind for pid, kind in kinds.items()}
        await DynamicSupervisor.stop(sup, timeout=None)
        order = []
        for _ in refs:
            down = await receive(("DOWN", livelong.ANY, livelong.ANY, livelong.ANY, "killed"))
            order.append(refs[down[1]])
        return order

    order = run(main)
    assert order == ["brutal_kill", 0.05, 0.1, 0.2]


async def _start_stubborn(cls):
    pid = await cls.start(None)
    livelong.link(pid)
    return pid


async def _stop_static(n):
    sup = await Supervisor.start([LIGHT.replace(id=i) for i in range(n)])
    took, _ = await _timed(Supervisor.stop(sup, timeout=None))
    return took


def test_stopping_a_supervisor_is_linear_in_its_children():
    run(lambda: _assert_linear(_stop_static, 2000))


# --- 2. restarting many killed children ---------------------------------------------


async def _restart_dynamic(n):
    me = self_pid()
    sup = await DynamicSupervisor.start(max_restarts=n, max_seconds=3600)
    pids = []
    for _ in range(n):  # (an "up" left waiting would make each call's receive longer)
        pids.append(await DynamicSupervisor.start_child(sup, (Reporter, me)))
        await receive("up")

    async def kill_all_and_wait():
        for pid in pids:
            Process.exit(pid, "kill")
        for _ in range(n):
            await receive("up")

    took, _ = await _timed(kill_all_and_wait())
    now = {c.pid for c in await DynamicSupervisor.which_children(sup)}
    assert len(now) == n and not now & set(pids) and all(map(Process.alive, now))
    await DynamicSupervisor.stop(sup, timeout=None)
    return took


def test_restarting_many_killed_children_of_a_dynamic_supervisor_is_linear():
    run(lambda: _assert_linear(_restart_dynamic, 1500))


async def _restart_static(n):
    me = self_pid()
    specs = [Reporter.child_spec(me, id=i) for i in range(n)]
    sup = await Supervisor.start(specs, max_restarts=n, max_seconds=3600)
    for _ in range(n):
        await receive("up")
    pids = [c.pid for c in await Supervisor.which_children(sup)]

    async def kill_all_and_wait():
        for pid in pids:
            Process.exit(pid, "kill")
        for _ in range(n):
            await receive("up")

    took, _ = await _timed(kill_all_and_wait())
    rows = await Supervisor.which_children(sup)
    assert [r.id for r in rows] == list(range(n))  # still in start order
    now = {r.pid for r in rows}
    assert len(now) == n and not now & set(pids) and all(map(Process.alive, now))
    await Supervisor.stop(sup, timeout=None)
    return took


def test_restarting_many_killed_children_of_a_supervisor_is_linear():
    run(lambda: _assert_linear(_restart_static, 1000))


class SlowStart(GenServer):
    """Tells ``to`` it is starting, then waits for "go": its supervisor waits too."""

    async def init(self, to):
        send(to, ("starting", self_pid()))
        await receive("go")
        return to


def test_requests_that_came_before_many_exits_are_handled_first():
    """A supervisor that takes its EXIT messages in bulk still handles them in their
    order: a terminate_child that came before its child died wins over the restart."""

    async def main():
        me = self_pid()
        sup = await DynamicSupervisor.start(max_restarts=100, max_seconds=3600)
        pids = [await DynamicSupervisor.start_child(sup, (Reporter, me)) for _ in range(50)]
        for _ in pids:
            await receive("up")
        slow = Task.async_(DynamicSupervisor.start_child, sup, (SlowStart, me))
        _, slow_pid = await receive(("starting", livelong.ANY))  # the supervisor waits
        term = Task.async_(DynamicSupervisor.terminate_child, sup, pids[10])
        while Process.info(sup, "message_queue_len") == 0:
            await Process.sleep(0)  # until the terminate_child request is queued
        for pid in pids:
            Process.exit(pid, "kill")
        send(slow_pid, "go")
        terminated = await Task.await_(term)
        started = await Task.await_(slow)
        for _ in range(49):  # all but the terminated child come back
            await receive("up")
        count = await DynamicSupervisor.count_children(sup)
        await DynamicSupervisor.stop(sup)
        return terminated, started == slow_pid, count["active"], mailbox()

    assert run(main) == (None, True, 50, [])


# --- 3. seconds arguments -----------------------------------------------------------


class Recorder(GenServer):
    """Answers every call with the list of requests it was sent so far."""

    def init(self, arg):
        return []

    def handle_call(self, request, from_, state):
        state = [*state, request]
        return Reply(state, state)


NAN = float("nan")
HUGE = 10**400  # beyond any float


@pytest.mark.parametrize(
    ("bad", "error", "says"),
    [
        (NAN, ValueError, "must be >= 0, got nan"),
        (-1, ValueError, "must be >= 0, got -1"),
        ("soon", TypeError, "must be a number"),
        (True, TypeError, "must be a number"),
    ],
)
def test_a_bad_call_timeout_fails_before_the_request_is_sent(bad, error, says):
    async def main():
        pid = await Recorder.start()
        with pytest.raises(error, match=f"GenServer.call: timeout {says}"):
            await GenServer.call(pid, "bad", timeout=bad)
        seen = await GenServer.call(pid, "good")
        return seen, mailbox()

    assert run(main) == (["good"], [])  # never sent, and no stray reply


def test_a_huge_call_timeout_means_forever():
    async def main():
        pid = await Recorder.start()
        seen = await GenServer.call(pid, "x", timeout=HUGE)
        dead = await Recorder.start()
        await GenServer.stop(dead)
        with pytest.raises(Exit) as e:
            await GenServer.call(dead, "x", timeout=HUGE)
        return seen, e.value.reason, e.value.context[0].timeout

    assert run(main) == (["x"], "noproc", None)


def test_stop_and_start_check_their_timeout_first():
    async def main():
        pid = await Recorder.start()
        with pytest.raises(ValueError, match="GenServer.stop: timeout must be >= 0, got nan"):
            await GenServer.stop(pid, timeout=NAN)
        alive = Process.alive(pid)
        await GenServer.stop(pid, timeout=HUGE)
        before = set(Process.list())
        with pytest.raises(ValueError, match="Recorder.start: timeout must be >= 0, got nan"):
            await Recorder.start(timeout=NAN)
        with pytest.raises(TypeError, match="Recorder.start_link: timeout must be a number"):
            await Recorder.start_link(timeout="later")
        spawned = set(Process.list()) - before
        other = await Recorder.start_link(timeout=HUGE)
        return alive, Process.alive(pid), spawned, await GenServer.call(other, 1)

    assert run(main) == (True, False, set(), [1])


@pytest.mark.parametrize("result", [Reply, NoReply, Ok])
def test_callback_result_timeouts_are_checked(result):
    args = (1, 2) if result is Reply else (2,)
    with pytest.raises(ValueError, match=f"{result.__name__}: timeout must be >= 0, got nan"):
        result(*args, timeout=NAN)
    with pytest.raises(TypeError, match=f"{result.__name__}: timeout must be a number"):
        result(*args, timeout="soon")
    assert result(*args, timeout=HUGE).timeout is None  # forever: no timeout
    assert result(*args, timeout="infinity").timeout is None


def test_a_server_returning_a_huge_timeout_keeps_running():
    class Lazy(GenServer):
        def handle_cast(self, msg, state):
            return NoReply(msg, timeout=HUGE)

        def handle_call(self, msg, from_, state):
            return Reply(state, state, timeout=HUGE)

    async def main():
        pid = await Lazy.start(0)
        GenServer.cast(pid, 5)
        return await GenServer.call(pid, "get"), await GenServer.call(pid, "get")

    assert run(main) == (5, 5)


@pytest.mark.parametrize(
    ("bad", "error"), [(NAN, ValueError), (-0.5, ValueError), ("soon", TypeError)]
)
def test_a_bad_shutdown_is_refused_when_the_spec_is_made(bad, error):
    with pytest.raises(error, match="child spec 'w': shutdown must be"):
        ChildSpec("w", print, shutdown=bad)

    async def main():
        before = set(Process.list())
        with pytest.raises(error, match="child spec 'w': shutdown must be"):
            await Supervisor.start_link([{"id": "w", "start": print, "shutdown": bad}])
        return set(Process.list()) - before

    assert run(main) == set()


def test_a_huge_shutdown_means_infinity():
    assert ChildSpec("w", print, shutdown=HUGE).shutdown == "infinity"

    async def main():
        sup = await Supervisor.start([Trapping.child_spec(None, shutdown=HUGE)])
        [(_, pid, _, _)] = await Supervisor.which_children(sup)
        Process.exit(pid, "kill")
        [(_, again, _, _)] = await _eventually_restarted(sup, pid)
        await Supervisor.stop(sup)
        return Process.alive(again)

    assert run(main) is False


async def _eventually_restarted(sup, old, which=Supervisor.which_children):
    for _ in range(1000):
        rows = await which(sup)
        if all(isinstance(r.pid, livelong.Pid) and r.pid != old for r in rows):
            return rows
        await Process.sleep(0.001)
    raise AssertionError(f"not restarted: {rows}")


@pytest.mark.parametrize("bad", [NAN, 0, -1])
def test_a_bad_max_seconds_is_refused(bad):
    async def main():
        with pytest.raises(ValueError, match="max_seconds must be"):
            await Supervisor.start_link([], max_seconds=bad)
        with pytest.raises(ValueError, match="max_seconds must be"):
            await DynamicSupervisor.start_link(max_seconds=bad)

    run(main)


def test_a_huge_max_seconds_counts_restarts_forever():
    async def main():
        sup = await Supervisor.start([Trapping.child_spec(None)], max_restarts=5, max_seconds=HUGE)
        [(_, pid, _, _)] = await Supervisor.which_children(sup)
        Process.exit(pid, "kill")
        [(_, again, _, _)] = await _eventually_restarted(sup, pid)
        dyn = await DynamicSupervisor.start(max_restarts=5, max_seconds=HUGE)
        child = await DynamicSupervisor.start_child(dyn, (Trapping, None))
        Process.exit(child, "kill")
        rows = await _eventually_restarted(dyn, child, DynamicSupervisor.which_children)
        return Process.alive(again), len(rows), Process.alive(sup), Process.alive(dyn)

    assert run(main) == (True, 1, True, True)


def test_task_timeouts_are_checked_before_waiting():
    async def main():
        t = Task.async_(lambda: "done")
        with pytest.raises(ValueError, match="Task.await_: timeout must be >= 0, got nan"):
            await Task.await_(t, timeout=NAN)
        with pytest.raises(ValueError, match="Task.yield_: timeout must be >= 0, got nan"):
            await Task.yield_(t, timeout=NAN)
        with pytest.raises(TypeError, match="Task.await_: timeout must be a number"):
            await Task.await_(t, timeout="soon")
        return await Task.await_(t, timeout=HUGE), mailbox()

    assert run(main) == ("done", [])


def test_task_yield_takes_a_huge_timeout():
    async def main():
        t = Task.async_(lambda: 7)
        return await Task.yield_(t, timeout=HUGE)

    assert run(main) == ("ok", 7)


def test_task_shutdown_checks_its_timeout_before_stopping_the_task():
    async def slowly():
        await Process.sleep(0.05)
        return "finished"

    async def main():
        t = Task.async_(slowly)
        with pytest.raises(ValueError, match="Task.shutdown: timeout must be >= 0, got nan"):
            await Task.shutdown(t, NAN)
        with pytest.raises(TypeError, match="Task.shutdown: timeout must be a number"):
            await Task.shutdown(t, "whenever")
        alive = Process.alive(t.pid)
        result = await Task.await_(t)  # untouched: it runs to its end
        t2 = Task.async_(slowly)
        return alive, result, await Task.shutdown(t2, HUGE)  # forever: waits for "shutdown"

    assert run(main) == (True, "finished", None)


def test_task_async_stream_checks_its_timeout_before_starting_tasks():
    async def main():
        before = set(Process.list())
        with pytest.raises(ValueError, match="Task.async_stream: timeout must be >= 0"):
            Task.async_stream([1, 2], str, timeout=NAN)
        with pytest.raises(ValueError, match="Task.Supervisor.async_stream: timeout"):
            Task.Supervisor.async_stream(self_pid(), [1], str, timeout=-1)
        started = set(Process.list()) - before
        out = [r async for r in Task.async_stream([1, 2], str, timeout=HUGE)]
        return started, out

    assert run(main) == (set(), [("ok", "1"), ("ok", "2")])


def test_agent_timeouts_are_checked_and_named():
    async def main():
        agent = await Agent.start_link(lambda: 0)
        for call, name in [
            (lambda t: Agent.get(agent, lambda s: s, timeout=t), "Agent.get"),
            (lambda t: Agent.update(agent, lambda s: s + 1, timeout=t), "Agent.update"),
            (
                lambda t: Agent.get_and_update(agent, lambda s: (s, s + 1), timeout=t),
                "Agent.get_and_update",
            ),
            (lambda t: Agent.start_link(lambda: 0, timeout=t), "Agent.start_link"),
            (lambda t: Agent.stop(agent, timeout=t), "Agent.stop"),
        ]:
            with pytest.raises(ValueError, match=f"{name}: timeout must be >= 0, got nan"):
                await call(NAN)
        untouched = await Agent.get(agent, lambda s: s, timeout=HUGE)
        await Agent.update(agent, lambda s: s + 1, timeout=HUGE)
        return untouched, await Agent.get(agent, lambda s: s), mailbox()

    assert run(main) == (0, 1, [])


def test_supervisor_requests_check_their_timeout():
    async def main():
        sup = await Supervisor.start([])
        dyn = await DynamicSupervisor.start()
        with pytest.raises(ValueError, match="timeout must be >= 0, got nan"):
            await Supervisor.which_children(sup, timeout=NAN)
        with pytest.raises(ValueError, match="timeout must be >= 0, got nan"):
            await DynamicSupervisor.start_child(dyn, (Recorder, None), timeout=NAN)
        count = await DynamicSupervisor.count_children(dyn, timeout=HUGE)
        return count["active"], await Supervisor.which_children(sup, timeout=HUGE)

    assert run(main) == (0, [])


def test_the_start_timeouts_of_the_behaviours_name_them():
    async def main():
        before = set(Process.list())
        for start, name in [
            (lambda t: Supervisor.start_link([], timeout=t), "Supervisor.start_link"),
            (lambda t: Supervisor.start([], timeout=t), "Supervisor.start"),
            (lambda t: DynamicSupervisor.start_link(timeout=t), "DynamicSupervisor.start_link"),
            (lambda t: DynamicSupervisor.start(timeout=t), "DynamicSupervisor.start"),
            (lambda t: Task.Supervisor.start_link(timeout=t), "DynamicSupervisor.start_link"),
            (lambda t: Agent.start(lambda: 0, timeout=t), "Agent.start"),
            (
                lambda t: livelong.Registry.start_link(keys="unique", name="r", timeout=t),
                "Registry.start_link",
            ),
        ]:
            with pytest.raises(ValueError, match=f"^{name}: timeout must be >= 0, got nan"):
                await start(NAN)
        return set(Process.list()) - before

    assert run(main) == set()


def test_math_inf_is_still_forever():
    assert Reply(1, 2, timeout=math.inf).timeout is None
    assert ChildSpec("w", print, shutdown=math.inf).shutdown == "infinity"


# --- 4. GenServer.reply ---------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        lambda me: (me, "x"),
        lambda me: (me, 5),
        lambda me: ("x", make_ref()),
        lambda me: (me,),
        lambda me: None,
    ],
)
def test_reply_refuses_what_is_not_the_from_of_a_call(bad):
    async def main():
        from_ = bad(self_pid())
        with pytest.raises(TypeError, match=r"from_ must be the \(pid, tag\) of a call"):
            GenServer.reply(from_, "v")
        return mailbox()

    assert run(main) == []


def test_reply_with_a_real_from_still_answers():
    class Later(GenServer):
        def handle_call(self, request, from_, state):
            GenServer.reply(from_, ("later", request))
            return NoReply(state)

    async def main():
        pid = await Later.start(None)
        return await GenServer.call(pid, 1)

    assert run(main) == ("later", 1)
