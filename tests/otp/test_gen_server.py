"""GenServer: callbacks, return conventions, calls and their failures, names, stops,
crash reports and bad input."""

from __future__ import annotations

import logging

import pytest

import livelong
from livelong import (
    ANY,
    Exit,
    GenServer,
    Ignore,
    NoReply,
    Ok,
    Process,
    Reply,
    Stop,
    receive,
    send,
    spawn,
    whereis,
)
from livelong import self as self_pid
from livelong.otp import CallContext
from livelong.testing import assert_receive, mailbox, refute_receive


def run(main):
    return livelong.run(main)


class Counter(GenServer):
    async def init(self, arg):
        return arg

    async def handle_call(self, request, from_, state):
        if request == "get":
            return Reply(state, state)
        if request == "bump":
            return Reply(state, state + 1)
        if request == "crash":
            raise ValueError("crash on request")
        return Reply(("unknown", request), state)

    async def handle_cast(self, request, state):
        return NoReply(state + request)


class SyncCounter(GenServer):  # plain (not async) callbacks work the same
    def init(self, arg):
        return arg

    def handle_call(self, request, from_, state):
        return Reply(state, state + 1)

    def handle_cast(self, request, state):
        return NoReply(state + request)


class Reporter(GenServer):
    """Tells ``state["to"]`` what happens to it."""

    def init(self, arg):
        if arg.get("trap"):
            Process.flag("trap_exit", True)
        return arg

    def handle_call(self, request, from_, state):
        if request == "stop_with_reply":
            return Stop("normal", state, reply="bye")
        if request == "stop_abnormal":
            return Stop("gave_up", state)
        return Reply(request, state)

    def handle_info(self, msg, state):
        send(state["to"], ("info", msg))
        return NoReply(state)

    def terminate(self, reason, state):
        send(state["to"], ("terminate", reason))


# --- the basics ---------------------------------------------------------------------


@pytest.mark.parametrize("cls", [Counter, SyncCounter])
def test_start_call_cast_with_sync_or_async_callbacks(cls):
    async def main():
        pid = await cls.start_link(10)
        first = await GenServer.call(pid, "bump")
        GenServer.cast(pid, 5)
        second = await GenServer.call(pid, "bump")
        return first, second

    assert run(main) == (10, 16)


def test_calls_and_casts_from_one_client_arrive_in_order():
    class Log(GenServer):
        def init(self, arg):
            return []

        def handle_cast(self, x, state):
            return NoReply([*state, ("cast", x)])

        def handle_call(self, x, from_, state):
            state = [*state, ("call", x)]
            return Reply(state, state)

    async def main():
        pid = await Log.start_link()
        for i in range(50):
            GenServer.cast(pid, i)
        mid = await GenServer.call(pid, "a")
        GenServer.cast(pid, "b")
        return mid, await GenServer.call(pid, "c")

    mid, end = run(main)
    assert mid == [("cast", i) for i in range(50)] + [("call", "a")]
    assert end == [*mid, ("cast", "b"), ("call", "c")]


def test_start_link_links_and_start_does_not():
    async def main():
        linked = await Counter.start_link(0)
        alone = await Counter.start(0)
        links = Process.info(self_pid())["links"]
        return linked in links, alone in links

    assert run(main) == (True, False)


def test_init_ok_with_continue_runs_handle_continue_before_any_message():
    class Loader(GenServer):
        def init(self, arg):
            return Ok("empty", continue_="load")

        def handle_continue(self, arg, state):
            return NoReply(f"{state}+{arg}ed")

        def handle_call(self, request, from_, state):
            return Reply(state, state)

    async def main():
        pid = await Loader.start_link()
        return await GenServer.call(pid, "get")

    assert run(main) == "empty+loaded"


def test_reply_with_continue_runs_before_the_next_message():
    class Twice(GenServer):
        def handle_call(self, request, from_, state):
            if request == "go":
                return Reply("went", [*state, "call"], continue_="more")
            return Reply(state, state)

        def handle_continue(self, arg, state):
            return NoReply([*state, arg])

    async def main():
        pid = await Twice.start_link([])
        first = await GenServer.call(pid, "go")
        return first, await GenServer.call(pid, "get")

    assert run(main) == ("went", ["call", "more"])


def test_timeout_delivers_timeout_to_handle_info_and_a_message_resets_it():
    class Idle(GenServer):
        def init(self, to):
            return Ok(to, timeout=0.05)

        def handle_call(self, request, from_, to):
            return Reply("ok", to, timeout=0.05)

        def handle_info(self, msg, to):
            send(to, ("info", msg))
            return NoReply(to)  # no timeout: wait forever now

    async def main():
        pid = await Idle.start_link(self_pid())
        first = await assert_receive(("info", ANY), timeout=1)
        await GenServer.call(pid, "again")
        await refute_receive(timeout=0.02)
        second = await assert_receive(("info", ANY), timeout=1)
        await refute_receive(timeout=0.1)
        return first, second

    assert run(main) == (("info", "timeout"), ("info", "timeout"))


def test_hibernate_is_accepted_and_ignored():
    class Sleepy(GenServer):
        def handle_call(self, request, from_, state):
            return Reply(state, state + 1, hibernate=True)

        def handle_cast(self, request, state):
            return NoReply(state + 10, hibernate=True)

    async def main():
        pid = await Sleepy.start_link(0)
        GenServer.cast(pid, None)
        return await GenServer.call(pid, "x")

    assert run(main) == 10


def test_deferred_reply_from_another_process():
    class Deferring(GenServer):
        def handle_call(self, request, from_, state):
            spawn(_answer_later, from_, request)
            return NoReply(state)

    async def main():
        pid = await Deferring.start_link()
        return await GenServer.call(pid, "question")

    assert run(main) == ("answer to", "question")


async def _answer_later(from_, request):
    await Process.sleep(0.01)
    GenServer.reply(from_, ("answer to", request))


def test_handle_info_gets_plain_messages():
    async def main():
        pid = await Reporter.start_link({"to": self_pid()})
        send(pid, ("hello", 1))
        return await assert_receive(("info", ANY))

    assert run(main) == ("info", ("hello", 1))


def test_unexpected_message_with_default_handle_info_is_logged_and_ignored(caplog):
    async def main():
        pid = await Counter.start_link(1)
        send(pid, "surprise")
        return await GenServer.call(pid, "get")

    with caplog.at_level(logging.WARNING, logger="livelong"):
        assert run(main) == 1
    assert "Counter" in caplog.text and "unexpected message" in caplog.text
    assert "'surprise'" in caplog.text


def test_whereis_and_registered_names():
    async def main():
        pid = await Counter.start_link(7, name="counter")
        assert whereis("counter") == pid == GenServer.whereis("counter")
        GenServer.cast("counter", 1)
        value = await GenServer.call("counter", "get")
        try:
            await Counter.start_link(0, name="counter")
        except Exit as e:
            taken = e.reason
        return value, taken, pid

    value, taken, pid = run(main)
    assert value == 8
    assert taken == ("already_started", pid)


# --- call failures ------------------------------------------------------------------


def test_call_to_an_unknown_name_or_dead_pid_exits_noproc_with_context():
    async def main():
        out = []
        try:
            await GenServer.call("nobody", "hi")
        except Exit as e:
            out.append((e.reason, e.context))
        pid = await Counter.start(0)
        await GenServer.stop(pid)
        try:
            await GenServer.call(pid, "get", timeout=1.0)
        except Exit as e:
            out.append((e.reason, e.context, str(e)))
        cast_is_fine = GenServer.cast(pid, 1) is None and GenServer.cast("nobody", 1) is None
        return out, pid, cast_is_fine

    out, pid, cast_is_fine = run(main)
    assert out[0] == ("noproc", (CallContext("GenServer.call", "nobody", "hi", 5.0),))
    reason, context, text = out[1]
    assert reason == "noproc" and context[0].server == pid and context[0].request == "get"
    assert text == f"exit 'noproc' in GenServer.call({pid!r}, 'get', 1.0)"
    assert cast_is_fine


def test_server_dying_during_the_call_raises_its_reason():
    async def main():
        pid = await Counter.start(0)
        try:
            await GenServer.call(pid, "crash")
        except Exit as e:
            return e.reason, e.context[0].request, Process.alive(pid)

    reason, request, alive = run(main)
    assert isinstance(reason, ValueError) and str(reason) == "crash on request"
    assert request == "crash" and alive is False


def test_server_killed_during_the_call():
    class Slow(GenServer):
        async def handle_call(self, request, from_, state):
            await Process.sleep(10)

    async def main():
        pid = await Slow.start()
        spawn(_kill_soon, pid)
        try:
            await GenServer.call(pid, "x")
        except Exit as e:
            return e.reason

    assert run(main) == "killed"


async def _kill_soon(pid):
    await Process.sleep(0.02)
    Process.exit(pid, "kill")


class Slow(GenServer):
    async def handle_call(self, request, from_, state):
        await Process.sleep(request)
        return Reply(("late", request), state)


def test_call_timeout_raises_and_the_late_reply_never_lands():
    async def main():
        pid = await Slow.start()
        try:
            await GenServer.call(pid, 0.1, timeout=0.02)
        except Exit as e:
            reason = e.reason
        await Process.sleep(0.15)  # the server answers meanwhile
        left = mailbox()
        # and the server is still fine
        return reason, left, await GenServer.call(pid, 0)

    reason, left, after = run(main)
    assert reason[0] == "timeout" and reason[1].request == 0.1 and reason[1].timeout == 0.02
    assert left == []
    assert after == ("late", 0)


def test_timeout_is_validated():
    async def main():
        pid = await Counter.start(0)
        with pytest.raises(ValueError, match="timeout"):
            await GenServer.call(pid, "get", timeout=-1)
        return await GenServer.call(pid, "get", timeout=None)

    assert run(main) == 0


def test_calling_itself_is_an_error_not_a_hang():
    class Selfish(GenServer):
        async def handle_call(self, request, from_, state):
            try:
                await GenServer.call(self_pid(), "again")
            except Exit as e:
                return Reply(e.reason, state)

    async def main():
        pid = await Selfish.start()
        return await GenServer.call(pid, "x")

    assert run(main) == "calling_self"


# --- stopping -----------------------------------------------------------------------


def test_stop_with_reply_answers_after_terminate():
    async def main():
        pid = await Reporter.start({"to": self_pid()})
        answer = await GenServer.call(pid, "stop_with_reply")
        term = await assert_receive(("terminate", ANY))
        await Process.sleep(0.01)
        return answer, term, Process.alive(pid)

    assert run(main) == ("bye", ("terminate", "normal"), False)


def test_stop_result_exits_with_the_reason_and_a_crash_report(caplog):
    async def main():
        pid = await Reporter.start({"to": self_pid()})
        ref = livelong.monitor(pid)
        try:
            await GenServer.call(pid, "stop_abnormal", timeout=1)
        except Exit as e:
            reason = e.reason
        down = await assert_receive(("DOWN", ref, ANY, ANY, ANY))
        return reason, down[4], await assert_receive(("terminate", ANY))

    with caplog.at_level(logging.ERROR, logger="livelong"):
        assert run(main) == ("gave_up", "gave_up", ("terminate", "gave_up"))
    assert "Reporter" in caplog.text and "gave_up" in caplog.text


def test_genserver_stop_runs_terminate_and_waits():
    async def main():
        pid = await Reporter.start({"to": self_pid()})
        await GenServer.stop(pid, ("shutdown", "done"))
        term = await assert_receive(("terminate", ANY), timeout=0)
        alive = Process.alive(pid)
        try:
            await GenServer.stop(pid)
        except Exit as e:
            again = e.reason
        return term, alive, again

    assert run(main) == (("terminate", ("shutdown", "done")), False, "noproc")


def test_stop_raises_when_terminate_changes_the_reason():
    class Grumpy(GenServer):
        def terminate(self, reason, state):
            raise RuntimeError("won't go quietly")

    async def main():
        pid = await Grumpy.start()
        try:
            await GenServer.stop(pid)
        except Exit as e:
            return e.reason

    reason = run(main)
    assert isinstance(reason, RuntimeError) and "quietly" in str(reason)


def test_stop_timeout():
    class Stubborn(GenServer):
        async def terminate(self, reason, state):
            await Process.sleep(1)

    async def main():
        pid = await Stubborn.start()
        try:
            await GenServer.stop(pid, timeout=0.02)
        except Exit as e:
            return e.reason[0]

    assert run(main) == "timeout"


@pytest.mark.parametrize("trap", [True, False])
def test_parent_exit_runs_terminate_only_when_trapping_exits(trap):
    async def parent(to):
        await Reporter.start_link({"to": to, "trap": trap})
        send(to, "started")
        await receive()

    async def main():
        p = spawn(parent, self_pid())
        await assert_receive("started")
        Process.exit(p, "shutdown")
        try:
            return await receive(("terminate", ANY), timeout=0.1)
        except TimeoutError:
            return None

    assert run(main) == (("terminate", "shutdown") if trap else None)


def test_an_exit_from_a_non_parent_reaches_handle_info_when_trapping():
    async def main():
        pid = await Reporter.start({"to": self_pid(), "trap": True})
        other = spawn(_link_and_exit, pid)
        info = await assert_receive(("info", ANY))
        return info, other, await GenServer.call(pid, "still here")

    info, other, answer = run(main)
    assert info == ("info", ("EXIT", other, "custom")) and answer == "still here"


async def _link_and_exit(pid):
    livelong.link(pid)
    livelong.exit("custom")


async def _sleep_forever():
    await receive("never")


# --- start failures and bad input ----------------------------------------------------


def test_init_ignore_returns_none():
    class Nope(GenServer):
        def init(self, arg):
            return Ignore()

    async def main():
        return await Nope.start_link(), Process.info(self_pid())["links"]

    assert run(main) == (None, [])


def test_init_stop_raises_exit_and_the_caller_survives():
    class Refuses(GenServer):
        def init(self, arg):
            return Stop(("bad_config", arg))

    async def main():
        try:
            await Refuses.start_link("x")
        except Exit as e:
            return e.reason, Process.alive(self_pid())

    assert run(main) == (("bad_config", "x"), True)


def test_init_exception_propagates_with_a_note(caplog):
    class Broken(GenServer):
        def init(self, arg):
            raise KeyError("missing setting")

    async def main():
        with pytest.raises(KeyError) as info:
            await Broken.start_link()
        return info.value

    err = run(main)
    assert any("Broken" in n for n in err.__notes__)
    assert "Broken" in caplog.text and "failed to start" in caplog.text


def test_init_timeout_kills_the_server():
    class Sluggish(GenServer):
        async def init(self, arg):
            await Process.sleep(5)

    async def main():
        try:
            await Sluggish.start_link(timeout=0.02)
        except Exit as e:
            return e.reason[0], [p for p in Process.list() if p != self_pid()]

    assert run(main) == ("timeout", [])


def test_init_returning_a_noreply_is_a_clear_error():
    class Confused(GenServer):
        def init(self, arg):
            return NoReply(arg)

    async def main():
        with pytest.raises(TypeError, match=r"Confused\.init returned NoReply"):
            await Confused.start_link(1)

    run(main)


@pytest.mark.parametrize(
    "result, message",
    [
        (42, r"Bad\.handle_call returned 42; expected Reply"),
        (None, r"Bad\.handle_call returned None"),
    ],
)
def test_handle_call_returning_garbage_ends_the_server_with_a_clear_error(result, message):
    class Bad(GenServer):
        def handle_call(self, request, from_, state):
            return result

    async def main():
        pid = await Bad.start()
        try:
            await GenServer.call(pid, "x", timeout=1)
        except Exit as e:
            return e.reason

    reason = run(main)
    assert isinstance(reason, TypeError)
    assert pytest.approx(0) == 0
    import re

    assert re.search(message, str(reason)), str(reason)


def test_handle_cast_returning_reply_is_a_clear_error():
    class Bad(GenServer):
        def handle_cast(self, request, state):
            return Reply("x", state)

    async def main():
        pid = await Bad.start()
        ref = livelong.monitor(pid)
        GenServer.cast(pid, "go")
        return (await assert_receive(("DOWN", ref, ANY, ANY, ANY)))[4]

    reason = run(main)
    assert isinstance(reason, TypeError) and "only handle_call can reply" in str(reason)


def test_missing_callbacks_are_clear_errors():
    class Bare(GenServer):
        pass

    async def main():
        pid = await Bare.start()
        try:
            await GenServer.call(pid, "hello")
        except Exit as e:
            return e.reason

    reason = run(main)
    assert isinstance(reason, NotImplementedError)
    assert "Bare" in str(reason) and "'hello'" in str(reason) and "handle_call" in str(reason)


def test_result_extras_are_validated():
    with pytest.raises(ValueError, match="exclude"):
        NoReply(1, timeout=1, continue_="x")
    with pytest.raises(ValueError, match="timeout"):
        Reply(1, 2, timeout=-1)
    assert NoReply(1, timeout=float("inf")).timeout is None
    assert repr(Reply(1, 2, continue_="x")) == "Reply(1, 2, continue_='x')"
    assert Ok(1) == Ok(1) and Ok(1) != NoReply(1)


def test_bad_names_fail_at_start():
    async def main():
        with pytest.raises(TypeError, match="name must be"):
            await Counter.start_link(0, name=42)
        with pytest.raises(TypeError, match="not a server"):
            await GenServer.call(3.14, "x")

    run(main)


def test_crash_report_names_server_last_message_and_truncated_state(caplog):
    class Fragile(GenServer):
        def handle_cast(self, request, state):
            raise ZeroDivisionError("oops")

    async def main():
        pid = await Fragile.start(list(range(100_000)), name="fragile")
        ref = livelong.monitor(pid)
        GenServer.cast(pid, ("divide", 1, 0))
        await assert_receive(("DOWN", ref, ANY, ANY, ANY))
        return pid

    with caplog.at_level(logging.ERROR, logger="livelong"):
        pid = run(main)
    records = [r for r in caplog.records if "terminating" in r.getMessage()]
    assert len(records) == 1
    text = records[0].getMessage()
    assert f"Fragile {pid!r} ('fragile')" in text
    assert "ZeroDivisionError" in text and "oops" in text
    assert "Last message: cast ('divide', 1, 0)" in text
    assert "State: [0, 1, 2" in text and "..." in text
    assert len(text) < 2000
    assert records[0].exc_info is not None


def test_format_status_hides_the_state_in_reports(caplog):
    class Secret(GenServer):
        def handle_cast(self, request, state):
            raise RuntimeError("boom")

        def format_status(self, state):
            return {"password": "***"}

    async def main():
        pid = await Secret.start({"password": "hunter2"})
        ref = livelong.monitor(pid)
        GenServer.cast(pid, "x")
        await assert_receive(("DOWN", ref, ANY, ANY, ANY))

    run(main)
    assert "hunter2" not in caplog.text and "'***'" in caplog.text


def test_child_spec_defaults_and_class_keywords():
    class Worker(GenServer, restart="transient", shutdown=1.0):
        pass

    spec = Worker.child_spec(5)
    assert (spec.id, spec.restart, spec.shutdown, spec.type) == (Worker, "transient", 1.0, "worker")
    assert spec.start == (Worker.start_link, (5,))
    assert Counter.child_spec(id="c").id == "c"
    with pytest.raises(ValueError, match="restart must be one of"):

        class Wrong(GenServer, restart="sometimes"):
            pass

    with pytest.raises(TypeError, match="unknown keywords"):

        class Typo(GenServer, restrat="temporary"):
            pass


def test_reply_needs_a_from():
    async def main():
        with pytest.raises(TypeError, match=r"from_ must be the \(pid, tag\) of a call"):
            GenServer.reply("nobody", 1)

    run(main)
