"""Selective receive: the receive marker (a receive for a fresh ref skips the backlog),
patterns that raise, a cancelled receive, receive from another thread, and the
readable reference versions of the hot paths (``LIVELONG_REFERENCE=1``)."""

from __future__ import annotations

import asyncio
import inspect
import os
import subprocess
import sys
import threading
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import livelong
from livelong import (
    ANY,
    Exit,
    GenServer,
    NotInProcessError,
    Process,
    Reply,
    Stop,
    Task,
    alias,
    demonitor,
    make_ref,
    monitor,
    receive,
    receive_nowait,
    self,
    send,
    spawn,
    spawn_monitor,
)
from livelong.testing import mailbox

BACKLOG = 100_000


def run(main, *args, **kw):
    return livelong.run(main, *args, **kw)


def fill(n: int) -> None:
    me = self()
    for i in range(n):
        send(me, ("noise", i))


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
# The marker: a receive for a message holding a fresh ref does not scan the backlog


async def _seconds_per_op(op, n: int) -> float:
    best = float("inf")
    for _ in range(5):  # the best of five rounds: a busy machine slows some of them
        t0 = time.perf_counter()
        for _ in range(n):
            await op()
        best = min(best, (time.perf_counter() - t0) / n)
    return best


async def _backlog_ratio(op, n: int) -> float:
    """How much slower ``op`` is with BACKLOG unrelated messages queued."""
    empty = await _seconds_per_op(op, n)
    fill(BACKLOG)
    full = await _seconds_per_op(op, n)
    assert len(mailbox()) == BACKLOG  # the backlog is all still there, in order
    assert mailbox()[:2] == [("noise", 0), ("noise", 1)]
    return full / empty


def test_a_call_with_a_long_backlog_costs_what_a_call_with_an_empty_mailbox_costs():
    async def main():
        pid = await Counter.start_link(None)

        async def call():
            await GenServer.call(pid, "next")

        return await _backlog_ratio(call, 100)

    assert run(main) < 5  # (scanning the backlog made it 4000 times slower)


def test_starting_and_stopping_a_server_does_not_scan_the_backlog():
    async def main():
        async def start_and_stop():
            pid = await Counter.start_link(None)  # the start tag and its monitor
            await GenServer.stop(pid)  # ("DOWN", ref, ...)

        return await _backlog_ratio(start_and_stop, 40)

    assert run(main) < 5


def test_awaiting_a_task_does_not_scan_the_backlog():
    async def task():
        assert await Task.await_(Task.async_(lambda: 42)) == 42

    async def main():
        return await _backlog_ratio(task, 40)

    assert run(main) < 5


def test_awaiting_the_down_of_a_spawn_monitor_does_not_scan_the_backlog():
    async def down():
        _pid, ref = spawn_monitor(_noop)
        await receive(("DOWN", ref, ANY, ANY, ANY))

    async def main():
        return await _backlog_ratio(down, 40)

    assert run(main) < 5


def test_an_older_message_matching_another_pattern_is_still_taken_first():
    async def main():
        me = self()
        send(me, "early")
        ref = make_ref()
        send(me, (ref, "reply"))
        first = await receive((ref, ANY), str, timeout=0)  # str matches "early"
        second = await receive((ref, ANY), str, timeout=0)
        return first, second[1]

    assert run(main) == ("early", "reply")


def test_the_marker_follows_its_message_when_older_ones_are_taken():
    async def main():
        me = self()
        for m in ("a", "b", "c", "d"):
            send(me, m)
        ref = make_ref()  # marker at 4
        assert await receive("b", timeout=0) == "b"  # one before it: now at 3
        assert receive_nowait("c") == "c"  # and another: at 2
        assert await receive() == "a"  # the oldest: at 1
        send(me, ("reply", ref))
        return await receive(("reply", ref), timeout=0), mailbox()

    reply, rest = run(main)
    assert reply[0] == "reply" and rest == ["d"]


def test_since_a_ref_that_is_no_longer_the_marker_still_finds_the_message():
    async def main():
        me = self()
        send(me, "noise")
        ref1 = make_ref()
        send(me, ("reply", ref1))
        make_ref()  # the marker moves on; ref1 is forgotten
        got = await receive(lambda m: m[1] is ref1, since=ref1, timeout=0)
        return got[1] is ref1, receive_nowait(since=ref1)

    assert run(main) == (True, "noise")


def test_two_refs_made_back_to_back_are_both_markers():
    async def main():
        me = self()
        fill(10)
        tag = make_ref()
        mref = monitor(spawn(receive))  # no message came in between: tag still counts
        send(me, (tag, "started"))
        a = await receive((tag, ANY), ("DOWN", mref, ANY, ANY, ANY), timeout=0)
        return a[1], len(mailbox())

    assert run(main) == ("started", 10)


def test_a_monitor_of_a_dead_process_finds_its_own_noproc_down():
    async def main():
        fill(10)
        ref = monitor(spawn(_noop))  # dead only once it ran: a normal DOWN
        d1 = await receive(("DOWN", ref, ANY, ANY, ANY), timeout=5)
        dead = d1[3]
        ref2 = monitor(dead)  # delivered at once, after the marker
        d2 = await receive(("DOWN", ref2, ANY, ANY, ANY), timeout=0)
        return d1[4], d2[4], len(mailbox())

    assert run(main) == ("normal", "noproc", 10)


def test_demonitor_flush_drops_the_down_behind_a_backlog():
    async def main():
        fill(1000)
        ref = monitor(spawn(_noop))
        await Process.sleep(0.01)  # the target ran and exited: its DOWN is queued
        demonitor(ref, flush=True)
        return len(mailbox()), [m for m in mailbox() if m[0] == "DOWN"]

    assert run(main) == (1000, [])


# A script of operations on one process's mailbox: refs made four ways, messages that
# hold them, and receives of every kind; the result must be what scanning a plain list
# gives (the marker only lets a receive skip what cannot match).
_KINDS = ["template", "down", "since", "mixed", "two_refs", "plain", "int"]
_script = st.lists(
    st.one_of(
        st.tuples(st.just("make"), st.sampled_from(["make_ref", "alias", "monitor", "dead"])),
        st.tuples(st.just("send"), st.integers(0, 6), st.integers(0, 3)),
        st.tuples(st.just("take"), st.sampled_from(_KINDS), st.integers(0, 6), st.booleans()),
        st.tuples(st.just("flush"), st.integers(0, 6)),
        st.tuples(st.just("wait"), st.integers(0, 6)),
    ),
    max_size=40,
)


def _model_pattern(kind, ref, ref2):
    """What a receive of ``kind`` matches, written as a plain predicate."""

    def tagged(r):
        return lambda m: type(m) is tuple and len(m) == 3 and m[0] == "tag" and m[1] is r

    if kind == "template":
        return tagged(ref)
    if kind == "down":
        return lambda m: type(m) is tuple and len(m) == 5 and m[0] == "DOWN" and m[1] is ref
    if kind in ("since", "two_refs"):
        return lambda m: tagged(ref)(m) or (kind == "two_refs" and tagged(ref2)(m))
    if kind == "mixed":
        return lambda m: tagged(ref)(m) or type(m) is int
    if kind == "int":
        return lambda m: type(m) is int
    return lambda m: True


def _kernel_patterns(kind, ref, ref2):
    """The same receive as ``receive`` arguments: (patterns, keywords)."""
    if kind == "template":
        return (("tag", ref, ANY),), {}
    if kind == "down":
        return (("DOWN", ref, ANY, ANY, ANY),), {}
    if kind == "since":
        return (lambda m: type(m) is tuple and len(m) == 3 and m[1] is ref,), {"since": ref}
    if kind == "mixed":
        return (("tag", ref, ANY), int), {}
    if kind == "two_refs":
        return (("tag", ref, ANY), ("tag", ref2, ANY)), {}
    if kind == "int":
        return (int,), {}
    return (), {}


@settings(max_examples=150, deadline=None)
@given(_script)
def test_receives_with_markers_agree_with_a_plain_scan(script):
    async def sender(to, msg):
        send(to, msg)

    async def main():
        me = self()
        alive = spawn(receive)  # monitored, never exits before the end
        dead = spawn(_noop)
        await Process.sleep(0.001)
        refs = []
        model = []  # what the mailbox should hold
        pending = []  # sent by helpers, not yet arrived (they run when main waits)
        log = []
        for op in script:
            if op[0] == "make":
                how = op[1]
                if how == "make_ref":
                    refs.append(make_ref())
                elif how == "alias":
                    refs.append(alias())
                elif how == "monitor":
                    refs.append(monitor(alive))
                else:
                    ref = monitor(dead)
                    refs.append(ref)
                    model.append(("DOWN", ref, "process", dead, "noproc"))
            elif op[0] == "send":
                _, k, v = op
                msg = ("tag", refs[k], v) if k < len(refs) else (v if v % 2 else ("tag", "x", v))
                send(me, msg)
                model.append(msg)
            elif op[0] == "take":
                _, kind, k, nowait = op
                if kind not in ("plain", "int") and k >= len(refs):
                    continue
                ref = refs[k] if k < len(refs) else None
                ref2 = refs[k - 1] if 0 < k <= len(refs) else ref
                pats, kw = _kernel_patterns(kind, ref, ref2)
                want = _model_pattern(kind, ref, ref2)
                expected = next((i for i, m in enumerate(model) if want(m)), None)
                try:
                    if nowait:
                        got = receive_nowait(*pats, **kw)
                    else:
                        got = await receive(*pats, timeout=0, **kw)
                except TimeoutError:
                    got = "timeout"
                log.append(got)
                assert got == ("timeout" if expected is None else model.pop(expected)), op
            elif op[0] == "flush":
                if op[1] < len(refs):
                    ref = refs[op[1]]
                    demonitor(ref, flush=True)
                    down = _model_pattern("down", ref, ref)
                    i = next((i for i, m in enumerate(model) if down(m)), None)
                    if i is not None:
                        del model[i]
            elif op[0] == "wait":
                if op[1] < len(refs):
                    ref = refs[op[1]]
                    msg = ("tag", ref, 99)
                    spawn(sender, me, msg)
                    pending.append(msg)
                    want = _model_pattern("template", ref, ref)
                    expected = next((i for i, m in enumerate(model) if want(m)), None)
                    got = await receive(("tag", ref, ANY), timeout=5)
                    if expected is None:  # it waited: every helper queued ran meanwhile
                        model.extend(pending)
                        pending.clear()
                        expected = next(i for i, m in enumerate(model) if want(m))
                    assert got == model.pop(expected), op
            assert mailbox() == model, op
        return log

    run(main)


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
    assert outcome == [
        (
            "refused",
            "receive() must be awaited inside a livelong process; from another thread, "
            "run it in one with node.call(fn)",
        )
    ]
    assert box == ([("m", 1), "two"] if queued else [])
    assert status == "running"


# ----------------------------------------------------------------------------------
# The reference versions


_INLINED = {  # each hot path and the module of its inlined version
    "send": "_scheduler",
    "receive": "_scheduler",
    "receive_nowait": "_scheduler",
    "monitor": "_links",
    "spawn_monitor": "_spawn",
    "self": "_spawn",
}
_CHECK = f"""
import importlib, livelong, livelong._core as core, livelong._core._reference as r
for name, module in {_INLINED!r}.items():
    inlined = getattr(importlib.import_module("livelong._core." + module), name)
    want = getattr(r, name) if r.ENABLED else inlined
    assert want is (getattr(r, name) if REFERENCE else inlined), name
    assert getattr(livelong, name) is want and getattr(core, name) is want, name
"""


def test_the_public_hot_paths_are_the_reference_ones_when_asked_for():
    reference = os.environ.get("LIVELONG_REFERENCE", "") not in ("", "0")
    exec(_CHECK, {"REFERENCE": reference})


@pytest.mark.parametrize("value, reference", [("1", True), ("0", False), ("", False)])
def test_livelong_reference_selects_the_versions_at_import(value, reference):
    env = dict(os.environ, LIVELONG_REFERENCE=value)
    code = f"REFERENCE = {reference}\n" + _CHECK
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


# receive in an asyncio Task of its own, or in plain asyncio code


# asyncio.wait_for runs its coroutine in a Task of its own before Python 3.12 only.
_OWN_TASK = [lambda: asyncio.gather(receive(timeout=0.1), receive(timeout=0.1))]
_OWN_TASK_IDS = ["gather"]
if sys.version_info < (3, 12):
    _OWN_TASK.append(lambda: asyncio.wait_for(receive(), 1))
    _OWN_TASK_IDS.append("wait_for")


@pytest.mark.parametrize("wrap", _OWN_TASK, ids=_OWN_TASK_IDS)
def test_receive_in_a_task_of_its_own_names_the_fix(wrap):
    async def main():
        send(self(), "m")
        with pytest.raises(NotInProcessError) as e:
            await wrap()
        return str(e.value), mailbox()

    text, box = run(main)
    assert "asyncio.gather" in text and "receive(timeout=...)" in text
    assert ("asyncio.wait_for" in text) == (sys.version_info < (3, 12))
    assert box == ["m"]  # nothing was taken


@pytest.mark.skipif(sys.version_info < (3, 12), reason="wait_for makes a Task before 3.12")
def test_wait_for_around_receive_works_in_a_process_from_python_3_12():
    async def main():
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(receive(), 0.05)
        send(self(), "m")
        return await asyncio.wait_for(receive(), 1), mailbox()

    assert run(main) == ("m", [])


def test_process_only_calls_from_plain_asyncio_code_name_node_acall():
    async def plain():
        node = livelong.Node()
        node.attach(asyncio.get_running_loop())
        try:
            errors = []
            for op in (self, lambda: receive()):
                try:
                    r = op()
                    if inspect.isawaitable(r):
                        await r
                except NotInProcessError as e:
                    errors.append(str(e))
            pid = await node.acall(self)
        finally:
            node.detach()
        return errors, pid

    errors, pid = asyncio.run(plain())
    assert len(errors) == 2 and all("await node.acall(fn)" in e for e in errors)
    assert isinstance(pid, livelong.Pid)
