"""Supervisor: start order and stop order, the restart table, strategies, intensity,
shutdown times, the child functions, bad specs -- and a three-level tree."""

from __future__ import annotations

import inspect
import logging
import time

import pytest

import livelong
from livelong import (
    ANY,
    ChildSpec,
    DynamicSupervisor,
    GenServer,
    Ignore,
    Pid,
    Process,
    Reply,
    Supervisor,
    SupervisorError,
    monitor,
    receive,
    send,
    spawn_link,
)
from livelong import self as self_pid
from livelong.otp._supervisor import RESTART, STRATEGY
from livelong.testing import mailbox


@pytest.fixture(autouse=True)
def _quiet(caplog):
    caplog.set_level(logging.CRITICAL, logger="livelong")


def run(main):
    return livelong.run(main)


class Leaf(GenServer):
    """A worker that reports its start and stop to ``to`` (when given) and can be told
    to exit with any reason."""

    def init(self, arg):
        to, name, trap = arg if arg is not None else (None, None, False)
        if trap:
            Process.flag("trap_exit", True)
        if to is not None:
            send(to, ("started", name))
        return arg

    def handle_call(self, request, from_, state):
        return Reply(request, state)

    def handle_cast(self, reason, state):
        return livelong.Stop(reason, state)

    def terminate(self, reason, state):
        if state is not None and state[0] is not None:
            send(state[0], ("stopped", state[1], reason))


def leaf(id, to=None, trap=False, **kw):
    return Leaf.child_spec((to, id, trap), id=id, **kw)


async def pids(sup):
    return [c.pid for c in await Supervisor.which_children(sup)]


async def kill_and_wait(pid, reason="kill"):
    ref = monitor(pid)
    Process.exit(pid, reason)
    await receive(("DOWN", ref, ANY, ANY, ANY))


async def collect(n, timeout=1.0):
    return [await receive(timeout=timeout) for _ in range(n)]


# --- start and stop order --------------------------------------------------------------


def test_children_start_in_order_and_stop_in_reverse_order():
    async def main():
        me = self_pid()
        sup = await Supervisor.start([leaf(i, me, trap=True) for i in "abc"])
        started = await collect(3)
        await Supervisor.stop(sup)
        return started, await collect(3)

    started, stopped = run(main)
    assert started == [("started", "a"), ("started", "b"), ("started", "c")]
    assert stopped == [("stopped", "c", "shutdown"), ("stopped", "b", "shutdown"),
                       ("stopped", "a", "shutdown")]  # fmt: skip


def test_a_child_that_ignores_shutdown_is_killed_after_its_shutdown_time():
    class Stubborn(GenServer):
        def init(self, arg):
            Process.flag("trap_exit", True)
            return arg

        async def terminate(self, reason, state):
            await Process.sleep(5)

    async def main():
        sup = await Supervisor.start(
            [
                Stubborn.child_spec(id="s", shutdown=0.1),
                leaf("fast", self_pid(), trap=True, shutdown="brutal_kill"),
            ]
        )
        await receive(("started", "fast"))
        [s, fast] = await pids(sup)
        ref_s, ref_f = monitor(s), monitor(fast)
        t0 = time.monotonic()
        await Supervisor.stop(sup)
        took = time.monotonic() - t0
        downs = {m[1]: m[4] for m in await collect(2)}
        return took, downs[ref_s], downs[ref_f], mailbox()

    took, s_reason, fast_reason, left = run(main)
    assert 0.1 <= took < 1.0
    assert s_reason == "killed" and fast_reason == "killed"
    assert left == []  # brutal_kill: terminate never ran


def test_shutdown_infinity_waits_for_the_child():
    class Slowpoke(GenServer):
        def init(self, arg):
            Process.flag("trap_exit", True)
            return arg

        async def terminate(self, reason, state):
            await Process.sleep(0.1)
            send(state, "cleaned up")

    async def main():
        sup = await Supervisor.start([Slowpoke.child_spec(self_pid(), shutdown="infinity")])
        await Supervisor.stop(sup)
        return await receive(timeout=0)

    assert run(main) == "cleaned up"


# --- the restart table ----------------------------------------------------------------

CASES = [
    (restart, reason, RESTART[restart][kind])
    for restart in ("permanent", "transient", "temporary")
    for reason, kind in (("normal", "normal"), (("shutdown", 1), "shutdown"), ("boom", "abnormal"))
]


@pytest.mark.parametrize("restart, reason, restarted", CASES)
def test_restart_types(restart, reason, restarted):
    async def main():
        sup = await Supervisor.start([leaf("w", restart=restart)])
        [old] = await pids(sup)
        ref = monitor(old)
        GenServer.cast(old, reason)  # the child stops itself with `reason`
        await receive(("DOWN", ref, ANY, ANY, ANY))
        return old, await Supervisor.which_children(sup)

    old, children = run(main)
    if restarted:
        assert len(children) == 1 and isinstance(children[0].pid, Pid) and children[0].pid != old
    elif restart == "temporary":
        assert children == []  # a temporary child's spec goes with it
    else:
        assert [c.pid for c in children] == [None]


def test_the_table_is_the_elixir_table():
    assert RESTART["permanent"] == {"normal": True, "shutdown": True, "abnormal": True}
    assert RESTART["transient"] == {"normal": False, "shutdown": False, "abnormal": True}
    assert not any(RESTART["temporary"].values())
    assert list(STRATEGY["rest_for_one"](1, 4)) == [1, 2, 3]
    assert list(STRATEGY["one_for_all"](2, 3)) == [0, 1, 2]
    assert list(STRATEGY["one_for_one"](2, 3)) == [2]


@pytest.mark.parametrize(
    "strategy, restarted",
    [
        ("one_for_one", {"b"}),
        ("one_for_all", {"a", "b", "c", "d"}),
        ("rest_for_one", {"b", "c", "d"}),
    ],
)
def test_strategies_restart_the_right_children(strategy, restarted):
    async def main():
        sup = await Supervisor.start([leaf(i) for i in "abcd"], strategy=strategy)
        before = dict(zip("abcd", await pids(sup), strict=True))
        await kill_and_wait(before["b"])
        after = dict(zip("abcd", await pids(sup), strict=True))
        return before, after

    before, after = run(main)
    assert {k for k in before if before[k] != after[k]} == restarted
    assert all(isinstance(p, Pid) for p in after.values())


def test_siblings_restart_in_order_after_stopping_in_reverse():
    async def main():
        me = self_pid()
        sup = await Supervisor.start([leaf(i, me, trap=True) for i in "abc"],
                                     strategy="one_for_all")  # fmt: skip
        await collect(3)
        [_, b, _] = await pids(sup)
        Process.exit(b, "kill")
        return await collect(5)

    assert run(main) == [
        ("stopped", "c", "shutdown"),
        ("stopped", "a", "shutdown"),
        ("started", "a"),
        ("started", "b"),
        ("started", "c"),
    ]


def test_temporary_siblings_are_not_restarted_with_the_group():
    async def main():
        sup = await Supervisor.start(
            [leaf("a"), leaf("t", restart="temporary"), leaf("c")], strategy="one_for_all"
        )
        [a, _, _] = await pids(sup)
        await kill_and_wait(a)
        return [c.id for c in await Supervisor.which_children(sup)]

    assert run(main) == ["a", "c"]


# --- intensity ------------------------------------------------------------------------


def test_too_many_restarts_shut_the_supervisor_down():
    async def main():
        me = self_pid()
        sup = await Supervisor.start(
            [leaf("a"), leaf("b", me, trap=True)], max_restarts=2, max_seconds=5
        )
        await receive(("started", "b"))
        sref = monitor(sup)
        for _ in range(3):
            [a, _] = await pids(sup)
            await kill_and_wait(a)
        down = await receive(("DOWN", sref, ANY, ANY, ANY), timeout=1)
        return down[4], await receive(("stopped", "b", ANY), timeout=1)

    assert run(main) == ("shutdown", ("stopped", "b", "shutdown"))


def test_restarts_older_than_max_seconds_do_not_count():
    async def main():
        sup = await Supervisor.start([leaf("a")], max_restarts=1, max_seconds=0.05)
        for _ in range(3):
            [a] = await pids(sup)
            await kill_and_wait(a)
            await Process.sleep(0.06)
        return Process.alive(sup)

    assert run(main) is True


@pytest.mark.parametrize(("pause", "survives"), [(6.0, True), (1.0, False)])
def test_the_restart_window_is_on_the_nodes_clock(pause, survives):
    """max_restarts=1 in max_seconds=5: crashes 6 s apart are fine, 1 s apart are not
    (on a virtual clock, so the window is exact and takes no real time)."""
    from livelong.testing import VirtualClock

    clock = VirtualClock()

    async def main():
        sup = await Supervisor.start([leaf("a")], max_restarts=1, max_seconds=5)
        mref = monitor(sup)
        for _ in range(3):
            [a] = await pids(sup)
            await kill_and_wait(a)
            await Process.sleep(pause)
            if not Process.alive(sup):
                break
        try:
            down = await receive(("DOWN", mref, ANY, ANY, ANY), timeout=0)
        except TimeoutError:
            down = None
        return Process.alive(sup), down

    alive, down = livelong.run(main, clock=clock)
    if survives:
        assert alive and down is None and clock.time() == 3 * 6.0
    else:
        assert not alive and down[4] == "shutdown"


def test_a_failing_restart_is_retried_until_it_works_or_intensity_runs_out():
    async def main():
        agent = await livelong.Agent.start_link(lambda: 0)

        async def flaky_start():
            n = await livelong.Agent.get_and_update(agent, lambda n: (n, n + 1))
            if n in (1, 2):  # the first restart and its first retry fail
                raise RuntimeError(f"not yet ({n})")
            return await Leaf.start_link(None)

        sup = await Supervisor.start([ChildSpec("flaky", flaky_start)], max_restarts=5)
        [first] = await pids(sup)
        await kill_and_wait(first)
        for _ in range(50):
            [now] = await pids(sup)
            if isinstance(now, Pid):
                break
            await Process.sleep(0.005)
        return first, now, await livelong.Agent.get(agent, lambda n: n)

    first, now, calls = run(main)
    assert isinstance(now, Pid) and now != first and calls == 4


# --- the child functions --------------------------------------------------------------


def test_which_and_count_children():
    async def main():
        inner = Supervisor.child_spec([leaf("x")], id="inner")
        sup = await Supervisor.start([leaf("a"), inner, leaf("b")])
        return await Supervisor.which_children(sup), await Supervisor.count_children(sup)

    children, counts = run(main)
    assert [(c.id, c.type) for c in children] == [("a", "worker"), ("inner", "supervisor"),
                                                   ("b", "worker")]  # fmt: skip
    assert all(isinstance(c.pid, Pid) for c in children)
    assert counts == {"specs": 3, "active": 3, "supervisors": 1, "workers": 2}


def test_terminate_restart_delete_and_start_child():
    async def main():
        me = self_pid()
        sup = await Supervisor.start([leaf("a", me, trap=True), leaf("b")])
        await receive(("started", "a"))
        out = {}
        await Supervisor.terminate_child(sup, "a")
        out["stopped"] = await receive(("stopped", "a", ANY), timeout=1)
        out["after_terminate"] = [c.pid for c in await Supervisor.which_children(sup)][0]
        with pytest.raises(SupervisorError) as e:
            await Supervisor.delete_child(sup, "b")
        out["delete_running"] = e.value.reason
        out["restarted"] = isinstance(await Supervisor.restart_child(sup, "a"), Pid)
        with pytest.raises(SupervisorError) as e:
            await Supervisor.restart_child(sup, "a")
        out["restart_running"] = e.value.reason
        await Supervisor.terminate_child(sup, "a")
        await Supervisor.delete_child(sup, "a")
        with pytest.raises(SupervisorError) as e:
            await Supervisor.terminate_child(sup, "a")
        out["not_found"] = (e.value.reason, "'a'" in str(e.value))
        c = await Supervisor.start_child(sup, leaf("c"))
        with pytest.raises(SupervisorError) as e:
            await Supervisor.start_child(sup, leaf("c"))
        out["already_started"] = e.value.reason == ("already_started", c)
        await Supervisor.terminate_child(sup, "b")
        with pytest.raises(SupervisorError) as e:
            await Supervisor.start_child(sup, leaf("b"))
        out["already_present"] = e.value.reason
        out["ids"] = [ch.id for ch in await Supervisor.which_children(sup)]
        return out

    assert run(main) == {
        "stopped": ("stopped", "a", "shutdown"),
        "after_terminate": None,
        "delete_running": "running",
        "restarted": True,
        "restart_running": "running",
        "not_found": ("not_found", True),
        "already_started": True,
        "already_present": "already_present",
        "ids": ["b", "c"],
    }


def test_start_child_that_fails_names_the_child():
    class Failing(GenServer):
        def init(self, arg):
            raise OSError("port in use")

    async def main():
        sup = await Supervisor.start([])
        with pytest.raises(SupervisorError) as e:
            await Supervisor.start_child(sup, Failing.child_spec(id="web"))
        return e.value, await Supervisor.which_children(sup)

    err, children = run(main)
    assert err.reason[:2] == ("failed_to_start_child", "web")
    assert "'web'" in str(err) and "port in use" in str(err)
    assert children == []


def test_a_child_whose_init_ignores_is_kept_without_a_process():
    class Optional(GenServer):
        def init(self, arg):
            return Ignore()

    async def main():
        sup = await Supervisor.start([Optional.child_spec(id="opt"), leaf("a")])
        return [(c.id, c.pid is None) for c in await Supervisor.which_children(sup)]

    assert run(main) == [("opt", True), ("a", False)]


def test_plain_processes_and_dict_specs_and_shorthands():
    async def worker():
        await receive()

    async def main():
        sup = await Supervisor.start(
            [
                {"id": "raw", "start": (spawn_link, (worker,))},
                Leaf,  # Leaf.child_spec(None)
                (GenServer_with_arg, 5),  # GenServer_with_arg.child_spec(5)
            ]
        )
        children = await Supervisor.which_children(sup)
        value = await GenServer.call(children[2].pid, "get")
        return [c.id for c in children], value

    ids, value = run(main)
    assert ids == ["raw", Leaf, GenServer_with_arg] and value == 5


class GenServer_with_arg(GenServer):  # noqa: N801
    def handle_call(self, request, from_, state):
        return Reply(state, state)


def test_module_based_supervisor():
    class App(Supervisor):
        strategy = "rest_for_one"
        max_restarts = 10

        def init(self, names):
            return [leaf(n) for n in names]

    async def main():
        await App.start_link("xyz", name="app")
        before = await pids("app")
        await kill_and_wait(before[1])
        after = await pids("app")
        return [a == b for a, b in zip(before, after, strict=True)]

    assert run(main) == [True, False, False]


# --- bad input: clear errors at start, never a hang -----------------------------------


@pytest.mark.parametrize(
    "children, flags, error, message",
    [
        ([], {"strategy": "one_for_some"}, ValueError, "unknown strategy 'one_for_some'"),
        ([], {"max_restarts": -1}, ValueError, "max_restarts"),
        ([], {"max_seconds": 0}, ValueError, "max_seconds"),
        ([{"start": (print, ())}], {}, ValueError, r"child spec #1: missing 'id'"),
        ([{"id": "w"}], {}, ValueError, r"child spec 'w': missing 'start'"),
        ([{"id": "w", "start": 42}], {}, ValueError, r"child spec 'w': start must be"),
        ([{"id": "w", "start": (print, 1)}], {}, ValueError, r"child spec 'w': start must be"),
        ([{"id": "w", "start": print, "restart": "often"}], {}, ValueError,
         r"child spec 'w': restart must be one of"),
        ([{"id": "w", "start": print, "shutdown": -1}], {}, ValueError,
         r"child spec 'w': shutdown must be"),
        ([{"id": "w", "start": print, "type": "boss"}], {}, ValueError,
         r"child spec 'w': type must be"),
        ([{"id": "w", "start": print, "restrat": "x"}], {}, ValueError,
         r"child spec 'w': unknown keys \['restrat'\]"),
        ([{"id": "w", "start": print}, {"id": "w", "start": print}], {}, ValueError,
         r"child spec #2: duplicate child id 'w'"),
        (["not a spec"], {}, TypeError, r"child spec #1: expected a ChildSpec"),
        ({"id": "w"}, {}, TypeError, "children must be a list"),
    ],
)  # fmt: skip
def test_malformed_specs_and_flags_fail_at_start(children, flags, error, message):
    async def main():
        before = set(Process.list())
        with pytest.raises(error, match=message):
            await Supervisor.start_link(children, **flags)
        return set(Process.list()) - before

    assert run(main) == set()  # raised in the caller: no supervisor was even spawned


def test_a_nested_supervisor_spec_is_checked_when_it_is_made():
    with pytest.raises(ValueError, match="child spec 'x': restart must be"):
        Supervisor.child_spec([{"id": "x", "start": print, "restart": "?"}], id="mid")
    with pytest.raises(ValueError, match="unknown strategy"):
        Supervisor.child_spec([], id="mid", strategy="?")


def test_a_module_based_supervisor_with_a_bad_spec_fails_at_start():
    class Broken(Supervisor):
        strategy = "all_for_none"

        def init(self, arg):
            return []

    class BadChild(Supervisor):
        def init(self, arg):
            return [{"id": "db", "start": "not callable"}]

    async def main():
        with pytest.raises(ValueError, match="unknown strategy 'all_for_none'"):
            await Broken.start_link()
        with pytest.raises(ValueError, match="child spec 'db': start must be"):
            await BadChild.start_link()
        return Process.alive(self_pid())

    assert run(main) is True


def test_a_child_failing_at_start_stops_the_others_and_names_the_child():
    class Failing(GenServer):
        def init(self, arg):
            raise ConnectionError("database is down")

    async def main():
        me = self_pid()
        with pytest.raises(SupervisorError) as e:
            await Supervisor.start_link([leaf("a", me, trap=True), Failing.child_spec(id="db"),
                                         leaf("never", me)])  # fmt: skip
        return e.value, await collect(2), [p for p in Process.list() if p != me]

    err, msgs, left = run(main)
    assert err.reason[:2] == ("failed_to_start_child", "db")
    assert isinstance(err.reason[2], ConnectionError)
    assert "'db'" in str(err) and "database is down" in str(err)
    assert msgs == [("started", "a"), ("stopped", "a", "shutdown")]
    assert left == []


def test_a_start_function_returning_garbage_names_the_child():
    async def main():
        with pytest.raises(SupervisorError) as e:
            await Supervisor.start_link([{"id": "odd", "start": lambda: "a pid, honest"}])
        return e.value

    err = run(main)
    assert isinstance(err.reason[2], TypeError)
    assert "child 'odd'" in str(err.reason[2]) and "expected the child's pid" in str(err.reason[2])


def test_supervisor_exit_from_its_parent_stops_children():
    async def parent(to):
        sup = await Supervisor.start_link([leaf("a", to, trap=True)])
        send(to, ("sup", sup))
        await receive()

    async def main():
        me = self_pid()
        p = livelong.spawn(parent, me)
        _, sup = await receive(("sup", ANY))
        await receive(("started", "a"))
        ref = monitor(sup)
        Process.exit(p, "kill")
        return (await receive(("stopped", "a", ANY))), (
            await receive(("DOWN", ref, ANY, ANY, ANY))
        )[4]

    stopped, reason = run(main)
    assert stopped == ("stopped", "a", "shutdown") and reason == "killed"


# --- a three-level tree -----------------------------------------------------------------


def tree_spec(root_strategy):
    """root(root_strategy) -> a(one_for_one: a1 a2 a3), b(one_for_all: b1 b2 b3),
    c(rest_for_one: c1 c2 c3)"""

    def mid(name, strategy, **flags):
        leaves = [leaf(f"{name}{i}") for i in (1, 2, 3)]
        return Supervisor.child_spec(leaves, id=name, strategy=strategy, **flags)

    return [
        mid("a", "one_for_one", max_restarts=1, max_seconds=5),
        mid("b", "one_for_all"),
        mid("c", "rest_for_one"),
    ], {"strategy": root_strategy, "max_restarts": 10}


async def snapshot(sup, prefix=""):
    out = {}
    for c in await Supervisor.which_children(sup):
        path = f"{prefix}{c.id}"
        out[path] = c.pid
        if c.type == "supervisor" and isinstance(c.pid, Pid):
            out.update(await snapshot(c.pid, path + "/"))
    return out


def changed(before, after):
    assert before.keys() == after.keys()
    assert all(isinstance(p, Pid) and Process.alive(p) for p in after.values())
    return {k for k in before if before[k] != after[k]}


LEAF_KILLS = [
    ("a/a2", {"a/a2"}),
    ("b/b2", {"b/b1", "b/b2", "b/b3"}),
    ("c/c2", {"c/c2", "c/c3"}),
    ("c/c1", {"c/c1", "c/c2", "c/c3"}),
    ("c/c3", {"c/c3"}),
]


@pytest.mark.parametrize("root_strategy", ["one_for_one", "one_for_all", "rest_for_one"])
def test_tree_killing_leaves_restarts_only_inside_their_supervisor(root_strategy):
    async def main():
        children, flags = tree_spec(root_strategy)
        root = await Supervisor.start(children, **flags)
        results = []
        for path, _ in LEAF_KILLS:
            before = await snapshot(root)
            await kill_and_wait(before[path])
            after = await snapshot(root)
            results.append(changed(before, after))
        return results

    assert run(main) == [expected for _, expected in LEAF_KILLS]


MID = {"a": {"a", "a/a1", "a/a2", "a/a3"}, "b": {"b", "b/b1", "b/b2", "b/b3"},
       "c": {"c", "c/c1", "c/c2", "c/c3"}}  # fmt: skip


@pytest.mark.parametrize(
    "root_strategy, killed, expected",
    [
        ("one_for_one", "b", MID["b"]),
        ("one_for_all", "b", MID["a"] | MID["b"] | MID["c"]),
        ("rest_for_one", "b", MID["b"] | MID["c"]),
        ("rest_for_one", "a", MID["a"] | MID["b"] | MID["c"]),
        ("rest_for_one", "c", MID["c"]),
    ],
)
def test_tree_killing_a_middle_supervisor(root_strategy, killed, expected):
    async def main():
        children, flags = tree_spec(root_strategy)
        root = await Supervisor.start(children, **flags)
        before = await snapshot(root)
        await kill_and_wait(before[killed])
        return changed(before, await snapshot(root))

    assert run(main) == expected


def test_tree_a_middle_supervisor_past_its_intensity_is_restarted_by_the_root():
    async def main():
        children, flags = tree_spec("one_for_one")
        root = await Supervisor.start(children, **flags)
        before = await snapshot(root)
        mref = monitor(before["a"])
        await kill_and_wait(before["a/a1"])  # restart 1 of at most 1
        await kill_and_wait((await snapshot(root))["a/a1"])  # one too many
        down = await receive(("DOWN", mref, ANY, ANY, ANY), timeout=1)
        return down[4], changed(before, await snapshot(root))

    reason, restarted = run(main)
    assert reason == "shutdown"
    assert restarted == MID["a"]


@pytest.mark.parametrize(
    "fn",
    [
        Supervisor.which_children,
        Supervisor.count_children,
        Supervisor.start_child,
        Supervisor.terminate_child,
        Supervisor.restart_child,
        Supervisor.delete_child,
        DynamicSupervisor.which_children,
        DynamicSupervisor.count_children,
        DynamicSupervisor.start_child,
        DynamicSupervisor.terminate_child,
    ],
    ids=lambda fn: fn.__qualname__,
)
def test_client_calls_wait_for_the_supervisor_by_default(fn):
    # Elixir's :infinity: a caller that gave up would not stop what the supervisor
    # goes on doing (a slow child's start, say)
    assert inspect.signature(fn).parameters["timeout"].default is None


class Listener(livelong.GenServer):
    def init(self, arg):
        return arg

    def handle_cast(self, msg, state):
        raise RuntimeError("boom")


def test_logs_name_a_child_by_its_class_name_as_a_person_does(caplog):
    caplog.set_level(logging.ERROR, logger="livelong")

    async def main():
        sup = await livelong.Supervisor.start_link([Listener])
        [child] = await livelong.Supervisor.which_children(sup)
        ref = livelong.monitor(child.pid)
        livelong.GenServer.cast(child.pid, "crash")
        await livelong.receive(("DOWN", ref, livelong.ANY, livelong.ANY, livelong.ANY))

    run(main)
    assert "child Listener exited" in caplog.text
    assert "<class" not in caplog.text
