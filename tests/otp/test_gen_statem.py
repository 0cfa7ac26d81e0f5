"""GenStateMachine: both callback modes, timeouts, postpone, next_event, stop, supervision."""

from __future__ import annotations

import logging

import pytest

import livelong
from livelong import (
    ANY,
    GenStateMachine,
    KeepState,
    KeepStateAndData,
    NextState,
    Stop,
    Supervisor,
    receive,
    self_pid,
    send,
)


@pytest.fixture(autouse=True)
def _quiet(caplog):
    caplog.set_level(logging.CRITICAL, logger="livelong")


class Switch(GenStateMachine):
    callback_mode = "handle_event_function"

    def init(self, arg):
        return False, 0

    def handle_event(self, event_type, content, state, data):
        if content == "flip":
            return NextState(not state, data + 1, ("reply", event_type[1], not state))
        if content == "get":
            return KeepStateAndData(("reply", event_type[1], (state, data)))
        if event_type == "cast":
            return KeepState(data + content)
        if content == "stop":
            return Stop("normal", data)
        return KeepStateAndData()


def test_handle_event_mode_calls_and_casts():
    async def main():
        sw = await Switch.start_link()
        a = await GenStateMachine.call(sw, "flip")
        GenStateMachine.cast(sw, 10)
        b = await GenStateMachine.call(sw, "get")
        await GenStateMachine.stop(sw)
        return a, b

    assert livelong.run(main) == (True, (True, 11))


class Steps(GenStateMachine):
    def init(self, to):
        return "a", [to], [("next_event", "internal", "go")]

    def a(self, event_type, content, log):
        log = log + [("a", event_type, content)]
        if event_type == "internal":
            return NextState("b", log, ("next_event", "internal", 1), ("next_event", "internal", 2))
        return KeepState(log)

    def b(self, event_type, content, log):
        log = log + [("b", event_type, content)]
        if content == 2:
            return NextState("c", log, ("timeout", 0.01, "idle"))
        return KeepState(log)

    def c(self, event_type, content, log):
        log = log + [("c", event_type, content)]
        send(log[0], log[1:])
        return KeepState(log)


def test_next_event_runs_before_messages_in_order_and_event_timeout_fires():
    async def main():
        await Steps.start_link(self_pid())
        return await receive()

    assert livelong.run(main) == [
        ("a", "internal", "go"),
        ("b", "internal", 1),
        ("b", "internal", 2),
        ("c", "timeout", "idle"),
    ]


class Timers(GenStateMachine):
    def init(self, to):
        return "waiting", to, [(("timeout", "tick"), 0.02, "named"), ("timeout", 0.01, "event")]

    def waiting(self, event_type, content, to):
        send(to, (event_type, content))
        if content == "poke":
            return KeepStateAndData(("state_timeout", 0.01, "st"))
        if content == "leave":
            return NextState("gone", to)
        return KeepStateAndData()

    def gone(self, event_type, content, to):
        send(to, ("gone", event_type, content))
        return KeepStateAndData()


def test_event_timeout_is_cancelled_by_an_event_and_state_timeout_by_a_state_change():
    async def main():
        m = await Timers.start_link(self_pid())
        GenStateMachine.cast(m, "poke")  # cancels the event timeout; sets a state timeout
        GenStateMachine.cast(m, "leave")  # state change: the state timeout is cancelled
        got = [await receive() for _ in range(3)]
        await livelong.Process.sleep(0.03)
        from livelong.testing import mailbox

        rest = mailbox()
        await GenStateMachine.stop(m)
        return got, rest

    got, rest = livelong.run(main)
    assert got == [("cast", "poke"), ("cast", "leave"), ("gone", ("timeout", "tick"), "named")]
    assert rest == []


class Sup(GenStateMachine):
    def init(self, arg):
        return "idle", None

    def idle(self, event_type, content, data):
        if content == "crash":
            raise RuntimeError("boom")
        return KeepStateAndData(("reply", event_type[1], "ok"))


def test_supervised_machine_is_restarted():
    async def main():
        sup = await Supervisor.start_link([Sup.child_spec(None, id="m")], strategy="one_for_one")
        [c1] = await Supervisor.which_children(sup)
        GenStateMachine.cast(c1.pid, "crash")
        ref = livelong.monitor(c1.pid)
        await receive(("DOWN", ref, ANY, ANY, ANY))
        await livelong.Process.sleep(0.01)
        [c2] = await Supervisor.which_children(sup)
        answer = await GenStateMachine.call(c2.pid, "hi")
        await Supervisor.stop(sup)
        return c1.pid != c2.pid, answer

    assert livelong.run(main) == (True, "ok")
