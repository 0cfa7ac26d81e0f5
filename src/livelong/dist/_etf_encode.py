"""The ETF encoder: one function per Python type appending to a bytearray (the
values table is in :mod:`._etf`'s docstring)."""

from __future__ import annotations

import dataclasses
import math
import struct
from collections.abc import Callable
from typing import Any

from .. import Pid, Ref
from ..lowlevel import LocalPid, RemoteRef
from ._etf_common import (
    _CACHE_MAX,
    _SPECIAL,
    _STRUCT,
    _TAG_F64,
    _TAG_I32,
    _TAG_U8_U8,
    _TAG_U16,
    _TAG_U32,
    _TAG_U32_U8,
    _U32,
    _U64U32,
    _WORDS,
    VERSION,
    Codec,
    EncodeError,
    KeyList,
    KeyMap,
    _U32x2,
    _U32x3,
)
from ._terms import Atom, BitBinary, ExportFun, Fun, ImproperList, Port, _struct_names

__all__ = ["encode", "encode_into"]

# ---------------------------------------------------------------------------------
# encoding: one function per Python type, ``f(x, buf, codec, depth)`` appending to a
# bytearray; ``_ENC`` maps exact types, ``_fallback`` handles subclasses.
# ---------------------------------------------------------------------------------

_Enc = Callable[[Any, bytearray, Codec, int], None]
_SMALL_INTS = [bytes((97, i)) for i in range(256)]
_atom_bytes: dict[Any, bytes] = {}


def _atom_ext(name: str) -> bytes:
    raw = name.encode()
    if len(name) > 255:
        raise EncodeError(f"atom of {len(name)} characters (at most 255)")
    if len(raw) < 256:
        return bytes((119, len(raw))) + raw
    return _TAG_U16.pack(118, len(raw)) + raw


for _name, _value in _SPECIAL.items():
    _atom_bytes[_value] = _atom_ext(_name)
_TRUE, _FALSE, _NIL = _atom_bytes[True], _atom_bytes[False], _atom_bytes[None]
_node_bytes: dict[str, bytes] = {}


def _node_ext(node: str) -> bytes:
    b = _node_bytes.get(node)
    if b is None:
        b = _atom_ext(node)
        if len(_node_bytes) < _CACHE_MAX:
            _node_bytes[node] = b
    return b


def _e_atom(x: Atom, buf: bytearray, codec: Codec, depth: int) -> None:
    b = _atom_bytes.get(x)
    if b is None:
        b = _atom_ext(x.name)
        if len(_atom_bytes) < _CACHE_MAX:
            _atom_bytes[x] = b
    buf += b


def _e_bool(x: bool, buf: bytearray, codec: Codec, depth: int) -> None:
    buf += _TRUE if x else _FALSE


def _e_none(x: None, buf: bytearray, codec: Codec, depth: int) -> None:
    buf += _NIL


def _e_int(x: int, buf: bytearray, codec: Codec, depth: int) -> None:
    if 0 <= x < 256:
        buf += _SMALL_INTS[x]
    elif -0x80000000 <= x <= 0x7FFFFFFF:
        buf += _TAG_I32.pack(98, x)
    else:
        sign = 1 if x < 0 else 0
        v = -x if sign else x
        n = (v.bit_length() + 7) // 8
        if n < 256:
            buf += _TAG_U8_U8.pack(110, n, sign)
        else:
            buf += _TAG_U32_U8.pack(111, n, sign)
        buf += v.to_bytes(n, "little")


def _e_float(x: float, buf: bytearray, codec: Codec, depth: int) -> None:
    if not math.isfinite(x):
        raise EncodeError(f"{x!r}: the BEAM has no NaN or infinite floats")
    buf += _TAG_F64.pack(70, x)


def _e_str(x: str, buf: bytearray, codec: Codec, depth: int) -> None:
    try:
        b = x.encode()
    except UnicodeEncodeError as e:
        raise EncodeError(f"a str that is not valid Unicode: {e}") from None
    buf += _TAG_U32.pack(109, len(b))
    buf += b


def _e_bytes(x: bytes, buf: bytearray, codec: Codec, depth: int) -> None:
    buf += _TAG_U32.pack(109, len(x))
    buf += x


def _e_tuple(x: tuple[Any, ...], buf: bytearray, codec: Codec, depth: int) -> None:
    n = len(x)
    if n < 256:
        buf += bytes((104, n))
    else:
        buf += _TAG_U32.pack(105, n)
    if depth >= codec.max_depth:
        raise EncodeError(f"terms nested more than {codec.max_depth} deep")
    depth += 1
    enc = _ENC
    for v in x:
        f = enc.get(type(v))
        if f is None:
            f = _fallback(v)
        f(v, buf, codec, depth)


def _e_list(x: list[Any], buf: bytearray, codec: Codec, depth: int) -> None:
    n = len(x)
    if not n:
        buf.append(106)
        return
    if n <= 65535 and type(x[0]) is int:
        try:
            chars = bytes(x)
        except (TypeError, ValueError):
            pass
        else:
            if not any(type(v) is bool for v in x):
                buf += _TAG_U16.pack(107, n)
                buf += chars
                return
    buf += _TAG_U32.pack(108, n)
    _items(x, buf, codec, depth)
    buf.append(106)


def _items(x: Any, buf: bytearray, codec: Codec, depth: int) -> None:
    if depth >= codec.max_depth:
        raise EncodeError(f"terms nested more than {codec.max_depth} deep")
    depth += 1
    enc = _ENC
    for v in x:
        f = enc.get(type(v))
        if f is None:
            f = _fallback(v)
        f(v, buf, codec, depth)


def _e_improper(x: ImproperList, buf: bytearray, codec: Codec, depth: int) -> None:
    if not x.items:
        raise EncodeError("an ImproperList needs at least one item")
    buf += _TAG_U32.pack(108, len(x.items))
    _items(x.items, buf, codec, depth)
    _items((x.tail,), buf, codec, depth)


def _e_dict(x: dict[Any, Any], buf: bytearray, codec: Codec, depth: int) -> None:
    buf += _TAG_U32.pack(116, len(x))
    if depth >= codec.max_depth:
        raise EncodeError(f"terms nested more than {codec.max_depth} deep")
    depth += 1
    enc = _ENC
    for k, v in x.items():
        f = enc.get(type(k))
        if f is None:
            f = _fallback(k)
        f(k, buf, codec, depth)
        f = enc.get(type(v))
        if f is None:
            f = _fallback(v)
        f(v, buf, codec, depth)


def _e_keymap(x: KeyMap, buf: bytearray, codec: Codec, depth: int) -> None:
    _e_dict(dict(x), buf, codec, depth)


def _e_keylist(x: KeyList, buf: bytearray, codec: Codec, depth: int) -> None:
    _e_list(list(x), buf, codec, depth)


def _e_pid(x: Pid, buf: bytearray, codec: Codec, depth: int) -> None:
    cache = codec._pid_bytes
    b = cache.get(x)
    if b is None:
        node = x.node
        creation = x.creation
        if not creation and node == codec.node:
            creation = codec.creation
        b = b"X" + _node_ext(node) + _U32x3.pack(x.id, x.serial, creation)
        if len(cache) >= 4096:
            cache.clear()
        cache[x] = b
    buf += b


_ref_bytes: dict[Ref, bytes] = {}  # refs that need no creation of the codec
_REF3 = struct.Struct(">III")
_M32 = 0xFFFFFFFF


def _e_ref(x: Ref, buf: bytearray, codec: Codec, depth: int) -> None:
    b = _ref_bytes.get(x)
    if b is not None:
        buf += b
        return
    node = x.node
    creation = x.creation
    fixed = not creation and node == codec.node
    if fixed:
        creation = codec.creation
    id = x.id
    if id < 1 << 96:
        b = b"Z\x00\x03" + _node_ext(node) + _U32.pack(creation)
        b += _REF3.pack(id & _M32, (id >> 32) & _M32, id >> 64)
    else:
        n = (id.bit_length() + 31) // 32
        if n > 5:
            raise EncodeError(f"a ref id of {id.bit_length()} bits (at most 160)")
        b = _TAG_U16.pack(90, n) + _node_ext(node) + _U32.pack(creation)
        b += _WORDS[n].pack(*[(id >> (32 * i)) & _M32 for i in range(n)])
    if not fixed:
        if len(_ref_bytes) >= _CACHE_MAX:
            _ref_bytes.clear()
        _ref_bytes[x] = b
    buf += b


def _e_port(x: Port, buf: bytearray, codec: Codec, depth: int) -> None:
    creation = x.creation
    if not creation and x.node == codec.node:
        creation = codec.creation
    if x.id < 1 << 32:
        buf.append(89)
        buf += _node_ext(x.node)
        buf += _U32x2.pack(x.id, creation)
    else:
        buf.append(120)
        buf += _node_ext(x.node)
        buf += _U64U32.pack(x.id, creation)


def _e_fun(x: Fun, buf: bytearray, codec: Codec, depth: int) -> None:
    buf += x.data


def _e_export(x: ExportFun, buf: bytearray, codec: Codec, depth: int) -> None:
    if not 0 <= x.arity < 256:
        raise EncodeError(f"export fun of arity {x.arity}")
    buf.append(113)
    _e_atom(x.module, buf, codec, depth)
    _e_atom(x.function, buf, codec, depth)
    buf += _SMALL_INTS[x.arity]


def _e_bit_binary(x: BitBinary, buf: bytearray, codec: Codec, depth: int) -> None:
    if not 1 <= x.bits <= 8 or not x.data:
        raise EncodeError(f"a bit binary has 1-8 bits in a last byte, not {x.bits}")
    buf += _TAG_U32_U8.pack(77, len(x.data), x.bits)
    buf += x.data


def _e_struct(x: Any, buf: bytearray, codec: Codec, depth: int) -> None:
    name = _struct_names[type(x)]
    fields = {_STRUCT: name}
    for field in dataclasses.fields(x):
        fields[Atom(field.name)] = getattr(x, field.name)
    _e_dict(fields, buf, codec, depth)


_ENC: dict[type, _Enc] = {
    int: _e_int,
    str: _e_str,
    Atom: _e_atom,
    tuple: _e_tuple,
    list: _e_list,
    dict: _e_dict,
    bool: _e_bool,
    type(None): _e_none,
    float: _e_float,
    bytes: _e_bytes,
    bytearray: _e_bytes,
    memoryview: _e_bytes,
    Pid: _e_pid,
    LocalPid: _e_pid,
    Ref: _e_ref,
    RemoteRef: _e_ref,
    ImproperList: _e_improper,
    Port: _e_port,
    Fun: _e_fun,
    ExportFun: _e_export,
    BitBinary: _e_bit_binary,
    KeyList: _e_keylist,
    KeyMap: _e_keymap,
}

_BY_BASE: tuple[tuple[type, _Enc], ...] = (
    (bool, _e_bool),
    (int, _e_int),
    (float, _e_float),
    (str, _e_str),
    (KeyList, _e_keylist),
    (KeyMap, _e_keymap),
    (tuple, _e_tuple),
    (list, _e_list),
    (dict, _e_dict),
    (bytes, _e_bytes),
    (bytearray, _e_bytes),
    (Pid, _e_pid),
    (Ref, _e_ref),
)


def _fallback(x: Any) -> _Enc:
    if type(x) in _struct_names:
        return _e_struct
    for base, f in _BY_BASE:
        if isinstance(x, base):
            return f
    raise EncodeError(f"no Erlang term for {type(x).__name__} {x!r:.80}")


def encode_into(term: Any, buf: bytearray, codec: Codec) -> None:
    """Append ``term``'s bytes (with the version byte) to ``buf``."""
    buf.append(VERSION)
    f = _ENC.get(type(term))
    if f is None:
        f = _fallback(term)
    try:
        f(term, buf, codec, 0)
    except RecursionError:
        raise EncodeError("term nested too deep for the Python stack") from None
    except struct.error as e:
        raise EncodeError(f"a field out of range: {e}") from None


def encode(term: Any, codec: Codec) -> bytes:
    """The External Term Format of ``term``, version byte 131 first."""
    buf = bytearray()
    encode_into(term, buf, codec)
    return bytes(buf)
