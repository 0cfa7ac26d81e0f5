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
