"""The distribution control messages, and the pass-through frames that carry them.

A connected pair of nodes exchanges frames ``112 | 131+Control | [131+Message]``
(the u32 length prefix is the framing's business, not this module's).  Each control
message is a frozen dataclass here, with ``to_tuple()`` giving the Erlang tuple and
:func:`from_tuple` reading one back; the tuples are those of ERTS's
``erl_dist_protocol`` (see /work/shared/DISTRIBUTION.md):

=====================  ==========  ====================================  =======
class                  op (TT op)  tuple                                 payload
=====================  ==========  ====================================  =======
``Link``               1           ``{1, From, To}``                     --
``Send``               2 (12)      ``{2, '', To}``                       message
``Exit``               3 (13)      ``{3, From, To, Reason}``             --
``Unlink``             4           ``{4, From, To}``                     --
``NodeLink``           5           ``{5}``                               --
``RegSend``            6 (16)      ``{6, From, '', ToName}``             message
``GroupLeader``        7           ``{7, From, To}``                     --
``Exit2``              8 (18)      ``{8, From, To, Reason}``             --
``MonitorP``           19          ``{19, From, ToProc, Ref}``           --
``DemonitorP``         20          ``{20, From, ToProc, Ref}``           --
``MonitorPExit``       21          ``{21, FromProc, To, Ref, Reason}``   --
``SendSender``         22 (23)     ``{22, From, To}``                    message
``PayloadExit``        24 (25)     ``{24, From, To}``                    reason
``PayloadExit2``       26 (27)     ``{26, From, To}``                    reason
``PayloadMonitorPExit`` 28         ``{28, FromProc, To, Ref}``           reason
``SpawnRequest``       29 (30)     ``{29, ReqId, From, GL, MFA, Opts}``  arg list
``SpawnReply``         31 (32)     ``{31, ReqId, To, Flags, Result}``    --
``AliasSend``          33 (34)     ``{33, From, Alias}``                 message
``UnlinkId``           35          ``{35, Id, From, To}``                --
``UnlinkIdAck``        36          ``{36, Id, From, To}``                --
=====================  ==========  ====================================  =======

The trace-token variants (TT) decode into the same class with ``token`` set; a
message with ``token=None`` is sent without one.

>>> from livelong.dist._etf import Codec
>>> from livelong.lowlevel import pid_for
>>> codec = Codec("py@host", 1)
>>> to = pid_for("erl@host", 85, 0, 7)
>>> frame = encode_frame(Send(to), ("hello", 1), codec)
>>> frame[0]
112
>>> decode_frame(frame, codec)
(Send(to=#PID<...>, token=None, unused=Atom('')), ('hello', 1))
>>> Send(to).to_tuple()[0], from_tuple((2, Atom(""), to)) == Send(to)
(2, True)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from operator import attrgetter, itemgetter
from typing import Any, ClassVar

from ._etf import BadTerm, Codec, decode_from, encode_into
from ._terms import Atom

__all__ = [
    "AliasSend",
    "BadControl",
    "Control",
    "DemonitorP",
    "Exit",
    "Exit2",
    "GroupLeader",
    "Link",
    "MonitorP",
    "MonitorPExit",
    "NodeLink",
    "PayloadExit",
    "PayloadExit2",
    "PayloadMonitorPExit",
    "RegSend",
    "Send",
    "SendSender",
    "SpawnReply",
    "SpawnRequest",
    "Unlink",
    "UnlinkId",
    "UnlinkIdAck",
    "decode_frame",
    "encode_frame",
    "from_tuple",
]

PASS_THROUGH = 112
_EMPTY = Atom("")


class BadControl(BadTerm):
    """A frame whose control message is not one this module knows."""


class Control:
    """The base of the control messages: ``OP`` and the tuple's field names."""

    __slots__ = ()

    OP: ClassVar[int]
    TT_OP: ClassVar[int | None] = None
    LAYOUT: ClassVar[tuple[str, ...]]  # field names after the op, without the token
    TT_LAYOUT: ClassVar[tuple[str, ...] | None] = None
    HAS_PAYLOAD: ClassVar[bool] = False

    _get: ClassVar[Any]  # attrgetters of LAYOUT and TT_LAYOUT
    _get_tt: ClassVar[Any]

    def to_tuple(self) -> tuple[Any, ...]:
        """The control tuple, op first."""
        if self.TT_OP is not None and self.token is not None:  # type: ignore[attr-defined]
            return (self.TT_OP, *self._get_tt(self))
        return (self.OP, *self._get(self))


# op -> (class, tuple length, getter): the getter picks the class's fields, in their
# order, from the tuple with the defaults appended (one C call, no keyword dict).
_BY_OP: dict[int, tuple[type[Control], int, Callable[[tuple[Any, ...]], Any]]] = {}


def _attrs(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    if not names:
        return lambda obj: ()
    if len(names) == 1:
        get1 = attrgetter(names[0])
        return lambda obj: (get1(obj),)
    return attrgetter(*names)


def _picker(idx: list[int], defaults: tuple[Any, ...]) -> Callable[[tuple[Any, ...]], Any]:
    if not idx:
        return lambda t: ()
    if len(idx) == 1:
        i0 = idx[0]
        return lambda t: ((t + defaults)[i0],)
    get = itemgetter(*idx)
    if not defaults:
        return get
    return lambda t: get(t + defaults)


def _control(cls: Any) -> Any:
    cls = dataclasses.dataclass(frozen=True, slots=True)(cls)
    fields = [f.name for f in dataclasses.fields(cls)]
    cls._get = staticmethod(_attrs(cls.LAYOUT))
    cls._get_tt = staticmethod(_attrs(cls.TT_LAYOUT or ()))
    for op, layout in ((cls.OP, cls.LAYOUT), (cls.TT_OP, cls.TT_LAYOUT)):
        if op is None:
            continue
        n = len(layout) + 1
        extra = [f for f in fields if f not in layout]  # token, unused: their defaults
        where = {name: i + 1 for i, name in enumerate(layout)}
        where.update({name: n + i for i, name in enumerate(extra)})
        defaults = tuple(_EMPTY if name == "unused" else None for name in extra)
        idx = [where[f] for f in fields]
        _BY_OP[op] = (cls, n, _picker(idx, defaults))
    return cls


@_control
class Link(Control):
    OP = 1
    LAYOUT = ("from_", "to")
    from_: Any
    to: Any


@_control
class Send(Control):
    OP, TT_OP = 2, 12
    LAYOUT = ("unused", "to")
    TT_LAYOUT = ("unused", "to", "token")
    HAS_PAYLOAD = True
    to: Any
    token: Any = None
    unused: Any = _EMPTY


@_control
class Exit(Control):
    OP, TT_OP = 3, 13
    LAYOUT = ("from_", "to", "reason")
    TT_LAYOUT = ("from_", "to", "token", "reason")
    from_: Any
    to: Any
    reason: Any
    token: Any = None


@_control
class Unlink(Control):
    OP = 4
    LAYOUT = ("from_", "to")
    from_: Any
    to: Any


@_control
class NodeLink(Control):
    OP = 5
    LAYOUT = ()


@_control
class RegSend(Control):
    OP, TT_OP = 6, 16
    LAYOUT = ("from_", "unused", "to_name")
    TT_LAYOUT = ("from_", "unused", "to_name", "token")
    HAS_PAYLOAD = True
    from_: Any
    to_name: Any
    token: Any = None
    unused: Any = _EMPTY


@_control
class GroupLeader(Control):
    OP = 7
    LAYOUT = ("from_", "to")
    from_: Any
    to: Any


@_control
class Exit2(Control):
    OP, TT_OP = 8, 18
    LAYOUT = ("from_", "to", "reason")
    TT_LAYOUT = ("from_", "to", "token", "reason")
    from_: Any
    to: Any
    reason: Any
    token: Any = None


@_control
class MonitorP(Control):
    OP = 19
    LAYOUT = ("from_", "to", "ref")
    from_: Any
    to: Any  # a pid or a registered name (an Atom)
    ref: Any


@_control
class DemonitorP(Control):
    OP = 20
    LAYOUT = ("from_", "to", "ref")
    from_: Any
    to: Any
    ref: Any


@_control
class MonitorPExit(Control):
    OP = 21
    LAYOUT = ("from_", "to", "ref", "reason")
    from_: Any  # the monitored pid or name
    to: Any
    ref: Any
    reason: Any


@_control
class SendSender(Control):
    OP, TT_OP = 22, 23
    LAYOUT = ("from_", "to")
    TT_LAYOUT = ("from_", "to", "token")
    HAS_PAYLOAD = True
    from_: Any
    to: Any
    token: Any = None


@_control
class PayloadExit(Control):
    OP, TT_OP = 24, 25
    LAYOUT = ("from_", "to")
    TT_LAYOUT = ("from_", "to", "token")
    HAS_PAYLOAD = True
    from_: Any
    to: Any
    token: Any = None


@_control
class PayloadExit2(Control):
    OP, TT_OP = 26, 27
    LAYOUT = ("from_", "to")
    TT_LAYOUT = ("from_", "to", "token")
    HAS_PAYLOAD = True
    from_: Any
    to: Any
    token: Any = None


@_control
class PayloadMonitorPExit(Control):
    OP = 28
    LAYOUT = ("from_", "to", "ref")
    HAS_PAYLOAD = True
    from_: Any
    to: Any
    ref: Any


@_control
class SpawnRequest(Control):
    OP, TT_OP = 29, 30
    LAYOUT = ("req_id", "from_", "group_leader", "mfa", "opts")
    TT_LAYOUT = ("req_id", "from_", "group_leader", "mfa", "opts", "token")
    HAS_PAYLOAD = True  # the argument list
    req_id: Any
    from_: Any
    group_leader: Any
    mfa: Any  # (Module, Function, Arity)
    opts: Any
    token: Any = None


@_control
class SpawnReply(Control):
    OP, TT_OP = 31, 32
    LAYOUT = ("req_id", "to", "flags", "result")
    TT_LAYOUT = ("req_id", "to", "flags", "result", "token")
    req_id: Any
    to: Any
    flags: Any
    result: Any  # the new pid, or an error atom
    token: Any = None


@_control
class AliasSend(Control):
    OP, TT_OP = 33, 34
    LAYOUT = ("from_", "alias")
    TT_LAYOUT = ("from_", "alias", "token")
    HAS_PAYLOAD = True
    from_: Any
    alias: Any
    token: Any = None


@_control
class UnlinkId(Control):
    OP = 35
    LAYOUT = ("id", "from_", "to")
    id: Any
    from_: Any
    to: Any


@_control
class UnlinkIdAck(Control):
    OP = 36
    LAYOUT = ("id", "from_", "to")
    id: Any
    from_: Any
    to: Any


def from_tuple(t: Any, offset: int = 0) -> Control:
    """The control message of the tuple ``t`` (raises :class:`BadControl`)."""
    if type(t) is not tuple or not t or type(t[0]) is not int:
        raise BadControl(f"a control message is a tuple with an op first, not {t!r:.80}", offset)
    entry = _BY_OP.get(t[0])
    if entry is None:
        raise BadControl(f"unknown control op {t[0]}", offset)
    cls, n, get = entry
    if len(t) != n:
        raise BadControl(f"control op {t[0]} has {n} elements, not {len(t)}", offset)
    return cls(*get(t))


def encode_frame(control: Control, message: Any, codec: Codec) -> bytes:
    """The pass-through frame ``112 | 131+control | [131+message]`` (no length
    prefix); ``message`` goes in only when the control message carries a payload."""
    buf = bytearray((PASS_THROUGH,))
    encode_into(control.to_tuple(), buf, codec)
    if control.HAS_PAYLOAD:
        encode_into(message, buf, codec)
    elif message is not None:
        raise ValueError(f"{type(control).__name__} carries no message")
    return bytes(buf)


def decode_frame(payload: bytes, codec: Codec) -> tuple[Control, Any]:
    """``(control, message)`` of a pass-through frame (the message is None when the
    control message carries none).  Raises :class:`BadTerm` on a bad frame."""
    if type(payload) is not bytes:
        payload = bytes(payload)
    if not payload:
        raise BadTerm("an empty frame", 0)
    if payload[0] != PASS_THROUGH:
        raise BadTerm(f"frame type {payload[0]}, not 112 (pass-through)", 0)
    t, end = decode_from(payload, 1, codec)
    control = from_tuple(t, 1)
    message = None
    if control.HAS_PAYLOAD:
        if end >= len(payload):
            raise BadControl(f"{type(control).__name__} without its message", end)
        message, end = decode_from(payload, end, codec)
    if end != len(payload):
        raise BadTerm(f"{len(payload) - end} bytes after the frame's terms", end)
    return control, message
