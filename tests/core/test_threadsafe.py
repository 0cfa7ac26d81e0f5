"""The thread-safe handle (``livelong.start()``) and the module-level primitives used
from threads outside the node: they behave as the same calls made inside the node.
And exceptions that end a program (SystemExit, KeyboardInterrupt) raised in a
process end only that process."""

from __future__ import annotations

import asyncio
import logging
import threading
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


# --- exit signals from another thread ----------------------------------------------------


def test_exit_normal_from_a_thread_is_ignored_by_a_process_that_does_not_trap(node):
    pid = node.spawn(forever)
    assert Process.exit(pid, "normal") is True
    assert node.exit(pid, "normal") is True
    assert node.call(lambda: Process.alive(pid), timeout=10) is True


def test_a_trapping_process_hears_exits_from_a_thread_from_the_outside_pid(node):
    got: list[Any] = []
    pid = node.spawn(trapper, got)
    node.call(lambda: None, timeout=10)  # it has set trap_exit by now
    Process.exit(pid, "normal")
    node.exit(pid, "bye")
    livelong.exit(pid, ("custom", 1))
    wait_until(lambda: len(got) == 3, "three EXIT messages")
    outside = node.outside_pid
    assert got == [("EXIT", outside, "normal"), ("EXIT", outside, "bye"),
                   ("EXIT", outside, ("custom", 1))]  # fmt: skip
    assert isinstance(outside, Pid) and outside != pid
    assert node.call(lambda: livelong.node().outside_pid, timeout=10) == outside
    assert node.alive(pid)


def test_the_outside_pid_is_no_process(node):
    outside = node.outside_pid
    assert outside.node == node.name
    assert not node.alive(outside)
    assert node.info(outside) is None
    assert outside not in node.processes()

    async def monitor_it():
        ref = livelong.monitor(outside)
        return await receive(("DOWN", ref, ANY, ANY, ANY))

    assert node.call(monitor_it, timeout=10)[4] == "noproc"


def test_exit_from_a_thread_with_a_reason_ends_a_process_that_does_not_trap(node):
    pid = node.spawn(forever)
    downs: list[Any] = []

    async def watcher():
        ref = livelong.monitor(pid)
        downs.append(await receive(("DOWN", ref, ANY, ANY, ANY)))

    node.spawn(watcher)
    wait_until(lambda: node.info(pid)["monitored_by"], "the monitor")
    Process.exit(pid, "bye")
    wait_until(lambda: downs, "the DOWN message")
    assert downs[0][4] == "bye"


def test_exits_from_plain_asyncio_code_in_the_node_thread_come_from_the_outside_pid():
    async def program():
        async with livelong.Node() as n:
            got: list[Any] = []
            trapping = n.spawn(trapper, got)
            plain = n.spawn(forever)
            await n.acall(lambda: None)  # both run; the trapper traps exits
            Process.exit(trapping, "normal")  # from asyncio code, no process
            Process.exit(trapping, "bye")
            Process.exit(plain, "normal")
            await n.acall(lambda: None)
            return got, n.outside_pid, n.alive(trapping), n.alive(plain)

    got, outside, trapping_alive, plain_alive = asyncio.run(program())
    assert got == [("EXIT", outside, "normal"), ("EXIT", outside, "bye")]
    assert trapping_alive and plain_alive


def test_exit_from_a_process_still_comes_from_that_process(node):
    async def main():
        got: list[Any] = []
        pid = livelong.spawn(trapper, got)
        await Process.sleep(0)
        Process.exit(pid, "normal")
        await Process.sleep(0)
        return got, livelong.self()

    got, me = node.call(main, timeout=10)
    assert got == [("EXIT", me, "normal")]


# --- sends from another thread --------------------------------------------------------------


def test_a_send_from_a_thread_to_an_unregistered_name_raises_there(node):
    with pytest.raises(ValueError, match="no process is registered as 'nobody'"):
        node.send("nobody", "hello")
    with pytest.raises(ValueError, match="no process is registered as 'nobody'"):
        livelong.send("nobody", "hello")
    with pytest.raises(ValueError, match="no process is registered as 'nobody'"):
        livelong.send(("nobody", node.name), "hello")


def test_a_send_from_a_thread_reaches_a_registered_name(node):
    got: list[Any] = []

    async def named():
        livelong.register("named")
        await collector(got)()

    node.spawn(named)
    wait_until(lambda: node.whereis("named") is not None, "the registration")
    assert node.send("named", 1) == 1
    assert livelong.send("named", 2) == 2
    assert livelong.send(("named", node.name), 3) == 3
    wait_until(lambda: got == [1, 2, 3], "three messages")


def test_a_bad_destination_from_a_thread_raises_there(node):
    with pytest.raises(TypeError, match="destination must be"):
        livelong.send(42, "x")
    with pytest.raises(TypeError, match="destination must be"):
        node.send((1, 2), "x")


def test_a_message_sent_from_a_thread_is_copied_at_send_time():
    n = livelong.start(copy_messages=True)
    try:
        pid = n.spawn(forever)
        msg = ["before"]
        n.send(pid, msg)
        msg[0] = "after"
        assert mailbox(n, pid) == [["before"]]
    finally:
        n.stop()


# --- a handle reaches only its own node --------------------------------------------------------


def test_a_stopped_nodes_handle_never_reaches_a_newer_node():
    old = livelong.start()
    old_pid = old.spawn(forever)
    old.stop()
    new = livelong.start()
    try:
        got: list[Any] = []

        async def named():
            livelong.register("name")
            await collector(got)()

        pid = new.spawn(named)
        wait_until(lambda: new.whereis("name") is not None, "the registration")
        calls: list[Callable[[], Any]] = [
            lambda: old.send("name", "for the old node"),
            lambda: old.send(pid, "for the old node"),
            lambda: old.exit("name", "kill"),
            lambda: old.exit(pid, "kill"),
            lambda: old.spawn(forever),
            lambda: old.call(lambda: 1),
            lambda: old.spawn_watched(forever, (), lambda reason, result: None),
            lambda: old.whereis("name"),
            lambda: old.alive(pid),
            lambda: old.info(pid),
            lambda: old.processes(),
        ]
        for call in calls:
            with pytest.raises(RuntimeError, match=f"node {old.name} is stopped"):
                call()
        assert mailbox(new, pid) == []
        assert new.alive(pid) and not new.alive(old_pid)
    finally:
        new.stop()


def test_spawn_and_call_after_stop_say_the_node_is_stopped():
    n = livelong.start()
    n.stop()
    with pytest.raises(RuntimeError, match="Node.spawn: node nonode@nohost is stopped"):
        n.spawn(forever)
    with pytest.raises(RuntimeError, match="Node.call: node nonode@nohost is stopped"):
        n.call(lambda: 1)
    n.stop()  # stopping again is harmless


def test_a_node_never_started_says_so():
    n = livelong.Node()
    with pytest.raises(RuntimeError, match="is not running"):
        n.spawn(forever)
    with pytest.raises(RuntimeError, match="is for nodes started with livelong.start"):
        n.stop()


def test_a_call_pending_when_the_node_stops_fails_with_shutdown():
    n = livelong.start()
    outcome: list[BaseException] = []

    def caller() -> None:
        try:
            n.call(forever)
        except BaseException as e:
            outcome.append(e)

    t = threading.Thread(target=caller)
    t.start()
    wait_until(lambda: len(n.processes()) == 1, "the call's process")
    n.stop()
    t.join(10)
    assert len(outcome) == 1
    assert isinstance(outcome[0], livelong.Exit) and outcome[0].reason == "shutdown"


@pytest.mark.parametrize("how", ["handle", "module"])
def test_a_spawn_from_a_thread_while_the_node_stops_is_refused(how):
    n = livelong.start()
    outcome: list[Any] = []

    def spawn_from_a_thread() -> None:
        try:
            outcome.append((n.spawn if how == "handle" else livelong.spawn)(forever))
        except RuntimeError as e:
            outcome.append(e)

    async def spawns_as_the_node_stops():
        try:
            await receive("never")
        finally:  # the node is ending its processes: a thread spawns right then
            t = threading.Thread(target=spawn_from_a_thread)
            t.start()
            t.join(10)

    n.spawn(spawns_as_the_node_stops)
    n.call(lambda: None, timeout=10)
    n.stop()
    assert len(outcome) == 1
    assert isinstance(outcome[0], RuntimeError), f"spawned {outcome[0]!r} into a stopping node"
    assert "spawn: node nonode@nohost is stopping" in str(outcome[0])


def spawn_until_refused(
    spawn: Callable[..., Pid], pids: list[Pid], errors: list[BaseException]
) -> None:
    try:
        while True:
            pids.append(spawn(forever))
    except RuntimeError as e:  # NotInProcessError too, once no node runs
        errors.append(e)


@pytest.mark.parametrize("how", ["handle", "module"])
def test_spawns_from_a_thread_racing_a_stop_either_are_ended_or_raise(how):
    for _ in range(20):
        n = livelong.start()
        pids: list[Pid] = []
        errors: list[BaseException] = []
        spawn = n.spawn if how == "handle" else livelong.spawn
        t = threading.Thread(target=spawn_until_refused, args=(spawn, pids, errors))
        t.start()
        wait_until(lambda p=pids: len(p) > 10, "some spawns")
        n.stop()
        t.join(10)
        assert len(errors) == 1
        assert any(
            words in str(errors[0])
            for words in ("is stopping", "is stopped", "no livelong node is running")
        ), errors[0]
        assert not any(Process.alive(pid) for pid in pids)  # none left behind, never run


# --- stop --------------------------------------------------------------------------------


def test_stop_returns_once_the_node_thread_has_ended():
    n = livelong.start()
    cleaned: list[str] = []

    async def slow_to_clean():
        try:
            await receive("never")
        finally:
            time.sleep(0.3)  # blocking, in the node's thread
            cleaned.append("done")

    n.spawn(slow_to_clean)
    n.call(lambda: None, timeout=10)
    n.stop()
    assert cleaned == ["done"]
    assert not [t for t in threading.enumerate() if t.ident == n.thread_id]


def test_stop_raises_timeout_error_when_the_node_thread_does_not_end_in_time():
    n = livelong.start()
    release = threading.Event()

    async def stuck_in_finally():
        try:
            await receive("never")
        finally:
            release.wait(30)

    n.spawn(stuck_in_finally)
    n.call(lambda: None, timeout=10)
    try:
        with pytest.raises(TimeoutError, match=r"node nonode@nohost did not stop within 0\.1 s"):
            n.stop(timeout=0.1)
    finally:
        release.set()
    n.stop(timeout=10)


def test_stop_from_inside_the_node_is_a_clear_error(node):
    with pytest.raises(RuntimeError, match="cannot wait for its own thread"):
        node.call(node.stop, timeout=10)


# --- the module-level primitives from a thread agree with the handle --------------------------


def test_module_level_primitives_from_a_thread(node):
    got: list[Any] = []
    pid = livelong.spawn(collector(got))
    assert isinstance(pid, Pid)
    assert livelong.send(pid, "one") == "one"
    wait_until(lambda: got == ["one"], "the message")
    assert pid in Process.list()
    Process.exit(pid, "normal")
    assert mailbox(node, pid) == [] and Process.alive(pid)
    Process.exit(pid, "kill")
    wait_until(lambda: not Process.alive(pid), "the kill")


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
