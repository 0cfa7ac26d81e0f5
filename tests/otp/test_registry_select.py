"""Registry: match/select/count_match/count_select, listeners, partitions and meta."""

from __future__ import annotations

import livelong
from livelong import ANY, Process, Registry, receive, self_pid, send, spawn


def test_match_and_select_by_pattern():
    async def main():
        await Registry.start_link(keys="duplicate", name="topics")
        Registry.register("topics", "news", ("sport", 1))
        Registry.register("topics", "news", ("weather", 2))
        Registry.register("topics", "chat", ("sport", 3))
        me = self_pid()
        return (
            Registry.match("topics", "news", ("sport", ANY)),
            Registry.count_match("topics", "news", (ANY, lambda n: n > 0)),
            sorted(Registry.select("topics", (ANY, ANY, ("sport", ANY)))),
            Registry.count_select("topics"),
            Registry.select("topics", ("chat", me, ANY)),
            Registry.match("topics", "news", lambda v: v.missing),  # raises: no match
        )

    me_match, count, sport, total, chat, bad = livelong.run(main)
    assert [v for _, v in me_match] == [("sport", 1)]
    assert count == 2 and total == 3 and bad == []
    assert [(k, v) for k, _, v in sport] == [("chat", ("sport", 3)), ("news", ("sport", 1))]
    assert [(k, v) for k, _, v in chat] == [("chat", ("sport", 3))]


def test_listeners_hear_registrations_and_exits():
    async def main():
        livelong.register("listener", self_pid())
        await Registry.start_link(keys="unique", name="reg", listeners=["listener"])
        me = self_pid()

        async def worker():
            Registry.register("reg", "w", 42)
            send(me, "registered")
            await receive("stop")

        pid = spawn(worker)
        first = await receive(("register", ANY, ANY, ANY, ANY))
        await receive("registered")
        send(pid, "stop")
        second = await receive(("unregister", ANY, ANY, ANY))
        return first == ("register", "reg", "w", pid, 42), second == ("unregister", "reg", "w", pid)

    assert livelong.run(main) == (True, True)


def test_partitions_are_accepted_and_reported():
    async def main():
        await Registry.start_link(keys="unique", name="parts", partitions=4)
        Registry.register("parts", "k", 1)
        await Process.sleep(0)
        return Registry.meta("parts")["partitions"], Registry.lookup("parts", "k")[0][1]

    assert livelong.run(main) == (4, 1)
