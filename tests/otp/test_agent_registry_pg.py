"""Agent, Registry (unique and duplicate keys, via names, cleanup) and pg."""

from __future__ import annotations

import gc
import logging

import pytest

import livelong
from livelong import (
    ANY,
    Agent,
    AlreadyRegistered,
    Exit,
    GenServer,
    Process,
    Registry,
    Reply,
    Supervisor,
    pg,
    receive,
    send,
    spawn,
)
from livelong import self as self_pid
from livelong.otp import _pg, _registry


@pytest.fixture(autouse=True)
def _quiet(caplog):
    caplog.set_level(logging.CRITICAL, logger="livelong")


def run(main):
    return livelong.run(main)


async def idle():
    await receive("never")


# --- Agent -------------------------------------------------------------------------------


def test_agent_get_update_get_and_update_cast_stop():
    async def main():
        a = await Agent.start_link(dict, name="kv")
        await Agent.update("kv", lambda d: {**d, "x": 1})
        Agent.cast(a, lambda d, k, v: {**d, k: v}, "y", 2)
        got = await Agent.get(a, lambda d: sorted(d.items()))
        popped = await Agent.get_and_update(a, lambda d: (d["x"], {"y": d["y"]}))
        after = await Agent.get(a, dict)
        await Agent.stop(a)
        return got, popped, after, Process.alive(a)

    assert run(main) == ([("x", 1), ("y", 2)], 1, {"y": 2}, False)


def test_agent_with_async_functions():
    async def initial():
        await Process.sleep(0.001)
        return [1]

    async def append(state, x):
        await Process.sleep(0.001)
        return [*state, x]

    async def main():
        a = await Agent.start_link(initial)
        await Agent.update(a, append, 2)
        return await Agent.get(a, lambda s: s)

    assert run(main) == [1, 2]


def test_agent_errors():
    async def main():
        a = await Agent.start(lambda: 0)
        with pytest.raises(TypeError, match="Agent.get: expected a function"):
            await Agent.get(a, "not a function")
        try:
            await Agent.get_and_update(a, lambda n: n + 1)
        except Exit as e:
            reason = e.reason
        return reason, Process.alive(a)

    reason, alive = run(main)
    assert isinstance(reason, TypeError) and "expected (value, new_state)" in str(reason)
    assert alive is False


# --- Registry ----------------------------------------------------------------------------


def test_unique_registry_register_lookup_unregister():
    async def main():
        await Registry.start_link(keys="unique", name="reg")
        me = self_pid()
        Registry.register("reg", "alice", {"age": 3})
        found = Registry.lookup("reg", "alice")
        missing = Registry.lookup("reg", "bob")
        with pytest.raises(AlreadyRegistered) as e:
            Registry.register("reg", "alice")
        holder = e.value.pid
        keys = Registry.keys("reg", me)
        Registry.unregister("reg", "alice")
        return found, missing, holder, keys, Registry.lookup("reg", "alice"), me

    found, missing, holder, keys, after, me = run(main)
    assert found == [(me, {"age": 3})] and missing == [] and holder == me
    assert keys == ["alice"] and after == []


def test_unique_key_taken_by_another_process():
    async def holder(to):
        Registry.register("reg", "k", "first")
        send(to, "registered")
        await receive("never")

    async def main():
        await Registry.start_link(keys="unique", name="reg")
        other = spawn(holder, self_pid())
        await receive("registered")
        try:
            Registry.register("reg", "k", "second")
        except AlreadyRegistered as e:
            return e.pid == other, Registry.lookup("reg", "k") == [(other, "first")]

    assert run(main) == (True, True)


def test_duplicate_registry_and_dispatch():
    async def subscriber(to, topic):
        Registry.register("pubsub", topic, "sub")
        send(to, "subscribed")
        msg = await receive()
        send(to, ("got", msg))

    async def main():
        await Registry.start_link(keys="duplicate", name="pubsub")
        me = self_pid()
        subs = [spawn(subscriber, me, "news") for _ in range(3)]
        spawn(subscriber, me, "sports")
        for _ in range(4):
            await receive("subscribed")
        count = Registry.dispatch(
            "pubsub", "news", lambda entries: [send(pid, "hello") for pid, _ in entries]
        )
        got = [await receive(("got", ANY), timeout=1) for _ in range(3)]
        none = Registry.dispatch("pubsub", "nobody", lambda entries: 1 / 0)
        return len(count), got, none, len(subs), Registry.count("pubsub")

    n, got, none, subs, count = run(main)
    assert n == 3 and got == [("got", "hello")] * 3 and none is None
    # the three news subscribers exited after their message: only "sports" is left
    assert count == 1


def test_entries_are_removed_when_their_process_exits():
    async def member(to):
        Registry.register("reg", "a", 1)
        Registry.register("reg", "b", 2)
        send(to, "ok")
        await receive("never")

    async def main():
        await Registry.start_link(keys="unique", name="reg")
        pid = spawn(member, self_pid())
        await receive("ok")
        before = Registry.count("reg")
        ref = livelong.monitor(pid)
        Process.exit(pid, "kill")
        await receive(("DOWN", ref, ANY, ANY, ANY))
        # before the registry handles the exit, a dead process is not returned
        immediately = Registry.lookup("reg", "a")
        await Process.sleep(0.01)
        table = livelong.otp._registry._tables["reg"]
        return before, immediately, Registry.count("reg"), table.by_pid, table.entries

    assert run(main) == (2, [], 0, {}, {})


def test_unregister_leaves_the_links_of_the_registrant_alone():
    async def parent(to, unregister):
        reg = await Registry.start_link(keys="unique", name="reg")
        Registry.register("reg", "k")
        if unregister:
            Registry.unregister("reg", "k")
        await Process.sleep(0.01)
        send(to, (reg, Process.info(reg)["monitors"]))
        raise Exit("crashed")

    async def main():
        out = []
        for unregister in (False, True):
            pid = spawn(parent, self_pid(), unregister)
            reg, watched = await receive(timeout=1)
            ref = livelong.monitor(reg)
            down = await receive(("DOWN", ref, ANY, ANY, ANY), timeout=1)
            out.append((watched == [("process", pid)], down[4]))
        return out

    # the registry monitors a registrant while it has entries, and goes down with its
    # parent whether or not the parent unregistered first
    assert run(main) == [(True, "crashed"), (False, "crashed")]


def test_registry_via_names_for_genservers():
    class Room(GenServer):
        def handle_call(self, request, from_, state):
            return Reply((state, request), state)

        def handle_cast(self, request, state):
            return livelong.NoReply(state)

    async def main():
        await Registry.start_link(keys="unique", name="rooms")
        via = ("via", Registry, ("rooms", "lobby"))
        pid = await Room.start(["lobby"], name=via)
        answer = await GenServer.call(via, "hi")
        GenServer.cast(via, "x")  # a via name works for every client function
        try:
            await Room.start("again", name=via)
        except Exit as e:
            taken = e.reason
        where = GenServer.whereis(via)
        await GenServer.stop(via)
        await Process.sleep(0.01)
        try:
            await GenServer.call(via, "hi")
        except Exit as e:
            gone = e.reason
        return answer, taken == ("already_started", pid), where == pid, gone

    assert run(main) == ((["lobby"], "hi"), True, True, "noproc")


def test_registry_errors():
    async def main():
        with pytest.raises(ValueError, match="unknown registry 'nope'"):
            await GenServer.start_link(name=("via", Registry, ("nope", "k")))
        assert Process.alive(self_pid())
        with pytest.raises(ValueError, match="unknown registry 'nope'"):
            Registry.lookup("nope", 1)
        with pytest.raises(ValueError, match="keys must be"):
            await Registry.start_link(keys="some", name="r")
        await Registry.start_link(keys="duplicate", name="dups")
        with pytest.raises(ValueError, match="via names need a unique registry"):
            Registry.register_name(("dups", "k"), self_pid())
        with pytest.raises(TypeError, match=r"\(registry_name, key\)"):
            Registry.whereis_name("dups")

    run(main)


def test_registry_in_a_supervision_tree_and_stale_tables():
    async def main():
        sup = await Supervisor.start([Registry.child_spec(keys="unique", name="r")])
        Registry.register("r", "k")
        await Supervisor.stop(sup)  # not linked to its registrants: we live on
        with pytest.raises(ValueError, match="unknown registry"):
            Registry.lookup("r", "k")
        # and it can start again under the same name
        await Registry.start_link(keys="unique", name="r")
        return Registry.lookup("r", "k")

    assert run(main) == []


# --- pg -----------------------------------------------------------------------------------


def test_pg_join_leave_members():
    async def main():
        await pg.start_link()
        me = self_pid()
        a, b = spawn(idle), spawn(idle)
        await pg.join("g", [a, b])
        await pg.join("g")  # the caller
        await pg.join("g", a)  # twice
        members = pg.get_members("g")
        left = await pg.leave("g", a)
        after_one_leave = pg.get_members("g")
        not_member = await pg.leave("other", a)
        groups = pg.which_groups()
        return members, left, after_one_leave, not_member, groups, (a, b, me)

    members, left, after, not_member, groups, (a, b, me) = run(main)
    assert members == [a, b, me, a]
    assert left is True and after == [b, me, a]
    assert not_member is False and groups == ["g"]


def test_pg_members_are_removed_when_they_exit():
    async def main():
        await pg.start_link()
        a, b = spawn(idle), spawn(idle)
        await pg.join("g1", [a, b])
        await pg.join("g2", a)
        Process.exit(a, "kill")
        await Process.sleep(0.01)
        return pg.get_members("g1"), pg.get_members("g2"), pg.which_groups(), b

    g1, g2, groups, b = run(main)
    assert g1 == [b] and g2 == [] and groups == ["g1"]


def test_pg_scopes_are_separate_and_must_be_started():
    async def main():
        with pytest.raises(ValueError, match="pg scope 'pg' is not running"):
            pg.get_members("g")
        await pg.start_link("chat")
        await pg.join("room", scope="chat")
        await pg.start_link()
        return pg.get_members("room", scope="chat"), pg.get_members("room")

    members, default = run(main)
    assert len(members) == 1 and default == []


def test_pg_bad_input():
    async def main():
        await pg.start_link()
        with pytest.raises(TypeError, match="pid or a list of pids"):
            await pg.join("g", "not a pid")

    run(main)


def test_registry_update_value_and_local_members():
    async def main():
        await Registry.start_link(keys="unique", name="reg")
        Registry.register("reg", "hits", 0)
        new = Registry.update_value("reg", "hits", lambda n: n + 1)
        with pytest.raises(KeyError):
            Registry.update_value("reg", "nobody", lambda n: n)
        await pg.start_link()
        await pg.join("g")
        return new, Registry.lookup("reg", "hits")[0][1], pg.get_local_members("g")

    new, stored, local = run(main)
    assert new == stored == 1 and len(local) == 1


def test_a_pg_scope_runs_terminate_when_its_parent_exits():
    async def parent(to):
        await pg.start_link("s")
        send(to, _pg._scopes["s"])
        raise Exit("crashed")

    async def main():
        spawn(parent, self_pid())
        scope = await receive(timeout=1)  # held here: only terminate can drop the entry
        await Process.sleep(0.02)
        return "s" in _pg._scopes, scope.name

    assert run(main) == (False, "s")


def test_registry_and_pg_tables_do_not_outlive_their_node():
    async def main():
        # not linked to main: still running when the node ends, which closes them
        # without running terminate
        await Supervisor.start([Registry.child_spec(keys="unique", name="r"), pg.child_spec()])
        Registry.register("r", "k", "v")
        await pg.join("g")
        return "r" in _registry._tables, "pg" in _pg._scopes

    assert run(main) == (True, True)
    gc.collect()
    assert "r" not in _registry._tables and "pg" not in _pg._scopes
