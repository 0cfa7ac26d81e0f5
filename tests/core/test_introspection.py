"""Process.info from any thread: snapshots that never see a half-changed process,
one key computed alone, and the user-facing statuses."""

from __future__ import annotations

import asyncio
import sys
import threading
import time

import pytest

import livelong
from livelong import Process, receive, self, send, spawn
from livelong.lowlevel import process_info

ALL_KEYS = (
    "pid",
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
)


async def bystander():
    await receive("never")


async def churner(others, rounds_done):
    """Changes everything Process.info reads, in a loop that yields to the node:
    monitors, links, dictionary keys (and containers inside the dictionary),
    aliases and messages."""
    mons = []
    aliases = []
    bag: set[int] = set()
    table: dict[int, int] = {}
    Process.put("bag", bag)
    Process.put("table", table)
    i = 0
    while True:
        i += 1
        for j in range(40):
            mons.append(livelong.monitor(others[j % len(others)]))
            livelong.link(others[(i + j) % len(others)])
            Process.put(("k", j), [j] * 3)
            aliases.append(livelong.alias())
            bag.add(i * 100 + j)
            table[j] = i
            send(self(), ("note", {"i": i, "j": j}, [j]))
        await Process.sleep(0)
        for j in range(40):
            livelong.demonitor(mons.pop())
            livelong.unlink(others[(i + j) % len(others)])
            Process.delete(("k", j))
            livelong.unalias(aliases.pop())
            bag.clear()
            table.pop(j, None)
        for _ in range(40):  # take the notes back
            await receive()
        rounds_done[0] = i
        await Process.sleep(0)


def test_info_from_another_thread_while_the_process_changes_everything():
    old_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # thread switches as often as possible
    node = livelong.start()
    errors: list[BaseException] = []
    calls = [0]
    rounds_done = [0]
    try:
        others = [node.spawn(bystander) for _ in range(8)]
        pid = node.spawn(churner, others, rounds_done)
        targets = [pid, *others]

        def hammer() -> None:
            deadline = time.monotonic() + 1.5
            try:
                while time.monotonic() < deadline:
                    for p in targets:
                        Process.info(p)
                        for key in ALL_KEYS:
                            Process.info(p, key)
                        calls[0] += 1
            except BaseException as e:  # noqa: BLE001 (reported below)
                errors.append(e)

        threads = [threading.Thread(target=hammer) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert not any(t.is_alive() for t in threads)
    finally:
        sys.setswitchinterval(old_interval)
        node.stop()
    assert not errors, f"Process.info raised from another thread: {errors[0]!r}"
    assert calls[0] > 10 and rounds_done[0] > 10  # both sides really ran


async def hoarder():
    await Process.sleep(float("inf"))  # messages wait in the mailbox


def test_one_key_does_not_build_the_whole_snapshot():
    async def main():
        pid = spawn(hoarder)
        await Process.sleep(0)
        for i in range(1_000_000):
            send(pid, ("msg", i))
        t0 = time.perf_counter()
        full = Process.info(pid)
        full_time = time.perf_counter() - t0
        one_time = float("inf")
        for _ in range(5):
            t0 = time.perf_counter()
            n = Process.info(pid, "message_queue_len")
            one_time = min(one_time, time.perf_counter() - t0)
        return full["message_queue_len"], n, full_time, one_time

    full_len, n, full_time, one_time = livelong.run(main)
    assert full_len == n == 1_000_000
    assert full_time >= 50 * one_time, (full_time, one_time)


def test_every_item_alone_equals_the_same_item_of_the_whole_snapshot():
    async def quiet(parent):
        Process.put("role", "quiet")
        livelong.register("the_quiet_one")
        livelong.link(parent)
        send(parent, "ready")
        await receive("never")

    async def main():
        pid = spawn(quiet, self())
        await receive("ready")
        livelong.monitor(pid)
        send(pid, ("hello", [1, 2]))
        full = Process.info(pid)
        alone = {key: Process.info(pid, key) for key in ALL_KEYS}
        return pid, full, alone

    pid, full, alone = livelong.run(main)
    assert set(full) == set(ALL_KEYS)
    assert alone == full
    assert full["pid"] is pid and full["dictionary"] == {"role": "quiet"}
    assert full["messages"] == [("hello", [1, 2])] and full["message_queue_len"] == 1


def test_an_unknown_item_is_a_key_error_listing_the_known_ones_even_for_a_dead_pid():
    async def main():
        dead = spawn(lambda: None)
        await Process.sleep(0.01)
        assert Process.info(dead) is None and Process.info(dead, "status") is None
        with pytest.raises(KeyError, match="unknown item 'nope'.*message_queue_len"):
            Process.info(dead, "nope")
        with pytest.raises(KeyError, match="unknown item 'nope'.*message_queue_len"):
            Process.info(self(), "nope")
        with pytest.raises(TypeError, match="item must be a str"):
            Process.info(self(), ["status"])  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="expected a Pid"):
            Process.info("main")  # type: ignore[arg-type]

    livelong.run(main)


async def in_receive():
    await receive()


async def in_selective_receive():
    await receive("only_this")


async def awaiting_a_future():
    await asyncio.get_running_loop().create_future()


@pytest.mark.parametrize(
    "body, messages",
    [(in_receive, []), (in_selective_receive, ["not_this"]), (awaiting_a_future, ["hi"])],
)
def test_every_kind_of_waiting_shows_as_waiting(body, messages):
    async def main():
        pid = spawn(body)
        fresh = Process.info(pid, "status")
        await Process.sleep(0.01)
        for m in messages:  # none of them wakes it
            send(pid, m)
        await Process.sleep(0.01)
        return fresh, Process.info(pid, "status"), Process.alive(pid)

    assert livelong.run(main) == ("runnable", "waiting", True)


def test_a_process_ended_by_an_exit_signal_is_exiting_while_it_cleans_up():
    async def cleans_up(parent):
        try:
            send(parent, "ready")
            await receive("never")
        finally:
            me = self()
            send(parent, ("cleaning", Process.info(me, "status"), Process.alive(me)))

    async def main():
        pid = spawn(cleans_up, self())
        await receive("ready")
        await Process.sleep(0.01)
        Process.exit(pid, "shutdown")
        seen = await receive(("cleaning", livelong.ANY, livelong.ANY), timeout=5)
        await Process.sleep(0.01)
        return seen, Process.info(pid), Process.alive(pid)

    assert livelong.run(main) == (("cleaning", "exiting", False), None, False)


def test_the_record_says_exiting_as_soon_as_an_exit_reason_is_set():
    """The contract with the exit path (``_lifecycle.kill``): a process whose
    ``exit_reason`` is set has been ended by an exit signal, whatever its status."""
    from livelong._core._process import NOT_EXITING

    async def main():
        pid = spawn(in_receive)
        await Process.sleep(0.01)
        before = Process.info(pid, "status"), Process.alive(pid)
        pid.exit_reason = "shutdown"  # type: ignore[attr-defined]
        try:
            during = Process.info(pid)["status"], Process.alive(pid)
        finally:
            pid.exit_reason = NOT_EXITING  # type: ignore[attr-defined]
        return before, during, Process.info(pid, "status")

    assert livelong.run(main) == (("waiting", True), ("exiting", False), "waiting")


def test_list_and_info_answer_from_another_thread():
    node = livelong.start()
    try:
        pid = node.spawn(in_receive)
        deadline = time.monotonic() + 5
        while Process.info(pid, "status") != "waiting" and time.monotonic() < deadline:
            time.sleep(0.01)
        assert pid in Process.list()
        assert Process.info(pid, "status") == "waiting"
        assert Process.info(pid, "current_function")[1] == "in_receive"
        assert process_info(pid)["initial_call"] == (__name__, "in_receive", 0)  # type: ignore[arg-type]
    finally:
        node.stop()
    assert Process.info(pid) is None
