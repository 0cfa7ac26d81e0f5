from __future__ import annotations

import pytest

import livelong
from livelong.testing import assert_receive, mailbox, refute_receive


def test_assert_and_refute_receive():
    async def main():
        me = livelong.self()
        livelong.send(me, "other")
        no_match = r"no message matching 'want'.*mailbox: \['other'\]"
        with pytest.raises(AssertionError, match=no_match):
            await assert_receive("want", timeout=0.01)
        with pytest.raises(AssertionError, match="unexpected message 'other'"):
            await refute_receive(timeout=0.01)
        livelong.send(me, "want")
        await refute_receive("nothing", timeout=0.01)
        got = await assert_receive("want")
        return got, mailbox()

    assert livelong.run(main) == ("want", [])
