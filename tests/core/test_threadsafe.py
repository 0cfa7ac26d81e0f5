"""The thread-safe handle (``livelong.start()``) and the module-level primitives used
from threads outside the node: they behave as the same calls made inside the node.
And exceptions that end a program (SystemExit, KeyboardInterrupt) raised in a
process end only that process."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import livelong
from livelong import ANY, Pid, Process, receive, spawn_monitor
from livelong.testing import VirtualClock


@pytest.fixture
def node() -> Iterator[livelong.Node]:
    n = livelong.start()
    try:
        yield n
    finally:
        n.stop()


def wait_until(check: Callable[[], bool], what: str, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.005)


def collector(got: list[Any]) -> Callable[[], Any]:
    """A process body that appends every message it receives to ``got``."""

    async def collect() -> None:
        while True:
            got.append(await receive())

    return collect


async def trapper(got: list[Any]) -> None:
    Process.flag("trap_exit", True)
    while True:
        got.append(await receive())


async def forever() -> None:
    await receive("never")


def mailbox(n: livelong.Node, pid: Pid) -> list[Any]:
    """The messages waiting in ``pid``'s mailbox, read inside the node (after whatever
    this thread sent before has landed)."""
    return n.call(lambda: Process.info(pid, "messages"), timeout=10)


# --- timers from another thread ------------------------------------------------------


def test_timers_from_another_thread_are_read_and_cancelled_at_once():
    clock = VirtualClock(autojump=False)  # time moves only when the test says so
    n = livelong.start(clock=clock)
    try:
        got: list[Any] = []
        pid = n.spawn(collector(got))
        ref = livelong.send_after(pid, "cancelled", 60)
        assert livelong.read_timer(ref) == 60.0
        assert Process.read_timer(ref) == 60.0
        assert livelong.cancel_timer(ref) == 60.0
        assert livelong.cancel_timer(ref) is False
        assert livelong.read_timer(ref) is False
        kept = livelong.send_after(pid, "kept", 90)
        clock.advance(30)
        assert livelong.read_timer(kept) == 60.0
        clock.advance(100)
        wait_until(lambda: got == ["kept"], "the timer left running to fire")
        assert livelong.read_timer(kept) is False
        assert livelong.cancel_timer(kept) is False
        assert got == ["kept"]  # the cancelled one, due first, never came
    finally:
        n.stop()


def test_many_timers_cancelled_from_a_thread_as_soon_as_set_never_fire(node):
    got: list[Any] = []
    pid = node.spawn(collector(got))
    lefts = [livelong.cancel_timer(livelong.send_after(pid, i, 0.05)) for i in range(200)]
    assert all(isinstance(left, float) and 0.0 <= left <= 0.05 for left in lefts)
    livelong.send_after(pid, "control", 0.2)  # due after every cancelled one
    wait_until(lambda: got == ["control"], "the control timer")
    assert got == ["control"]


def test_a_timer_set_from_a_thread_can_be_cancelled_inside_the_node(node):
    got: list[Any] = []
    pid = node.spawn(collector(got))
    ref = livelong.send_after(pid, "cancelled", 0.1)
    left = node.call(lambda: livelong.cancel_timer(ref), timeout=10)
    assert isinstance(left, float) and 0.0 <= left <= 0.1
    livelong.send_after(pid, "control", 0.3)
    wait_until(lambda: got == ["control"], "the control timer")
    assert got == ["control"]


def test_timers_of_a_stopped_node_are_gone():
    n = livelong.start()
    pid = n.spawn(forever)
    ref = livelong.send_after(pid, "late", 30)
    n.stop()
    with pytest.raises(livelong.NotInProcessError, match="no livelong node is running"):
        livelong.read_timer(ref)


# --- SystemExit and KeyboardInterrupt in a process ------------------------------------------------


@pytest.mark.parametrize("kind", [SystemExit, KeyboardInterrupt])
def test_a_process_raising_systemexit_or_keyboardinterrupt_ends_alone(node, kind, caplog):
    exc = kind()
    bystander = node.spawn(forever)

    def raiser():
        raise exc

    async def watch():
        pid, ref = spawn_monitor(raiser)
        return await receive(("DOWN", ref, ANY, ANY, ANY))

    with caplog.at_level(logging.ERROR, logger="livelong"):
        down = node.call(watch, timeout=10)
    assert down[4] is exc
    assert f"({type(exc).__name__})" in caplog.text and "raised an exception" in caplog.text
    assert node.alive(bystander)
    assert node.call(lambda: 1 + 1, timeout=10) == 2


@pytest.mark.parametrize("kind", [SystemExit, KeyboardInterrupt])
def test_a_linked_process_hears_the_exception_as_its_exit_reason(node, kind):
    exc = kind()

    async def parent():
        Process.flag("trap_exit", True)

        async def child():
            raise exc

        pid = livelong.spawn_link(child)
        return await receive(("EXIT", pid, ANY))

    assert node.call(parent, timeout=10)[2] is exc


@pytest.mark.parametrize("exc", [SystemExit, KeyboardInterrupt])
def test_run_reraises_systemexit_or_keyboardinterrupt_from_main(exc):
    async def main():
        await Process.sleep(0)
        raise exc("from main")

    with pytest.raises(exc, match="from main"):
        livelong.run(main)
    assert livelong.run(lambda: "the next run works") == "the next run works"


def test_run_goes_on_when_another_process_raises_systemexit():
    def quits():
        raise SystemExit(1)

    async def main():
        pid, ref = spawn_monitor(quits)
        down = await receive(("DOWN", ref, ANY, ANY, ANY))
        return type(down[4]).__name__

    assert livelong.run(main) == "SystemExit"


def test_call_reraises_systemexit_from_its_function(node):
    def quits():
        raise SystemExit(4)

    with pytest.raises(SystemExit) as info:
        node.call(quits, timeout=10)
    assert info.value.code == 4
    assert node.call(lambda: "still up", timeout=10) == "still up"
