"""Property tests: per-pair ordering and selective receive."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

import livelong
from livelong import ANY, receive, self, send, spawn

messages = st.lists(
    st.one_of(
        st.integers(),
        st.text(max_size=5),
        st.tuples(st.sampled_from(["a", "b", "c"]), st.integers()),
    ),
    max_size=40,
)


@settings(max_examples=40, deadline=None)
@given(st.lists(messages, min_size=1, max_size=4))
def test_messages_from_each_sender_arrive_in_send_order(batches):
    async def sender(to, idx, batch):
        for m in batch:
            send(to, (idx, m))

    async def main():
        me = self()
        for idx, batch in enumerate(batches):
            spawn(sender, me, idx, batch)
        total = sum(len(b) for b in batches)
        return [await receive() for _ in range(total)]

    got = livelong.run(main)
    for idx, batch in enumerate(batches):
        assert [m for i, m in got if i == idx] == batch


@settings(max_examples=60, deadline=None)
@given(messages, st.sampled_from(["a", "b", "c"]))
def test_selective_receive_takes_matches_in_order_and_keeps_the_rest(msgs, tag):
    def is_match(m):
        return isinstance(m, tuple) and m[0] == tag

    async def main():
        me = self()
        for m in msgs:
            send(me, m)
        matched = []
        while True:
            try:
                matched.append(await receive((tag, ANY), timeout=0))
            except TimeoutError:
                break
        rest = []
        while True:
            try:
                rest.append(await receive(timeout=0))
            except TimeoutError:
                break
        return matched, rest

    matched, rest = livelong.run(main)
    assert matched == [m for m in msgs if is_match(m)]
    assert rest == [m for m in msgs if not is_match(m)]


@settings(max_examples=40, deadline=None)
@given(messages)
def test_predicate_and_type_patterns_agree_with_python(msgs):
    async def main():
        me = self()
        for m in msgs:
            send(me, m)
        ints = []
        while True:
            try:
                ints.append(await receive(lambda m: type(m) is int, timeout=0))
            except TimeoutError:
                break
        strs = []
        while True:
            try:
                strs.append(await receive(str, timeout=0))
            except TimeoutError:
                break
        return ints, strs

    ints, strs = livelong.run(main)
    assert ints == [m for m in msgs if type(m) is int]
    assert strs == [m for m in msgs if isinstance(m, str)]


# A script of monitor operations on one target: ("monitor", w) makes watcher w take
# one more monitor, ("demonitor", w, k) drops w's k-th live monitor (if it has one).
monitor_ops = st.lists(
    st.one_of(
        st.tuples(st.just("monitor"), st.integers(0, 3)),
        st.tuples(st.just("demonitor"), st.integers(0, 3), st.integers(0, 3)),
    ),
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(monitor_ops)
def test_every_live_monitor_gets_one_down_and_no_other_does(ops):
    """Monitors come and go in any order (the first one is kept apart from the rest
    inside the kernel): when the target exits, each monitor still live gets exactly
    one DOWN, and Process.info's monitored_by lists exactly their watchers."""
    from livelong import Process, demonitor, monitor
    from livelong.testing import VirtualClock

    async def watcher(parent):
        live = []
        while True:
            match await receive():
                case "monitor", target:
                    live.append(monitor(target))
                case "demonitor", k:
                    if k < len(live):
                        demonitor(live.pop(k))
                case "report":
                    send(parent, ("live", self(), list(live)))
                    break
        downs = []
        while True:
            try:
                m = await receive(("DOWN", ANY, ANY, ANY, ANY), timeout=0.05)
            except TimeoutError:
                break
            downs.append(m[1])
        send(parent, ("downs", self(), downs))

    async def main():
        me = self()
        target = spawn(receive)  # ends at its first message
        ws = [spawn(watcher, me) for _ in range(4)]
        for op in ops:
            if op[0] == "monitor":
                send(ws[op[1]], ("monitor", target))
            else:
                send(ws[op[1]], ("demonitor", op[2]))
        for w in ws:
            send(w, "report")  # after its script: it answers once it ran it all
        live = {w: (await receive(("live", w, ANY)))[2] for w in ws}
        watching = sorted(Process.info(target, "monitored_by"))
        send(target, "exit now")
        downs = {w: (await receive(("downs", w, ANY)))[2] for w in ws}
        return watching, live, downs

    # (virtual time: each watcher's wait for more DOWNs takes none)
    watching, live, downs = livelong.run(main, clock=VirtualClock())
    assert watching == sorted(w for w, refs in live.items() for _ in refs)
    for w, refs in live.items():
        assert sorted(downs[w], key=id) == sorted(refs, key=id)
