"""Keyword arguments reach the functions spawn/Task/Agent run; ``self_pid()`` names the
current process where a method's ``self`` hides ``livelong.self``."""

from __future__ import annotations

import livelong
from livelong import Agent, GenServer, Reply, Task, receive, self_pid, send, spawn


def greet(to, *, greeting="hello", punct="."):
    return f"{greeting} {to}{punct}"


async def agreet(to, *, greeting="hello"):
    return f"{greeting} {to}"


def test_spawn_passes_keyword_arguments():
    async def main():
        me = self_pid()

        def child(x, *, y):
            send(me, ("got", x, y))

        spawn(child, 1, y=2)
        return await receive(("got", livelong.ANY, livelong.ANY))

    assert livelong.run(main) == ("got", 1, 2)


def test_spawn_link_and_spawn_monitor_pass_keyword_arguments():
    async def main():
        me = self_pid()

        def child(tag, *, value):
            send(me, (tag, value))

        livelong.spawn_link(child, "a", value=1)
        livelong.spawn_monitor(child, "b", value=2)
        return sorted([await receive(), await receive()], key=str)

    assert livelong.run(main) == [("a", 1), ("b", 2)]


def test_task_async_and_supervisor_pass_keyword_arguments():
    async def main():
        a = Task.async_(greet, "joe", greeting="hi", punct="!")
        b = Task.async_(agreet, "mike", greeting="hey")
        sup = await Task.Supervisor.start_link()
        c = await Task.Supervisor.async_(sup, greet, "robert", punct="?")
        d = await Task.Supervisor.async_nolink(sup, agreet, "ann", greeting="yo")
        return [await Task.await_(t) for t in (a, b, c, d)]

    assert livelong.run(main) == ["hi joe!", "hey mike", "hello robert?", "yo ann"]


def test_agent_functions_pass_keyword_arguments():
    def push(state, item, *, times=1):
        return state + [item] * times

    async def main():
        agent = await Agent.start_link(lambda *, start: list(start), start=[0])
        await Agent.update(agent, push, 1, times=2)
        Agent.cast(agent, push, 2, times=1)
        value = await Agent.get(agent, lambda s, *, last: s[-last:], last=2)
        pair = await Agent.get_and_update(agent, lambda s, *, k: (s[:k], s[k:]), k=1)
        return value, pair, await Agent.get(agent, list)

    assert livelong.run(main) == ([1, 2], [0], [1, 1, 2])


class WhoAmI(GenServer):
    async def init(self, arg):
        return None

    async def handle_call(self, request, from_, state):
        return Reply(self_pid(), state)


def test_self_pid_inside_a_gen_server_is_the_server():
    async def main():
        pid = await WhoAmI.start_link(None)
        return pid, await GenServer.call(pid, "who"), self_pid() == livelong.self()

    pid, answer, same = livelong.run(main)
    assert answer == pid and same
