"""Links, monitors, exit signals and trap_exit, as OTP does them."""

from __future__ import annotations

import logging

import pytest

import livelong
from livelong import (
    ANY,
    Process,
    Ref,
    demonitor,
    link,
    monitor,
    receive,
    self,
    send,
    spawn,
    spawn_link,
    spawn_monitor,
    unlink,
)


def run(main):
    return livelong.run(main)


async def wait_forever():
    await receive("never")


async def crash_after(msg):
    await receive(msg)
    raise RuntimeError("crashed on purpose")


def test_spawn_monitor_returns_pid_and_ref_and_delivers_down():
    async def main():
        pid, ref = spawn_monitor(lambda: None)
        assert isinstance(ref, Ref)
        return pid, ref, await receive(("DOWN", ref, ANY, ANY, ANY))

    pid, ref, down = run(main)
    assert down == ("DOWN", ref, "process", pid, "normal")


def test_monitor_of_a_dead_pid_gives_noproc_at_once():
    async def main():
        pid = spawn(lambda: None)
        await Process.sleep(0.01)
        ref = monitor(pid)
        return pid, ref, await receive(timeout=0)

    pid, ref, down = run(main)
    assert down == ("DOWN", ref, "process", pid, "noproc")


def test_monitor_reports_the_crash_reason_as_the_exception(caplog):
    async def boom():
        raise ZeroDivisionError("nope")

    async def main():
        pid, ref = spawn_monitor(boom)
        return await receive(("DOWN", ref, "process", pid, ANY))

    with caplog.at_level(logging.ERROR, logger="livelong"):
        down = run(main)
    reason = down[4]
    assert isinstance(reason, ZeroDivisionError) and str(reason) == "nope"
    # a crash report with the traceback went through logging
    rec = [r for r in caplog.records if r.name == "livelong" and r.exc_info]
    assert rec and "raised an exception" in rec[0].getMessage()
    assert "ZeroDivisionError" in caplog.text and "boom" in caplog.text


def test_demonitor_stops_delivery_and_flush_drops_a_delivered_down():
    async def main():
        pid = spawn(wait_forever)
        ref = monitor(pid)
        demonitor(ref)
        Process.exit(pid, "kill")
        await Process.sleep(0.01)
        with pytest.raises(TimeoutError):
            await receive(timeout=0)
        pid2 = spawn(lambda: None)
        ref2 = monitor(pid2)
        await Process.sleep(0.01)
        demonitor(ref2, flush=True)
        with pytest.raises(TimeoutError):
            await receive(timeout=0)
        return True

    assert run(main)


def test_crash_kills_linked_process_that_does_not_trap():
    async def middle(parent):
        child = spawn_link(crash_after, "go")
        send(parent, ("child", child))
        await receive("never")

    async def main():
        mid, ref = spawn_monitor(middle, self())
        _, child = await receive(("child", ANY))
        send(child, "go")
        down = await receive(("DOWN", ref, ANY, ANY, ANY))
        return down[4]

    reason = run(main)
    assert isinstance(reason, RuntimeError)


def test_trap_exit_turns_exit_signals_into_messages():
    async def main():
        assert Process.flag("trap_exit", True) is False
        assert Process.flag("trap_exit", True) is True
        child = spawn_link(crash_after, "go")
        send(child, "go")
        msg = await receive(("EXIT", child, ANY))
        normal = spawn_link(lambda: None)
        msg2 = await receive(("EXIT", normal, ANY))
        return msg, msg2

    (tag, _, reason), (_, _, reason2) = run(main)
    assert tag == "EXIT" and isinstance(reason, RuntimeError)
    assert reason2 == "normal"


def test_normal_exit_is_ignored_by_non_trapping_links():
    async def main():
        spawn_link(lambda: None)
        await Process.sleep(0.02)
        return "survived"

    assert run(main) == "survived"


def test_kill_is_untrappable_and_propagates_as_killed():
    async def trapper(parent):
        Process.flag("trap_exit", True)
        send(parent, "ready")
        await receive("never")

    async def main():
        Process.flag("trap_exit", True)
        t = spawn_link(trapper, self())
        await receive("ready")
        Process.exit(t, "kill")
        return await receive(("EXIT", t, ANY))

    assert run(main)[2] == "killed"


def test_exit_signal_with_reason_kills_non_trapping_and_notifies_trapping():
    async def main():
        victim, ref = spawn_monitor(wait_forever)
        Process.exit(victim, "custom")
        down = await receive(("DOWN", ref, ANY, ANY, ANY))
        # a non-trapping process ignores an exit signal "normal" from another process
        survivor = spawn(wait_forever)
        Process.exit(survivor, "normal")
        await Process.sleep(0.01)
        alive = Process.alive(survivor)
        # a trapping one gets it as a message
        Process.flag("trap_exit", True)
        Process.exit(self(), "hello")
        msg = await receive(("EXIT", ANY, ANY))
        return down[4], alive, msg

    reason, alive, msg = run(main)
    assert reason == "custom"
    assert alive is True
    assert msg[0] == "EXIT" and msg[2] == "hello"


def test_exit_normal_to_self_ends_the_caller():
    async def me_exits(parent):
        Process.exit(self(), "normal")
        send(parent, "still here")

    async def main():
        pid, ref = spawn_monitor(me_exits, self())
        return await receive()

    msg = run(main)
    assert msg[0] == "DOWN" and msg[4] == "normal"


def test_exit_reason_raises_from_inside_and_links_see_the_reason():
    async def quitter():
        livelong.exit("bye")

    async def main():
        Process.flag("trap_exit", True)
        pid = spawn_link(quitter)
        return await receive(("EXIT", pid, ANY))

    assert run(main)[2] == "bye"


def test_unlink_prevents_propagation():
    async def main():
        child = spawn_link(crash_after, "go")
        unlink(child)
        ref = monitor(child)
        send(child, "go")
        await receive(("DOWN", ref, ANY, ANY, ANY))
        return "alive"

    assert run(main) == "alive"


def test_link_to_a_dead_process_is_noproc():
    async def main():
        dead = spawn(lambda: None)
        await Process.sleep(0.01)
        Process.flag("trap_exit", True)
        link(dead)
        return await receive(timeout=0)

    msg = run(main)
    assert msg[0] == "EXIT" and msg[2] == "noproc"


def test_killed_process_runs_finally_and_does_not_disturb_unlinked_ones():
    log = []

    async def guarded():
        try:
            await receive("never")
        finally:
            log.append("finally ran")

    async def counter(parent, n):
        for _ in range(n):
            await Process.sleep(0)
        send(parent, ("counted", n))

    async def main():
        g = spawn(guarded)
        spawn(counter, self(), 50)
        await Process.sleep(0)
        Process.exit(g, "kill")
        return await receive(("counted", ANY))

    assert run(main) == ("counted", 50)
    assert log == ["finally ran"]


def test_a_crash_never_takes_down_the_node(caplog):
    async def bad():
        raise KeyError("x")

    async def main():
        for _ in range(20):
            spawn(bad)
        await Process.sleep(0.01)
        pid, ref = spawn_monitor(lambda: 7)
        return (await receive(("DOWN", ref, ANY, ANY, ANY)))[4]

    with caplog.at_level(logging.CRITICAL, logger="livelong"):
        assert run(main) == "normal"


def test_a_monitor_ends_with_its_down_message():
    async def main():
        for _ in range(50):
            _pid, ref = spawn_monitor(lambda: None)
            await receive(("DOWN", ref, ANY, ANY, ANY))
        return Process.info(self(), "monitors")

    assert run(main) == []


def test_many_watchers_of_one_process_each_get_one_down_and_demonitor_any_of_them():
    """Watchers come and go in any order; each monitor left gets its DOWN once."""

    async def watcher(target, parent, keep):
        ref = monitor(target)
        send(parent, ("watching", self()))
        if not keep:
            await receive("drop")
            demonitor(ref)
            send(parent, ("dropped", self()))
            try:
                await receive(("DOWN", ref, ANY, ANY, ANY), timeout=0.05)
                send(parent, ("down after demonitor", self()))
            except TimeoutError:
                send(parent, ("quiet", self()))
            return
        send(parent, ("down", self(), await receive(("DOWN", ref, ANY, ANY, ANY))))

    async def main():
        target = spawn(wait_forever)
        me = self()
        ws = [spawn(watcher, target, me, keep) for keep in (False, True, False, True)]
        for w in ws:
            await receive(("watching", w))
        for w in (ws[0], ws[2]):  # the first monitor and one after it
            send(w, "drop")
            await receive(("dropped", w))
        late = spawn(watcher, target, me, True)
        await receive(("watching", late))
        watching = Process.info(target, "monitored_by")
        mine = monitor(target)
        Process.exit(target, "bye")
        downs = [await receive(("down", w, ANY)) for w in (ws[1], ws[3], late)]
        own = await receive(("DOWN", mine, ANY, ANY, ANY))
        for w in (ws[0], ws[2]):
            await receive(("quiet", w))
        return watching, downs, own, Process.info(self(), "messages"), ws, late, target

    watching, downs, own, rest, ws, late, target = run(main)
    assert sorted(watching) == sorted([ws[1], ws[3], late])
    assert [d[2][4] for d in downs] == ["bye", "bye", "bye"]
    assert own[3:] == (target, "bye")
    assert rest == []


def test_spawning_the_receive_primitive_itself_waits_for_a_message():
    async def main():
        pid, ref = spawn_monitor(receive)
        await Process.sleep(0.01)
        alive = Process.alive(pid)
        send(pid, "one")
        await receive(("DOWN", ref, ANY, ANY, ANY))
        return alive

    assert run(main) is True


def test_alias_delivers_until_unalias():
    async def replier(to, n):
        for i in range(n):
            send(to, ("reply", i))

    async def main():
        a = livelong.alias()
        spawn(replier, a, 1)
        first = await receive(("reply", ANY))
        assert livelong.unalias(a) is True
        assert livelong.unalias(a) is False
        spawn(replier, a, 1)
        await Process.sleep(0.01)
        with pytest.raises(TimeoutError):
            await receive(timeout=0)
        return first

    assert run(main) == ("reply", 0)


def test_monitor_alias_drops_a_reply_that_comes_after_demonitor():
    """The request/reply pattern: a reply sent after the caller gave up is dropped."""

    async def slow_server():
        frm, tag = await receive()
        await Process.sleep(0.03)
        send(tag, (tag, "late reply"))

    async def main():
        server = spawn(slow_server)
        tag = monitor(server, alias="demonitor")
        send(server, (self(), tag))
        with pytest.raises(TimeoutError):
            await receive((tag, ANY), timeout=0.01)
        demonitor(tag, flush=True)
        await Process.sleep(0.06)
        return Process.info(self(), "messages")

    assert run(main) == []


def test_reply_demonitor_alias_takes_one_message_then_forgets_the_monitor():
    async def main():
        target = spawn(receive)
        ref = monitor(target, alias="reply_demonitor")
        send(ref, "first")
        send(ref, "second")
        got = await receive(timeout=0)
        send(target, "stop")
        await Process.sleep(0.01)
        return got, Process.info(self(), "messages"), Process.info(self(), "monitors")

    assert run(main) == ("first", [], [])


def test_alias_of_a_dead_process_is_inactive_and_modes_are_checked():
    async def make_alias(parent):
        send(parent, livelong.alias())

    async def main():
        spawn(make_alias, self())
        a = await receive()
        await Process.sleep(0.01)
        send(a, "into the void")
        with pytest.raises(ValueError, match="unknown mode"):
            livelong.alias("forever")
        return Process.info(self(), "messages")

    assert run(main) == []


def test_monitor_of_a_bad_target_leaves_no_alias_behind():
    from livelong._core import _scheduler as kernel

    async def main():
        before = len(kernel.current_node().aliases)
        with pytest.raises(TypeError, match="monitor"):
            monitor(3.5, alias="demonitor")
        return len(kernel.current_node().aliases) - before

    assert run(main) == 0
