"""DynamicSupervisor: children on demand, max_children, restarts, concurrent shutdown."""

from __future__ import annotations

import logging
import time

import pytest

import livelong
from livelong import (
    ANY,
    DynamicSupervisor,
    GenServer,
    Pid,
    Process,
    Supervisor,
    SupervisorError,
    monitor,
    receive,
    send,
)
from livelong import self as self_pid


@pytest.fixture(autouse=True)
def _quiet(caplog):
    caplog.set_level(logging.CRITICAL, logger="livelong")


def run(main):
    return livelong.run(main)


class Session(GenServer, restart="transient"):
    def init(self, arg):
        to, name = arg
        Process.flag("trap_exit", True)
        send(to, ("started", name))
        return arg

    def handle_cast(self, reason, state):
        return livelong.Stop(reason, state)

    async def terminate(self, reason, state):
        to, name = state
        if name == "slow":
            await Process.sleep(0.1)
        send(to, ("stopped", name, reason))


def test_start_and_terminate_children():
    async def main():
        me = self_pid()
        sup = await DynamicSupervisor.start_link()
        a = await DynamicSupervisor.start_child(sup, (Session, (me, "a")))
        b = await DynamicSupervisor.start_child(sup, (Session, (me, "b")))
        children = await DynamicSupervisor.which_children(sup)
        await DynamicSupervisor.terminate_child(sup, a)
        stopped = await receive(("stopped", "a", ANY), timeout=1)
        with pytest.raises(SupervisorError) as e:
            await DynamicSupervisor.terminate_child(sup, a)
        counts = await DynamicSupervisor.count_children(sup)
        return children, (a, b), stopped, e.value.reason, counts

    children, (a, b), stopped, reason, counts = run(main)
    assert [(c.id, c.pid, c.type) for c in children] == [(None, a, "worker"), (None, b, "worker")]
    assert stopped == ("stopped", "a", "shutdown") and reason == "not_found"
    assert counts == {"specs": 1, "active": 1, "supervisors": 0, "workers": 1}


class Named(GenServer):
    def init(self, arg):
        return arg


def test_start_child_of_a_taken_name_reports_already_started_with_the_holder(caplog):
    caplog.set_level(logging.ERROR, logger="livelong")

    async def main():
        sup = await DynamicSupervisor.start_link()
        first = await DynamicSupervisor.start_child(sup, Named.child_spec(0, name="named"))
        with pytest.raises(SupervisorError) as e:
            await DynamicSupervisor.start_child(sup, Named.child_spec(0, name="named"))
        return first, e.value

    first, err = run(main)
    assert err.reason == ("already_started", first)
    assert "child Named is already started" in str(err)
    assert "<class" not in str(err) + caplog.text


def test_max_children():
    async def main():
        me = self_pid()
        sup = await DynamicSupervisor.start_link(max_children=2)
        a = await DynamicSupervisor.start_child(sup, (Session, (me, 1)))
        await DynamicSupervisor.start_child(sup, (Session, (me, 2)))
        with pytest.raises(SupervisorError, match="max_children") as e:
            await DynamicSupervisor.start_child(sup, (Session, (me, 3)))
        await DynamicSupervisor.terminate_child(sup, a)
        c = await DynamicSupervisor.start_child(sup, (Session, (me, 4)))
        return e.value.reason, isinstance(c, Pid)

    assert run(main) == ("max_children", True)


def test_restarts_follow_the_table():
    async def main():
        me = self_pid()
        sup = await DynamicSupervisor.start_link()
        crash = await DynamicSupervisor.start_child(sup, (Session, (me, "crash")))
        done = await DynamicSupervisor.start_child(sup, (Session, (me, "done")))
        await receive(("started", "crash"))
        await receive(("started", "done"))
        GenServer.cast(crash, "boom")  # transient + abnormal: restarted
        GenServer.cast(done, "normal")  # transient + normal: gone
        restarted = await receive(("started", "crash"), timeout=1)
        await receive(("stopped", "done", ANY))
        await Process.sleep(0.01)
        pids = [c.pid for c in await DynamicSupervisor.which_children(sup)]
        return restarted, len(pids), crash in pids, done in pids

    assert run(main) == (("started", "crash"), 1, False, False)


def test_intensity_shuts_it_down():
    async def main():
        me = self_pid()
        sup = await DynamicSupervisor.start(max_restarts=1, max_seconds=5)
        ref = monitor(sup)
        for _ in range(2):
            [c] = [c.pid for c in await DynamicSupervisor.which_children(sup)] or [
                await DynamicSupervisor.start_child(sup, (Session, (me, "x")))
            ]
            Process.exit(c, "kill")
            await Process.sleep(0.01)
        return (await receive(("DOWN", ref, ANY, ANY, ANY), timeout=1))[4]

    assert run(main) == "shutdown"


def test_stopping_stops_children_concurrently_each_with_its_shutdown_time():
    async def main():
        me = self_pid()
        sup = await DynamicSupervisor.start()
        for _ in range(3):
            await DynamicSupervisor.start_child(sup, (Session, (me, "slow")))
        await DynamicSupervisor.start_child(
            sup, Session.child_spec((me, "slow"), shutdown=0.02)
        )  # killed before it finishes
        t0 = time.monotonic()
        await DynamicSupervisor.stop(sup)
        took = time.monotonic() - t0
        stopped = []
        while True:
            try:
                stopped.append(await receive(("stopped", ANY, ANY), timeout=0))
            except TimeoutError:
                break
        return took, len(stopped)

    took, n = run(main)
    assert took < 0.25  # not 4 x 0.1 s
    assert n == 3


def test_extra_arguments_and_bad_options():
    async def worker(prefix, to, name):
        send(to, (prefix, name))
        await receive()

    async def main():
        me = self_pid()
        sup = await DynamicSupervisor.start_link(extra_arguments=["hello"])
        await DynamicSupervisor.start_child(
            sup, {"id": "w", "start": (_spawn_with, (worker, me, "w"))}
        )
        got = await receive(timeout=1)
        for bad, message in [
            ({"strategy": "one_for_all"}, "strategy must be 'one_for_one'"),
            ({"max_children": -1}, "max_children"),
            ({"extra_arguments": "x"}, "extra_arguments"),
        ]:
            with pytest.raises(ValueError, match=message):
                await DynamicSupervisor.start_link(**bad)
        with pytest.raises(ValueError, match="restart must be"):
            await DynamicSupervisor.start_child(sup, {"id": 1, "start": print, "restart": "x"})
        return got

    assert run(main) == ("hello", "w")


def _spawn_with(prefix, fn, to, name):
    return livelong.spawn_link(fn, prefix, to, name)


def test_dynamic_supervisor_inside_a_supervisor():
    async def main():
        me = self_pid()
        root = await Supervisor.start([DynamicSupervisor.child_spec(name="sessions")])
        await DynamicSupervisor.start_child("sessions", (Session, (me, "s")))
        [(_, dyn, kind, _)] = await Supervisor.which_children(root)
        await Supervisor.stop(root)
        return kind, await receive(("stopped", "s", ANY), timeout=1), Process.alive(dyn)

    assert run(main) == ("supervisor", ("stopped", "s", "shutdown"), False)
