"""Selective receive: patterns that raise, a cancelled receive, receive from another
thread."""

from __future__ import annotations

import asyncio
import threading

import pytest

import livelong
from livelong import (
    ANY,
    Exit,
    GenServer,
    NotInProcessError,
    Process,
    Reply,
    Stop,
    demonitor,
    make_ref,
    monitor,
    receive,
    receive_nowait,
    self,
    send,
    spawn,
)
from livelong.testing import mailbox


def run(main, *args, **kw):
    return livelong.run(main, *args, **kw)


async def _noop():
    return None


class Counter(GenServer):
    async def init(self, arg):
        return 0

    async def handle_call(self, request, from_, state):
        if request == "stop":
            return Stop("normal", state)
        return Reply(state, state + 1)


# ----------------------------------------------------------------------------------
# A pattern that raises does not match (as an Erlang guard that fails)


def _job(m):
    return m["kind"] == "job"  # a TypeError for a tuple, a KeyError for other dicts


def test_a_sender_never_gets_the_receivers_pattern_error():
    async def receiver(parent):
        send(parent, "ready")
        send(parent, ("got", await receive(_job)))

    async def main():
        me = self()
        pid = spawn(receiver, me)
        await receive("ready")
        send(pid, ("not", "a", "dict"))  # the receiver's pattern raises on it
        send(pid, {"other": 1})
        send(pid, {"kind": "job"})
        return (await receive(("got", ANY), timeout=5))[1]

    assert run(main) == {"kind": "job"}


def test_receive_and_receive_nowait_skip_messages_their_pattern_raises_on():
    async def main():
        me = self()
        send(me, ("a", "tuple"))
        with pytest.raises(TimeoutError):
            await receive(_job, timeout=0)
        with pytest.raises(TimeoutError):
            receive_nowait(_job)
        send(me, {"kind": "job", "n": 1})
        send(me, {"kind": "job", "n": 2})
        a = await receive(_job, timeout=0)
        b = receive_nowait(_job)
        c = await receive(_job, tuple, timeout=0)  # the other pattern is still tried
        return a["n"], b["n"], c

    assert run(main) == (1, 2, ("a", "tuple"))


def test_a_waiting_receive_skips_what_its_pattern_raises_on():
    async def main():
        me = self()
        spawn(lambda: send(me, ("a", "tuple")))
        spawn(lambda: send(me, {"kind": "job"}))
        got = await receive(_job, timeout=5)
        return got, mailbox()

    assert run(main) == ({"kind": "job"}, [("a", "tuple")])


class _Touchy:
    """A message part whose comparison raises."""

    def __eq__(self, other):
        raise RuntimeError("do not compare me")

    __hash__ = object.__hash__


def test_demonitor_flush_skips_messages_it_cannot_compare():
    async def main():
        me = self()
        ref = monitor(spawn(_noop))
        touchy = _Touchy()
        send(me, (touchy, ref, "process", me, "x"))
        send(me, ("DOWN", touchy, "process", me, "x"))
        await receive(("DOWN", ref, ANY, ANY, ANY), timeout=5)  # (then flush finds none)
        ref2 = monitor(spawn(_noop))
        await Process.sleep(0.01)
        make_ref()  # (ref2 is no longer the marker: the flush scans them all)
        demonitor(ref2, flush=True)
        return [m[0] is touchy or m[1] is touchy for m in mailbox()]

    assert run(main) == [True, True]


def test_a_watcher_whose_pattern_raises_does_not_cost_the_other_watchers_their_down():
    async def picky(target, parent):
        monitor(target)  # the target's first watcher: told first
        send(parent, "watching")
        send(parent, ("picky", await receive(_job)))  # raises on the DOWN tuple

    async def watcher(target, parent):
        ref = monitor(target)
        send(parent, "watching")
        down = await receive(("DOWN", ref, ANY, ANY, ANY))
        send(parent, ("down", down[4]))

    async def main():
        me = self()
        target = spawn(receive)  # exits at its first message
        pid = spawn(picky, target, me)
        await receive("watching")
        for _ in range(3):
            spawn(watcher, target, me)
            await receive("watching")
        send(target, "exit")
        downs = [(await receive(("down", ANY), timeout=2))[1] for _ in range(3)]
        send(pid, {"kind": "job"})
        return downs, (await receive(("picky", ANY), timeout=2))[1]

    assert run(main) == (["normal"] * 3, {"kind": "job"})


def test_a_call_returns_when_another_watcher_of_the_server_has_a_pattern_that_raises():
    async def picky(server, parent):
        monitor(server)
        send(parent, "watching")
        await receive(_job)

    async def caller(server, parent):
        try:
            await GenServer.call(server, "stop", timeout=None)
        except Exit as e:
            send(parent, ("exit", e.reason))

    async def main():
        me = self()
        server = await Counter.start(None)
        spawn(picky, server, me)
        await receive("watching")
        spawn(caller, server, me)
        return (await receive(("exit", ANY), timeout=2))[1]

    assert run(main) == "normal"


# ----------------------------------------------------------------------------------
# A cancelled receive


async def _match_then_cancel(target, msg):
    send(target, msg)  # deliver matches it and wakes the target...
    target.cancel()  # ...which is cancelled before it runs (as asyncio.timeout does)


def test_a_receive_cancelled_after_its_match_leaves_no_stale_match_behind():
    async def main():
        me = self()
        send(me, "x")  # no match: the matching message lands at index 1
        spawn(_match_then_cancel, me, ("a", 1))
        with pytest.raises(asyncio.CancelledError):
            await receive(("a", ANY))
        with pytest.raises(TimeoutError):  # not ("a", 1), which does not match
            await receive(("c", ANY), timeout=0.05)
        return mailbox()

    assert run(main) == ["x", ("a", 1)]


def test_a_stale_match_never_points_past_the_end_of_the_mailbox():
    async def main():
        me = self()
        send(me, "x")
        spawn(_match_then_cancel, me, ("a", 1))
        with pytest.raises(asyncio.CancelledError):
            await receive(("a", ANY))
        assert [receive_nowait(), receive_nowait()] == ["x", ("a", 1)]
        with pytest.raises(TimeoutError):  # (an IndexError when the index stayed)
            await receive(timeout=0.05)
        spawn(send, me, "late")
        return await receive(timeout=5)

    assert run(main) == "late"


@pytest.mark.parametrize("patterns", [(), (("x", ANY),)], ids=["plain", "selective"])
def test_a_receive_cancelled_while_preempted_takes_nothing(patterns):
    async def cancel(target):
        target.cancel()

    async def main():
        me = self()
        spawn(cancel, me)  # queued: it runs while main is preempted
        for i in range(2500):  # a send costs a reduction: more than a budget
            send(me, ("x", i))
        with pytest.raises(asyncio.CancelledError):
            await receive(*patterns)  # found at once, but the budget is spent: it yields
        return len(mailbox()), mailbox()[0]

    assert run(main) == (2500, ("x", 0))


# ----------------------------------------------------------------------------------
# receive from another thread


@pytest.mark.parametrize(
    "args, kw",
    [((), {}), ((("m", ANY),), {}), ((), {"timeout": 1.0}), ((str,), {"timeout": 0})],
    ids=["plain", "selective", "timeout", "timeout0"],
)
@pytest.mark.parametrize("queued", [True, False], ids=["queued", "empty"])
def test_a_receive_driven_from_another_thread_takes_nothing_and_raises(args, kw, queued):
    outcome = []

    def intruder():
        coro = receive(*args, **kw)
        try:
            coro.send(None)
        except NotInProcessError as e:
            outcome.append(("refused", str(e)))
        except BaseException as e:
            outcome.append(("raised", e))
        else:
            outcome.append("yielded")
            coro.close()

    async def main():
        me = self()
        if queued:
            send(me, ("m", 1))
            send(me, "two")
        t = threading.Thread(target=intruder)
        t.start()
        t.join(10)  # (this holds the node's thread: main is running all along)
        return mailbox(), Process.info(me, "status")

    box, status = run(main)
    assert outcome == [("refused", "receive() must be awaited inside a livelong process")]
    assert box == ([("m", 1), "two"] if queued else [])
    assert status == "running"
