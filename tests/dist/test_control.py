"""Control messages and pass-through frames."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from golden_etf_cases import erl_available, erl_bytes  # noqa: E402

from livelong import Pid  # noqa: E402
from livelong.dist import _control as c  # noqa: E402
from livelong.dist._etf import BadTerm, Codec, IncompleteTerm, encode  # noqa: E402
from livelong.dist._terms import Atom, ImproperList  # noqa: E402
from livelong.lowlevel import ref_from_parts  # noqa: E402

CODEC = Codec("py@host", 1)
A = Atom
P1 = Pid("nonode@nohost", 85, 0, 0)
P2 = Pid("nonode@nohost", 86, 0, 0)
REF = ref_from_parts("nonode@nohost", 3 | 2 << 32 | 1 << 64, 0)
TOKEN = (A("trace"), 1)

# (control, its tuple, the message or None)
CASES = [
    (c.Link(P1, P2), (1, P1, P2), None),
    (c.Send(P2), (2, A(""), P2), "hi"),
    (c.Send(P2, token=TOKEN), (12, A(""), P2, TOKEN), "hi"),
    (c.Exit(P1, P2, A("normal")), (3, P1, P2, A("normal")), None),
    (c.Exit(P1, P2, A("x"), token=TOKEN), (13, P1, P2, TOKEN, A("x")), None),
    (c.Unlink(P1, P2), (4, P1, P2), None),
    (c.NodeLink(), (5,), None),
    (c.RegSend(P1, A("store")), (6, P1, A(""), A("store")), (A("get"), 1)),
    (c.RegSend(P1, A("s"), token=TOKEN), (16, P1, A(""), A("s"), TOKEN), []),
    (c.GroupLeader(P1, P2), (7, P1, P2), None),
    (c.Exit2(P1, P2, A("kill")), (8, P1, P2, A("kill")), None),
    (c.Exit2(P1, P2, A("kill"), token=TOKEN), (18, P1, P2, TOKEN, A("kill")), None),
    (c.MonitorP(P1, A("store"), REF), (19, P1, A("store"), REF), None),
    (c.DemonitorP(P1, P2, REF), (20, P1, P2, REF), None),
    (c.MonitorPExit(P2, P1, REF, A("noproc")), (21, P2, P1, REF, A("noproc")), None),
    (c.SendSender(P1, P2), (22, P1, P2), {A("k"): 1}),
    (c.SendSender(P1, P2, token=TOKEN), (23, P1, P2, TOKEN), 1),
    (c.PayloadExit(P1, P2), (24, P1, P2), A("crash")),
    (c.PayloadExit(P1, P2, token=TOKEN), (25, P1, P2, TOKEN), A("crash")),
    (c.PayloadExit2(P1, P2), (26, P1, P2), A("crash")),
    (c.PayloadExit2(P1, P2, token=TOKEN), (27, P1, P2, TOKEN), A("crash")),
    (c.PayloadMonitorPExit(P2, P1, REF), (28, P2, P1, REF), A("crash")),
    (
        c.SpawnRequest(REF, P1, P2, (A("erpc"), A("execute_call"), 4), [A("monitor")]),
        (29, REF, P1, P2, (A("erpc"), A("execute_call"), 4), [A("monitor")]),
        [REF, A("m"), A("f"), []],
    ),
    (
        c.SpawnRequest(REF, P1, P2, (A("m"), A("f"), 0), [], token=TOKEN),
        (30, REF, P1, P2, (A("m"), A("f"), 0), [], TOKEN),
        [],
    ),
    (c.SpawnReply(REF, P1, 2, P2), (31, REF, P1, 2, P2), None),
    (
        c.SpawnReply(REF, P1, 0, A("badarg"), token=TOKEN),
        (32, REF, P1, 0, A("badarg"), TOKEN),
        None,
    ),
    (c.AliasSend(P1, REF), (33, P1, REF), (ImproperList([A("alias")], REF), 1)),
    (c.AliasSend(P1, REF, token=TOKEN), (34, P1, REF, TOKEN), 1),
    (c.UnlinkId(7, P1, P2), (35, 7, P1, P2), None),
    (c.UnlinkIdAck(7, P2, P1), (36, 7, P2, P1), None),
]
IDS = [type(ctl).__name__ + str(t[0]) for ctl, t, _ in CASES]


@pytest.mark.parametrize(("control", "tup", "msg"), CASES, ids=IDS)
def test_controls_are_their_tuples_both_ways(control, tup, msg):
    assert control.to_tuple() == tup
    assert c.from_tuple(tup) == control


@pytest.mark.parametrize(("control", "tup", "msg"), CASES, ids=IDS)
def test_frames_round_trip(control, tup, msg):
    frame = c.encode_frame(control, msg, CODEC)
    expected = b"\x70" + encode(tup, CODEC) + (encode(msg, CODEC) if msg is not None else b"")
    assert frame == expected
    assert c.decode_frame(frame, CODEC) == (control, msg)
    for cut in range(len(frame)):
        with pytest.raises(BadTerm):
            c.decode_frame(frame[:cut], CODEC)


def test_bad_frames_are_rejected_cleanly():
    good = c.encode_frame(c.Send(P2), "hi", CODEC)
    with pytest.raises(BadTerm, match="after the frame"):
        c.decode_frame(good + b"x", CODEC)
    with pytest.raises(BadTerm, match="not 112"):
        c.decode_frame(b"\x71" + good[1:], CODEC)
    with pytest.raises(c.BadControl, match="unknown control op"):
        c.decode_frame(b"\x70" + encode((99, 1), CODEC), CODEC)
    with pytest.raises(c.BadControl, match="elements"):
        c.decode_frame(b"\x70" + encode((1, P1), CODEC), CODEC)
    with pytest.raises(c.BadControl, match="op first"):
        c.decode_frame(b"\x70" + encode([1, P1], CODEC), CODEC)
    with pytest.raises(c.BadControl, match="without its message"):
        c.decode_frame(b"\x70" + encode((2, A(""), P2), CODEC), CODEC)
    with pytest.raises(IncompleteTerm):
        c.decode_frame(good[:-1], CODEC)
    with pytest.raises(ValueError):
        c.encode_frame(c.Link(P1, P2), "a message", CODEC)


@pytest.mark.skipif(not erl_available(), reason="needs erl")
def test_frames_match_the_terms_erl_writes():
    exprs = [
        "{6, list_to_pid(\"<0.85.0>\"), '', store}",
        "{get, 1}",
        '{33, list_to_pid("<0.85.0>"), list_to_ref("#Ref<0.1.2.3>")}',
        '{[alias | list_to_ref("#Ref<0.1.2.3>")], 1}',
    ]
    ctl1, msg1, ctl2, msg2 = erl_bytes(exprs)
    assert c.encode_frame(c.RegSend(P1, A("store")), (A("get"), 1), CODEC) == b"p" + ctl1 + msg1
    frame = b"p" + ctl2 + msg2
    control, msg = c.decode_frame(frame, CODEC)
    assert control == c.AliasSend(P1, REF)
    assert msg == (ImproperList([A("alias")], REF), 1)
    assert c.encode_frame(control, msg, CODEC) == frame
