"""Preemption: the slice keeps its 5 ms, the watchdog notices a process that holds the
node's thread whatever it calls, and a kill from another thread stops it.

A process that never returns to the scheduler holds the node: these tests start such
processes on a node of their own thread (``livelong.start``) and stop them from the
test's thread, as a user would.  Bounds are generous: they tell "a few slices late"
from "never", not milliseconds apart."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

import livelong
from livelong import Process, spawn

WATCHDOG = 0.3  # seconds: the watchdog limit of the nodes below


# --- the slice keeps its time --------------------------------------------------------


def _busy(seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


async def _steps_of_5ms(until: float) -> None:
    """Well-behaved: 5 ms of work, then a turn for everyone else."""
    while time.perf_counter() < until:
        _busy(0.005)
        await asyncio.sleep(0)


async def _asyncio_ticker(until: float) -> list[float]:
    """A call_later chain in the node's loop: how late each 5 ms tick came."""
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    late: list[float] = []

    def tick(due: float) -> None:
        now = loop.time()
        late.append(now - due)
        if time.perf_counter() < until:
            loop.call_later(0.005, tick, now + 0.005)
        else:
            done.set_result(late)

    loop.call_later(0.005, tick, loop.time() + 0.005)
    return await done


async def _process_ticker(until: float) -> list[float]:
    """A livelong process that sleeps 5 ms at a time: how late each wake-up came."""
    late: list[float] = []
    while time.perf_counter() < until:
        t = time.perf_counter()
        await Process.sleep(0.005)
        late.append(time.perf_counter() - t - 0.005)
    return late


@pytest.mark.parametrize("ticker", [_asyncio_ticker, _process_ticker], ids=["asyncio", "process"])
def test_asyncio_gets_its_turn_within_a_slice_of_a_process_that_yields(caplog, ticker):
    """A process that works 5 ms between two ``await asyncio.sleep(0)`` leaves asyncio
    (timers, other processes' sleeps) a turn after each step: a 5 ms ticker is never
    more than a few slices late (it was 0.5-1 s late when the slice looked at its clock
    only every 64 steps), and the watchdog sees nothing wrong."""

    async def main() -> list[float]:
        until = time.perf_counter() + 0.6
        spawn(_steps_of_5ms, until)  # always runnable: the run queue never empties
        return await ticker(until)

    with caplog.at_level(logging.WARNING, logger="livelong"):
        late = livelong.run(main, watchdog_seconds=WATCHDOG)
    assert len(late) >= 10
    assert max(late) < 0.05, f"a 5 ms ticker came {max(late) * 1000:.0f} ms late"
    assert "runaway" not in caplog.text
