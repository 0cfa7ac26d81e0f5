"""livelong.testing.explore: seeded schedules find interleaving bugs and replay them."""

from __future__ import annotations

import contextlib

import pytest

import livelong
from livelong import Agent, GenServer, Reply, Task
from livelong.testing import ExplorationFailure, explore


def increments(update: str):
    async def main():
        a = await Agent.start_link(lambda: 0)

        async def bump():
            if update == "racy":
                v = await Agent.get(a, lambda n: n)
                await Agent.update(a, lambda _: v + 1)
            else:
                await Agent.update(a, lambda n: n + 1)

        tasks = [Task.async_(bump) for _ in range(2)]
        for t in tasks:
            await Task.await_(t)
        total = await Agent.get(a, lambda n: n)
        assert total == 2, f"an update was lost: {total}"

    return main


def test_the_lost_update_is_found_within_a_few_hundred_runs():
    with pytest.raises(ExplorationFailure) as e:
        explore(increments("racy"), runs=300, seed=7)
    failure = e.value
    assert isinstance(failure.error, AssertionError)
    assert "an update was lost: 1" in str(failure.error)
    assert failure.seed is not None and 0 <= failure.run < 300
    assert failure.schedule and "replay" in str(failure)


def test_the_correct_version_passes_every_run():
    assert explore(increments("atomic"), runs=300, seed=7) == 300


def test_a_replayed_schedule_fails_the_same_way():
    with pytest.raises(ExplorationFailure) as first:
        explore(increments("racy"), runs=300, seed=3)
    for _ in range(3):
        with pytest.raises(ExplorationFailure) as again:
            explore(increments("racy"), replay=first.value.schedule)
        assert again.value.schedule == first.value.schedule
        assert str(again.value.error) == str(first.value.error)


def test_the_same_seed_explores_the_same_schedules():
    runs = []
    for _ in range(2):
        with pytest.raises(ExplorationFailure) as e:
            explore(increments("racy"), runs=300, seed=11)
        runs.append((e.value.run, e.value.schedule))
    assert runs[0] == runs[1]


class Account(GenServer):
    async def init(self, balance):
        return balance

    async def handle_call(self, request, from_, balance):
        if request == "balance":
            return Reply(balance, balance)
        _, amount = request
        return Reply("ok", balance + amount)


def test_a_crash_of_another_process_fails_the_run_with_its_report():
    async def main():
        pid = await Account.start(100)

        async def withdraw():
            balance = await GenServer.call(pid, "balance")
            if balance < 60:
                raise RuntimeError(f"overdrawn: saw {balance}")
            await GenServer.call(pid, ("add", -60))

        livelong.spawn(withdraw)
        livelong.spawn(withdraw)
        with contextlib.suppress(TimeoutError):  # virtual time: no real wait
            await livelong.receive(timeout=1)

    with pytest.raises(ExplorationFailure) as e:
        explore(main, runs=200, seed=1)
    assert isinstance(e.value.error, RuntimeError)
    assert "overdrawn" in str(e.value) and "crashed" in str(e.value)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="runs must be at least 1"):
        explore(increments("atomic"), runs=0)
    with pytest.raises(RuntimeError, match="recorded from another program"):
        explore(increments("racy"), replay=[5, 5, 5, 5])
