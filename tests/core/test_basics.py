"""The core primitives: spawn, send, receive, self, tail, pids."""

from __future__ import annotations

import re
import sys
import tracemalloc

import pytest

import livelong
from livelong import ANY, Pid, Process, receive, self, send, spawn, tail


def run(main, *args, **kw):
    return livelong.run(main, *args, **kw)


# --- the article's example, verbatim --------------------------------------------------


async def receive_messages(state):
    match await receive():
        case ("store", value):
            return tail(receive_messages, [value, *state])
        case ("send_all_values", pid):
            send(pid, ("all_values", state))
            return tail(receive_messages, state)


def test_article_store_process():
    async def main():
        pid = spawn(receive_messages, [])
        send(pid, ("store", 23))
        send(pid, ("store", "hello"))
        send(pid, ("send_all_values", self()))
        return await receive()

    assert run(main) == ("all_values", ["hello", 23])


def test_self_is_stable_within_a_process():
    async def main():
        a = self()
        _ = 1 + 1
        await livelong.Process.sleep(0)
        return a, self()

    a, b = run(main)
    assert a == b and a is b


def test_spawn_plain_function_runs_and_exits():
    async def main():
        pid = spawn(lambda: 1 + 1)
        assert isinstance(pid, Pid)
        ref = livelong.monitor(pid)
        down = await receive(("DOWN", ref, "process", pid, ANY))
        return down[4], Process.alive(pid)

    assert run(main) == ("normal", False)


def test_spawn_async_function_with_args():
    async def worker(parent, a, b):
        send(parent, a + b)

    async def main():
        spawn(worker, self(), 2, 3)
        return await receive()

    assert run(main) == 5


def test_spawn_rejects_non_callable():
    async def main():
        with pytest.raises(TypeError, match="function"):
            spawn(42)
        return True

    assert run(main)


# --- pids -------------------------------------------------------------------------------


def test_pid_prints_erlang_style_hashable_orderable_and_outlives_process():
    async def main():
        pids = [spawn(lambda: None) for _ in range(3)]
        await Process.sleep(0.01)
        return pids

    pids = run(main)
    for p in pids:
        assert re.fullmatch(r"#PID<0\.\d+\.0>", repr(p))
        assert str(p) == repr(p)
    assert len(set(pids)) == 3
    assert sorted(pids) == pids  # created in order, ordered by number
    assert pids[0] < pids[1] <= pids[1]
    assert {pids[0]: "x"}[pids[0]] == "x"
    assert not Process.alive(pids[0])


def test_pid_equality_by_identity_fields():
    a = Pid("nonode@nohost", 90, 0)
    b = Pid("nonode@nohost", 90, 0)
    c = Pid("nonode@nohost", 91, 0)
    assert a == b and hash(a) == hash(b) and a != c
    assert a != ("nonode@nohost", 90, 0)


# --- send ---------------------------------------------------------------------------------


def test_send_to_dead_pid_is_dropped_and_returns_the_message():
    async def main():
        pid = spawn(lambda: None)
        await Process.sleep(0.01)
        assert not Process.alive(pid)
        return send(pid, "hello")

    assert run(main) == "hello"


def test_send_to_non_pid_is_a_type_error_that_says_so():
    async def main():
        with pytest.raises(TypeError, match="destination must be a Pid"):
            send(42, "x")
        with pytest.raises(ValueError, match="no process is registered as 'nobody'"):
            send("nobody", "x")
        return True

    assert run(main)


def test_send_never_blocks_even_with_a_large_backlog():
    async def main():
        pid = spawn(receive)  # takes one message then exits
        for i in range(100_000):
            send(pid, i)
        return True

    assert run(main)


# --- receive --------------------------------------------------------------------------------


def test_receive_takes_the_oldest_message():
    async def main():
        me = self()
        for i in range(5):
            send(me, i)
        return [await receive() for _ in range(5)]

    assert run(main) == [0, 1, 2, 3, 4]


def test_selective_receive_with_template_type_and_predicate():
    async def main():
        me = self()
        for m in ["a", 1, ("reply", 7, "x"), 2.5, ("other", 1), "b"]:
            send(me, m)
        got = [
            await receive(("reply", ANY, ANY)),
            await receive(float),
            await receive(lambda m: m == "b"),
        ]
        rest = [await receive() for _ in range(3)]
        return got, rest

    got, rest = run(main)
    assert got == [("reply", 7, "x"), 2.5, "b"]
    assert rest == ["a", 1, ("other", 1)]


def test_selective_receive_any_of_several_patterns_takes_the_oldest_match():
    async def main():
        me = self()
        for m in ["skip", ("b", 1), ("a", 2)]:
            send(me, m)
        first = await receive(("a", ANY), ("b", ANY))
        return first, await receive(), await receive()

    assert run(main) == (("b", 1), "skip", ("a", 2))


def test_selective_receive_waits_for_a_later_matching_message():
    async def sender(to):
        send(to, "noise")
        await Process.sleep(0.01)
        send(to, ("wanted", 1))

    async def main():
        spawn(sender, self())
        got = await receive(("wanted", ANY))
        return got, await receive(timeout=0)

    assert run(main) == (("wanted", 1), "noise")


def test_dict_templates_match_subsets():
    async def main():
        me = self()
        send(me, {"type": "a", "v": 1})
        send(me, {"type": "b", "v": 2})
        return await receive({"type": "b"})

    assert run(main) == {"type": "b", "v": 2}


def test_receive_timeout_raises_and_leaves_mailbox_intact():
    async def main():
        send(self(), "unrelated")
        with pytest.raises(TimeoutError):
            await receive("never", timeout=0.02)
        with pytest.raises(TimeoutError):
            await receive("never", timeout=0)
        return await receive(timeout=0)

    assert run(main) == "unrelated"


def test_receive_timeout_zero_polls_a_present_message():
    async def main():
        send(self(), 1)
        return await receive(timeout=0)

    assert run(main) == 1


def test_receive_with_timeout_gets_a_message_arriving_in_time():
    async def late(to):
        await Process.sleep(0.01)
        send(to, "late")

    async def main():
        spawn(late, self())
        got = await receive(timeout=2)
        # the timer is gone: no stray wake-up afterwards
        with pytest.raises(TimeoutError):
            await receive(timeout=0.05)
        return got

    assert run(main) == "late"


def test_receive_negative_timeout_is_an_error():
    async def main():
        with pytest.raises(ValueError, match="timeout"):
            await receive(timeout=-1)
        return True

    assert run(main)


def test_receive_outside_a_process_is_a_clear_error():
    import asyncio

    with pytest.raises(livelong.NotInProcessError, match="inside a livelong process"):
        asyncio.run(_await_receive())
    with pytest.raises(livelong.NotInProcessError, match="self"):
        livelong.self()


async def _await_receive():
    await receive()


# --- tail calls -------------------------------------------------------------------------------


async def count_down(n, parent):
    if n == 0:
        send(parent, "done")
        return None
    return tail(count_down, n - 1, parent)


def test_tail_calls_do_not_grow_the_stack():
    n = 5 * sys.getrecursionlimit() * 10  # far beyond what recursion could reach

    async def main():
        spawn(count_down, n, self())
        return await receive()

    assert run(main) == "done"


async def loop_receive(state):
    msg = await receive()
    if msg == "stop":
        return None
    if msg == "report":
        send(state[0], ("state", state[1]))
        return tail(loop_receive, state)
    return tail(loop_receive, (state[0], state[1] + 1))


def test_receive_loop_with_tail_calls_runs_in_constant_memory():
    """The article's recursive receive loop: memory after 200k iterations equals
    memory after 20k (the benchmark runs 10 million)."""

    async def main():
        me = self()
        pid = spawn(loop_receive, (me, 0))
        tracemalloc.start()
        peaks = []
        for rounds in (20_000, 180_000):
            for _ in range(rounds):
                send(pid, "tick")
            send(pid, "report")
            await receive(("state", ANY))
            peaks.append(tracemalloc.get_traced_memory()[1])
            tracemalloc.reset_peak()
        tracemalloc.stop()
        send(pid, "stop")
        return peaks

    small, large = run(main)
    # nine times the iterations must not need more memory than the mailbox backlog
    # of the first round (which is what dominates the peak)
    assert large < small * 12
    assert large < 60_000_000


def test_tail_with_plain_function_and_not_callable():
    def step(n, parent):
        if n == 0:
            send(parent, "plain-done")
            return None
        return tail(step, n - 1, parent)

    async def main():
        spawn(step, 100_000, self())
        with pytest.raises(TypeError, match="function"):
            tail(3)
        return await receive()

    assert run(main) == "plain-done"


# --- run ----------------------------------------------------------------------------------------


def test_run_returns_main_result_and_reraises_its_exception():
    async def ok():
        return 42

    async def bad():
        raise ValueError("boom")

    assert run(ok) == 42
    with pytest.raises(ValueError, match="boom"):
        run(bad)


def test_run_reraises_exit_of_main():
    async def main():
        livelong.exit(("shutdown", "bye"))

    with pytest.raises(livelong.Exit) as ei:
        run(main)
    assert ei.value.reason == ("shutdown", "bye")


def test_run_stops_leftover_processes_running_their_finally_blocks():
    log = []

    async def forever():
        try:
            await receive()
        finally:
            log.append("cleaned")

    async def main():
        spawn(forever)
        await Process.sleep(0.01)

    run(main)
    assert log == ["cleaned"]


def test_number_and_string_patterns_match_exactly():
    async def main():
        me = self()
        for m in [True, 1.0, ("n", True), ("n", 1), 1]:
            send(me, m)
        return await receive(("n", 1)), await receive(1), await receive(timeout=0)

    assert run(main) == (("n", 1), 1, True)


def test_a_pid_rebuilt_from_its_fields_reaches_the_live_process():
    async def main():
        me = self()
        copy = Pid(me.node, me.id, me.serial)
        assert copy == me and me == copy and copy is not me
        assert copy in {me} and me in {copy: 1} and not (copy < me or me < copy)
        assert isinstance(me, Pid) and repr(me) == repr(copy)
        assert Process.alive(copy) and Process.info(copy, "status") == "running"
        send(copy, "via the copy")
        return await receive(timeout=1)

    assert run(main) == "via the copy"


def test_a_dead_pid_keeps_nothing_of_its_process_alive():
    """A pid outlives its process (in a list, a message, a supervisor's state), but
    the process's function, arguments, dictionary and mailbox must not live on."""
    import gc
    import weakref

    class Big:
        pass

    async def holder(big):
        Process.put("big", big)
        Process.put("also", [big])
        await receive(lambda m: m is big)  # a selective receive whose pattern holds it

    def closure_over(obj):
        return lambda: obj and None

    async def main():
        big = Big()
        ref = weakref.ref(big)
        closure_big = Big()
        closure_ref = weakref.ref(closure_big)
        pid, mon = livelong.spawn_monitor(holder, big)
        pid2, mon2 = livelong.spawn_monitor(closure_over(closure_big))
        send(pid, "not it")
        del big, closure_big
        await Process.sleep(0.01)
        Process.exit(pid, "kill")
        await receive(("DOWN", mon, ANY, ANY, ANY))
        await receive(("DOWN", mon2, ANY, ANY, ANY))
        gc.collect()
        return pid, pid2, ref() is None, closure_ref() is None

    pid, pid2, freed, closure_freed = run(main)
    assert isinstance(pid, Pid) and not Process.alive(pid)
    assert freed, "the dictionary, arguments or patterns of a dead process live on"
    assert closure_freed, "the function of a dead process lives on"


def test_receive_nowait_takes_at_once_or_raises():
    async def main():
        me = self()
        with pytest.raises(TimeoutError):
            livelong.receive_nowait()
        send(me, "a")
        send(me, ("b", 1))
        got = livelong.receive_nowait(("b", ANY)), livelong.receive_nowait()
        with pytest.raises(TimeoutError):
            livelong.receive_nowait()
        return got

    assert run(main) == (("b", 1), "a")
    with pytest.raises(livelong.NotInProcessError):
        livelong.receive_nowait()
