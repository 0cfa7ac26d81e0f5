"""Registered names, timers, the process dictionary and message isolation."""

from __future__ import annotations

import pytest

import livelong
from livelong import (
    ANY,
    Process,
    cancel_timer,
    receive,
    register,
    self,
    send,
    send_after,
    spawn,
    spawn_monitor,
    unregister,
    whereis,
)


def run(main, *args, **kw):
    return livelong.run(main, *args, **kw)


async def echo():
    while True:
        frm, m = await receive()
        send(frm, ("echo", m))


def test_register_send_by_name_whereis_unregister():
    async def main():
        pid = spawn(echo)
        assert register("echo", pid) is True
        assert whereis("echo") == pid
        assert "echo" in livelong.registered()
        send("echo", (self(), 1))
        got = await receive()
        with pytest.raises(ValueError, match="already registered"):
            register("echo", spawn(echo))
        with pytest.raises(ValueError, match="already registered as 'echo'"):
            register("other", pid)
        with pytest.raises(TypeError, match="str"):
            register(42, pid)  # type: ignore[arg-type]
        unregister("echo")
        with pytest.raises(ValueError, match="not registered"):
            unregister("echo")
        return got, whereis("echo")

    assert run(main) == (("echo", 1), None)


def test_name_is_released_when_the_process_exits():
    async def named():
        register("short_lived")
        await receive("stop")

    async def main():
        pid, ref = spawn_monitor(named)
        await Process.sleep(0.01)
        assert whereis("short_lived") == pid
        send("short_lived", "stop")
        await receive(("DOWN", ref, ANY, ANY, ANY))
        return whereis("short_lived")

    assert run(main) is None


def test_send_after_delivers_and_cancel_timer_returns_time_left():
    async def main():
        me = self()
        send_after(me, "tick", 0.01)
        got = await receive(timeout=2)
        ref = send_after(me, "never", 10)
        left = cancel_timer(ref)
        again = cancel_timer(ref)
        with pytest.raises(TimeoutError):
            await receive(timeout=0.05)
        return got, left, again

    got, left, again = run(main)
    assert got == "tick"
    assert 9 < left <= 10
    assert again is False


def test_read_timer_and_send_after_to_a_name():
    async def main():
        register("me")
        ref = send_after("me", "named tick", 0.02)
        left = livelong.read_timer(ref)
        got = await receive(timeout=2)
        return left, got, livelong.read_timer(ref)

    left, got, after = run(main)
    assert 0 < left <= 0.02 and got == "named tick" and after is False


def test_process_dictionary():
    async def main():
        assert Process.put("k", 1) is None
        assert Process.put("k", 2) == 1
        assert Process.get("k") == 2
        assert Process.get("missing", "dflt") == "dflt"
        assert Process.get() == {"k": 2}
        assert Process.delete("k") == 2
        return Process.get()

    assert run(main) == {}


def test_process_list_and_flag_errors():
    async def main():
        pid = spawn(echo)
        await Process.sleep(0)
        pids = Process.list()
        with pytest.raises(ValueError, match="unknown flag"):
            Process.flag("priority_max", True)
        return pid in pids and self() in pids

    assert run(main)


def test_shared_mode_passes_references_and_copy_mode_isolates():
    async def mutate_after_send(copy):
        async def holder(parent):
            msg = await receive()
            await receive("check")
            send(parent, list(msg["items"]))

        pid = spawn(holder, self())
        data = {"items": [1, 2]}
        send(pid, data)
        data["items"].append(3)  # the sender mutates after sending
        send(pid, "check")
        return await receive()

    assert run(mutate_after_send, False, copy_messages=False) == [1, 2, 3]
    assert run(mutate_after_send, True, copy_messages=True) == [1, 2]


def test_copy_mode_keeps_pids_and_immutable_messages_as_they_are():
    async def main():
        me = self()
        msg = ("hello", me, 1, 2.0, b"x")
        send(me, msg)
        got = await receive()
        send(me, [me])
        lst = await receive()
        return got is msg, lst[0] is me

    assert livelong.run(main, copy_messages=True) == (True, True)
