"""The External Term Format (``erlang:term_to_binary``), sans-IO: bytes in, terms out.

``encode(term, codec)`` returns the bytes of one term with its version byte 131;
``decode(data, codec)`` returns ``(term, bytes_used)``, so a buffer may hold more
after the term.  A :class:`Codec` names the local node and its creation (both go into
the pids, refs and ports of this node) and holds the limits against hostile input.

Values, both ways (Erlang → Python → Erlang):

==========================================  ==========================  ====================
Erlang (tag)                                Python                      encoded back as
==========================================  ==========================  ====================
integer (97, 98, 110, 111; bignums)         ``int``                     smallest tag
float (NEW_FLOAT 70; old FLOAT 99)          ``float`` (finite only)     NEW_FLOAT
binary (109), valid UTF-8                   ``str``                     BINARY
binary (109), not UTF-8                     ``bytes``                   BINARY
bit binary (77)                             ``BitBinary``, as is        BIT_BINARY
atom (118, 119; old 100, 115)               ``Atom``                    (SMALL_)ATOM_UTF8
``true``/``false``/``nil``                  ``True``/``False``/``None`` atoms
tuple (104, 105)                            ``tuple``                   (LARGE_)SMALL_TUPLE
``[]`` (106), list (108)                    ``list``                    NIL, LIST
charlist (STRING 107)                       ``list`` of ints            STRING (a list of
                                                                        ints 0-255, ≤ 65535)
improper list (108 with a tail)             ``ImproperList``            LIST + tail
map (116), any keys                         ``dict``                    MAP, same order
map with a registered ``__struct__``        that dataclass              MAP
pid (NEW_PID 88; old 103)                   ``Pid`` (the live process   NEW_PID
                                            for a local one)
reference (NEWER_REFERENCE 90; 114, 101)    ``Ref`` (local ones are     NEWER_REFERENCE
                                            the original ref)           (3-5 words)
port (NEW_PORT 89, V4_PORT 120; old 102)    ``Port``                    NEW_PORT / V4_PORT
fun (NEW_FUN 112)                           ``Fun``, its exact bytes    the same bytes
export fun (113)                            ``ExportFun``               EXPORT
compressed (80, decode only)                the term inside             --
==========================================  ==========================  ====================

Python ``bytes``, ``bytearray`` and ``memoryview`` are sent as binaries, so valid
UTF-8 ``bytes`` come back as ``str``: Elixir does not tell strings from binaries
either.  A map key that Python cannot hash (a list, a map) is decoded as a
:class:`KeyList` or :class:`KeyMap` (hashable, encoded back as a list or a map).
A ref of 4 or 5 words whose high words are zero is encoded back with 3 words (the
BEAM compares the two as equal).

Hostile input gives a :class:`BadTerm` naming what and where, never another error:
nesting deeper than ``max_depth``, more than ``max_new_atoms`` atoms never seen
before in one term, bignums over ``max_bignum_bytes``, compressed terms that inflate
to more than ``max_uncompressed`` (checked while inflating).  A buffer that ends
before its term does raises :class:`IncompleteTerm` (a ``BadTerm``), also when a
length or arity needs more bytes than there are.

>>> codec = Codec("py@host", 1)
>>> data = encode((Atom("ok"), "hello", [1, 2], {1: None}), codec)
>>> decode(data, codec)
((Atom('ok'), 'hello', [1, 2], {1: None}), 34)
>>> decode(data[:-2], codec)
Traceback (most recent call last):
...
livelong.dist._etf.IncompleteTerm: atom needs 4 bytes, 2 left (at offset 30)
"""

from __future__ import annotations

import math
import struct
import zlib
from collections.abc import Callable
from typing import Any

from .. import Pid, Ref
from ..lowlevel import LocalPid, RemoteRef, local_process, pid_for, ref_from_parts
from ._terms import (
    Atom,
    BitBinary,
    ExportFun,
    Fun,
    ImproperList,
    Port,
    _struct_classes,
    _struct_names,
)

__all__ = [
    "BadTerm",
    "Codec",
    "EncodeError",
    "IncompleteTerm",
    "KeyList",
    "KeyMap",
    "decode",
    "decode_from",
    "encode",
    "encode_into",
]

VERSION = 131


class BadTerm(ValueError):
    """Bytes that are not a valid term: ``offset`` says where."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(f"{message} (at offset {offset})")
        self.offset = offset


class IncompleteTerm(BadTerm):
    """The buffer ends before the term does (more bytes may complete it)."""


class EncodeError(ValueError):
    """A Python value that has no External Term Format."""


class KeyList(tuple):  # type: ignore[type-arg]
    """A list used as a map key (Python lists cannot be): encoded as a list."""

    __slots__ = ()


class KeyMap(tuple):  # type: ignore[type-arg]
    """A map used as a map key: its ``(key, value)`` pairs, encoded as a map."""

    __slots__ = ()


class Codec:
    """The local node's name and creation, and the limits on decoded terms.

    Pids, refs and ports of ``node`` made by the kernel with creation 0 (before the
    node had one) are sent with ``creation``; a pid of ``node`` and ``creation`` from
    the wire is the live local process when there is one.  One codec per connection:
    it is not thread-safe.
    """

    __slots__ = (
        "node",
        "creation",
        "max_depth",
        "max_new_atoms",
        "max_bignum_bytes",
        "max_uncompressed",
        "_atoms_left",
        "_pid_bytes",
    )

    def __init__(
        self,
        node: str = "nonode@nohost",
        creation: int = 0,
        *,
        max_depth: int = 200,
        max_new_atoms: int = 10_000,
        max_bignum_bytes: int = 2048,
        max_uncompressed: int = 64 << 20,
    ) -> None:
        self.node = node
        self.creation = creation
        self.max_depth = max_depth
        self.max_new_atoms = max_new_atoms
        self.max_bignum_bytes = max_bignum_bytes
        self.max_uncompressed = max_uncompressed
        self._atoms_left = max_new_atoms
        self._pid_bytes: dict[Pid, bytes] = {}  # the encodings of pids seen lately

    def __repr__(self) -> str:
        return f"Codec({self.node!r}, {self.creation})"


_U8 = struct.Struct(">B")
_U16 = struct.Struct(">H")
_U32 = struct.Struct(">I")
_I32 = struct.Struct(">i")
_U64 = struct.Struct(">Q")
_F64 = struct.Struct(">d")
_U32x2 = struct.Struct(">II")
_U32x3 = struct.Struct(">III")
_U64U32 = struct.Struct(">QI")
_U32U8 = struct.Struct(">IB")
_U32x2U8 = struct.Struct(">IIB")
_TAG_U32 = struct.Struct(">BI")
_TAG_I32 = struct.Struct(">Bi")
_TAG_F64 = struct.Struct(">Bd")
_TAG_U16 = struct.Struct(">BH")
_TAG_U32_U8 = struct.Struct(">BIB")
_TAG_U8_U8 = struct.Struct(">BBB")

_CACHE_MAX = 100_000

# ---------------------------------------------------------------------------------
# decoding: one function per tag, ``f(data, pos, codec, depth) -> (value, pos)`` with
# ``pos`` just after the tag.  Single bytes are read by indexing and fixed fields by
# precompiled Structs, which raise IndexError / struct.error past the end (turned
# into IncompleteTerm by ``decode``); every slice checks its end explicitly.
# ---------------------------------------------------------------------------------

_Dec = Callable[[bytes, int, Codec, int], tuple[Any, int]]


def _d_unknown(data: bytes, pos: int, codec: Codec, depth: int) -> tuple[Any, int]:
    raise BadTerm(f"unknown tag {data[pos - 1]}", pos - 1)


_DEC: list[_Dec] = [_d_unknown] * 256

_SPECIAL: dict[str, Any] = {"true": True, "false": False, "nil": None}
# raw atom bytes -> value, one table per encoding of the name
_utf8_atoms: dict[bytes, Any] = {k.encode(): v for k, v in _SPECIAL.items()}
_latin1_atoms: dict[bytes, Any] = dict(_utf8_atoms)
_node_names: dict[bytes, str] = {}


def _need(data: bytes, end: int, what: str, pos: int) -> None:
    if end > len(data):
        raise IncompleteTerm(f"{what} needs {end - pos} bytes, {len(data) - pos} left", pos)


def _new_atom(raw: bytes, latin1: bool, codec: Codec, pos: int) -> Any:
    try:
        name = raw.decode("latin-1" if latin1 else "utf-8")
    except UnicodeDecodeError:
        raise BadTerm("atom name is not UTF-8", pos) from None
    if len(name) > 255:
        raise BadTerm(f"atom of {len(name)} characters (at most 255)", pos)
    if name in _SPECIAL:
        value = _SPECIAL[name]
    else:
        codec._atoms_left -= 1
        if codec._atoms_left < 0:
            raise BadTerm(f"more than {codec.max_new_atoms} new atoms in one term", pos)
        value = Atom(name)
    table = _latin1_atoms if latin1 else _utf8_atoms
    if len(table) < _CACHE_MAX:
        table[raw] = value
    return value


def _d_small_atom_utf8(data: bytes, pos: int, codec: Codec, depth: int) -> tuple[Any, int]:
    start = pos + 1
    end = start + data[pos]
    if end > len(data):
        _need(data, end, "atom", pos)
    raw = data[start:end]
    a = _utf8_atoms.get(raw, _d_small_atom_utf8)
    if a is _d_small_atom_utf8:
        a = _new_atom(raw, False, codec, pos)
    return a, end


def _d_atom_utf8(data: bytes, pos: int, codec: Codec, depth: int) -> tuple[Any, int]:
    start = pos + 2
    end = start + _U16.unpack_from(data, pos)[0]
    _need(data, end, "atom", pos)
    raw = data[start:end]
    a = _utf8_atoms.get(raw, _d_atom_utf8)
    if a is _d_atom_utf8:
        a = _new_atom(raw, False, codec, pos)
    return a, end


def _d_atom_latin1(data: bytes, pos: int, codec: Codec, depth: int) -> tuple[Any, int]:
    start = pos + 2
    end = start + _U16.unpack_from(data, pos)[0]
    _need(data, end, "atom", pos)
    raw = data[start:end]
    a = _latin1_atoms.get(raw, _d_atom_latin1)
    if a is _d_atom_latin1:
        a = _new_atom(raw, True, codec, pos)
    return a, end


def _d_small_atom_latin1(data: bytes, pos: int, codec: Codec, depth: int) -> tuple[Any, int]:
    start = pos + 1
    end = start + data[pos]
    _need(data, end, "atom", pos)
    raw = data[start:end]
    a = _latin1_atoms.get(raw, _d_small_atom_latin1)
    if a is _d_small_atom_latin1:
        a = _new_atom(raw, True, codec, pos)
    return a, end


def _node(data: bytes, pos: int, codec: Codec) -> tuple[str, int]:
    """The node name of a pid, ref or port: an atom, as a ``str``."""
    tag = data[pos]
    if tag == 119 or tag == 115:
        start = pos + 2
        end = start + data[pos + 1]
    elif tag == 118 or tag == 100:
        start = pos + 3
        end = start + _U16.unpack_from(data, pos + 1)[0]
    else:
        raise BadTerm(f"a node name must be an atom, not tag {tag}", pos)
    if end > len(data):
        _need(data, end, "node name", pos)
    raw = data[start:end]
    name = _node_names.get(raw)
    if name is None:
        try:
            name = raw.decode("utf-8" if tag > 115 else "latin-1")
        except UnicodeDecodeError:
            raise BadTerm("node name is not UTF-8", pos) from None
        if len(_node_names) < _CACHE_MAX:
            _node_names[raw] = name
    return name, end


def _d_small_int(data: bytes, pos: int, codec: Codec, depth: int) -> tuple[Any, int]:
    return data[pos], pos + 1


def _d_int(data: bytes, pos: int, codec: Codec, depth: int) -> tuple[Any, int]:
    return _I32.unpack_from(data, pos)[0], pos + 4


def _big(data: bytes, pos: int, n: int, codec: Codec, start: int) -> tuple[Any, int]:
    if n > codec.max_bignum_bytes:
        raise BadTerm(f"bignum of {n} bytes (at most {codec.max_bignum_bytes})", start)
    sign = data[pos]
    end = pos + 1 + n
    _need(data, end, "bignum", start)
    v = int.from_bytes(data[pos + 1 : end], "little")
    return (-v if sign else v), end


def _d_small_big(data: bytes, pos: int, codec: Codec, depth: int) -> tuple[Any, int]:
    return _big(data, pos + 1, data[pos], codec, pos)


def _d_large_big(data: bytes, pos: int, codec: Codec, depth: int) -> tuple[Any, int]:
    return _big(data, pos + 4, _U32.unpack_from(data, pos)[0], codec, pos)


def _d_new_float(data: bytes, pos: int, codec: Codec, depth: int) -> tuple[Any, int]:
    return _F64.unpack_from(data, pos)[0], pos + 8


def _d_old_float(data: bytes, pos: int, codec: Codec, depth: int) -> tuple[Any, int]:
    end = pos + 31
    _need(data, end, "float", pos)
    try:
        return float(data[pos:end].rstrip(b"\x00")), end
    except ValueError:
        raise BadTerm("FLOAT_EXT is not a float", pos) from None


def _elements(
    data: bytes, pos: int, n: int, codec: Codec, depth: int, start: int
) -> tuple[list[Any], int]:
    if n > len(data) - pos:
        raise IncompleteTerm(f"{n} elements need more than the {len(data) - pos} bytes left", start)
    if depth >= codec.max_depth:
        raise BadTerm(f"terms nested more than {codec.max_depth} deep", start)
    depth += 1
    dec = _DEC
    items: list[Any] = []
    append = items.append
    for _ in range(n):
        v, pos = dec[data[pos]](data, pos + 1, codec, depth)
        append(v)
    return items, pos


def _d_small_tuple(data: bytes, pos: int, codec: Codec, depth: int) -> tuple[Any, int]:
    n = data[pos]
    if n == 2 or n == 3:
        if depth >= codec.max_depth:
            raise BadTerm(f"terms nested more than {codec.max_depth} deep", pos)
        depth += 1
        dec = _DEC
        a, p = dec[data[pos + 1]](data, pos + 2, codec, depth)
        b, p = dec[data[p]](data, p + 1, codec, depth)
        if n == 2:
            return (a, b), p
        c, p = dec[data[p]](data, p + 1, codec, depth)
        return (a, b, c), p
    items, pos = _elements(data, pos + 1, n, codec, depth, pos)
    return tuple(items), pos


def _d_large_tuple(data: bytes, pos: int, codec: Codec, depth: int) -> tuple[Any, int]:
    items, pos = _elements(data, pos + 4, _U32.unpack_from(data, pos)[0], codec, depth, pos)
    return tuple(items), pos


def _d_nil(data: bytes, pos: int, codec: Codec, depth: int) -> tuple[Any, int]:
    return [], pos


def _d_string(data: bytes, pos: int, codec: Codec, depth: int) -> tuple[Any, int]:
    end = pos + 2 + _U16.unpack_from(data, pos)[0]
    _need(data, end, "charlist", pos)
    return list(data[pos + 2 : end]), end


def _d_list(data: bytes, pos: int, codec: Codec, depth: int) -> tuple[Any, int]:
    n = _U32.unpack_from(data, pos)[0]
    start = pos
    pos += 4
    if n >= len(data) - pos:
        raise IncompleteTerm(
            f"a list of {n} needs more than the {len(data) - pos} bytes left", start
        )
    if depth >= codec.max_depth:
        raise BadTerm(f"terms nested more than {codec.max_depth} deep", start)
    depth += 1
    dec = _DEC
    items: list[Any] = []
    append = items.append
    for _ in range(n):
        v, pos = dec[data[pos]](data, pos + 1, codec, depth)
        append(v)
    if data[pos] == 106:
        return items, pos + 1
    tail, pos = dec[data[pos]](data, pos + 1, codec, depth)
    if not items:
        return tail, pos
    return ImproperList(items, tail), pos


def _d_binary(data: bytes, pos: int, codec: Codec, depth: int) -> tuple[Any, int]:
    end = pos + 4 + _U32.unpack_from(data, pos)[0]
    if end > len(data):
        _need(data, end, "binary", pos)
    raw = data[pos + 4 : end]
    try:
        return raw.decode(), end
    except UnicodeDecodeError:
        return raw, end


def _d_bit_binary(data: bytes, pos: int, codec: Codec, depth: int) -> tuple[Any, int]:
    n, bits = _U32U8.unpack_from(data, pos)
    end = pos + 5 + n
    _need(data, end, "bit binary", pos)
    if not 1 <= bits <= 8 or n == 0:
        raise BadTerm(f"bit binary with {bits} bits in its last of {n} bytes", pos)
    return BitBinary(data[pos + 5 : end], bits), end


def _freeze(key: Any) -> Any:
    if isinstance(key, list):
        return KeyList(_freeze(k) for k in key)
    if isinstance(key, dict):
        return KeyMap((_freeze(k), _freeze(v)) for k, v in key.items())
    if isinstance(key, tuple):
        return tuple(_freeze(k) for k in key)
    if isinstance(key, ImproperList):
        return ImproperList(KeyList(_freeze(k) for k in key.items), _freeze(key.tail))  # type: ignore[arg-type]
    return key


_STRUCT = Atom("__struct__")


def _d_map(data: bytes, pos: int, codec: Codec, depth: int) -> tuple[Any, int]:
    n = _U32.unpack_from(data, pos)[0]
    start = pos
    pos += 4
    if 2 * n > len(data) - pos:
        raise IncompleteTerm(f"a map of {n} pairs needs more than {len(data) - pos} bytes", start)
    if depth >= codec.max_depth:
        raise BadTerm(f"terms nested more than {codec.max_depth} deep", start)
    depth += 1
    dec = _DEC
    m: dict[Any, Any] = {}
    for _ in range(n):
        k, pos = dec[data[pos]](data, pos + 1, codec, depth)
        v, pos = dec[data[pos]](data, pos + 1, codec, depth)
        try:
            m[k] = v
        except TypeError:
            m[_freeze(k)] = v
    if _struct_classes and _STRUCT in m:
        cls = _struct_classes.get(m[_STRUCT])
        if cls is not None:
            fields = {k.name: v for k, v in m.items() if k is not _STRUCT and type(k) is Atom}
            if len(fields) == n - 1:
                try:
                    return cls(**fields), pos
                except TypeError:
                    pass
    return m, pos


def _local_pid(node: str, id: int, serial: int, creation: int, codec: Codec) -> Pid:
    pid = pid_for(node, id, serial, creation)
    if type(pid) is Pid and node == codec.node and creation == codec.creation and creation:
        alt = pid_for(node, id, serial, 0)  # a local process made before the creation
        if type(alt) is not Pid:
            return alt
    return pid


# remote pids and refs by their exact bytes (node atom included): a connection sees the
# same few again and again.  Local ones are never cached (a pid must find its process).
_by_bytes: dict[bytes, Any] = {}


def _d_new_pid(data: bytes, pos: int, codec: Codec, depth: int) -> tuple[Any, int]:
    if data[pos] == 119:
        end = pos + 14 + data[pos + 1]
        pid = _by_bytes.get(data[pos:end])
        if pid is not None and end <= len(data):
            if pid.node != codec.node:
                return pid, end
            proc = local_process(pid)  # a pid of this node: its live process, if any
            if proc is not None:
                return proc, end
            return _local_pid(pid.node, pid.id, pid.serial, pid.creation, codec), end
    node, p = _node(data, pos, codec)
    id, serial, creation = _U32x3.unpack_from(data, p)
    pid = _local_pid(node, id, serial, creation, codec)
    if len(_by_bytes) >= _CACHE_MAX:
        _by_bytes.clear()
    _by_bytes[data[pos : p + 12]] = pid if type(pid) is Pid else Pid(node, id, serial, creation)
    return pid, p + 12


def _d_old_pid(data: bytes, pos: int, codec: Codec, depth: int) -> tuple[Any, int]:
    node, pos = _node(data, pos, codec)
    id, serial, creation = _U32x2U8.unpack_from(data, pos)
    return _local_pid(node, id, serial, creation, codec), pos + 9


def _ref(node: str, words: tuple[int, ...], creation: int, codec: Codec) -> Ref:
    id = 0
    for i, w in enumerate(words):
        id |= w << (32 * i)
    if node == codec.node and creation == codec.creation:
        ref = ref_from_parts(node, id, 0)  # a ref of this node: the original one
        if type(ref) is not RemoteRef or not creation:
            return ref
    return ref_from_parts(node, id, creation)


_WORDS = [struct.Struct(f">{n}I") for n in range(6)]


def _d_newer_ref(data: bytes, pos: int, codec: Codec, depth: int) -> tuple[Any, int]:
    start = pos
    if data[pos + 2] == 119:
        end = pos + 8 + data[pos + 3] + 4 * data[pos + 1]
        key = data[pos:end]
        ref = _by_bytes.get(key)
        if ref is not None and end <= len(data) and ref.node != codec.node:
            return ref, end
    n = _U16.unpack_from(data, pos)[0]
    if not 1 <= n <= 5:
        raise BadTerm(f"reference of {n} words (1-5)", start)
    node, pos = _node(data, pos + 2, codec)
    creation = _U32.unpack_from(data, pos)[0]
    end = pos + 4 + 4 * n
    _need(data, end, "reference", start)
    ref = _ref(node, _WORDS[n].unpack_from(data, pos + 4), creation, codec)
    if node != codec.node:
        if len(_by_bytes) >= _CACHE_MAX:
            _by_bytes.clear()
        _by_bytes[data[start:end]] = ref
    return ref, end


def _d_new_ref(data: bytes, pos: int, codec: Codec, depth: int) -> tuple[Any, int]:
    start = pos
    n = _U16.unpack_from(data, pos)[0]
    if not 1 <= n <= 5:
        raise BadTerm(f"reference of {n} words (1-5)", start)
    node, pos = _node(data, pos + 2, codec)
    creation = data[pos]
    end = pos + 1 + 4 * n
    _need(data, end, "reference", start)
    words = _WORDS[n].unpack_from(data, pos + 1)
    return _ref(node, words, creation, codec), end


def _d_old_ref(data: bytes, pos: int, codec: Codec, depth: int) -> tuple[Any, int]:
    node, pos = _node(data, pos, codec)
    id, creation = _U32U8.unpack_from(data, pos)
    return _ref(node, (id,), creation, codec), pos + 5


def _d_new_port(data: bytes, pos: int, codec: Codec, depth: int) -> tuple[Any, int]:
    node, pos = _node(data, pos, codec)
    id, creation = _U32x2.unpack_from(data, pos)
    return Port(node, id, creation), pos + 8


def _d_v4_port(data: bytes, pos: int, codec: Codec, depth: int) -> tuple[Any, int]:
    node, pos = _node(data, pos, codec)
    id, creation = _U64U32.unpack_from(data, pos)
    return Port(node, id, creation), pos + 12


def _d_old_port(data: bytes, pos: int, codec: Codec, depth: int) -> tuple[Any, int]:
    node, pos = _node(data, pos, codec)
    id, creation = _U32U8.unpack_from(data, pos)
    return Port(node, id, creation), pos + 5


def _d_new_fun(data: bytes, pos: int, codec: Codec, depth: int) -> tuple[Any, int]:
    size = _U32.unpack_from(data, pos)[0]
    if size < 4 + 1 + 16 + 4 + 4:
        raise BadTerm(f"fun of {size} bytes is too short", pos)
    end = pos + size
    _need(data, end, "fun", pos)
    return Fun(bytes(data[pos - 1 : end])), end


def _d_export(data: bytes, pos: int, codec: Codec, depth: int) -> tuple[Any, int]:
    start = pos
    parts = []
    for _ in range(3):
        v, pos = _DEC[data[pos]](data, pos + 1, codec, depth + 1)
        parts.append(v)
    m, fn, arity = parts
    if type(m) is not Atom or type(fn) is not Atom or type(arity) is not int:
        raise BadTerm("an export fun is fun Module:Function/Arity", start)
    return ExportFun(m, fn, arity), pos


def _d_refused(what: str) -> _Dec:
    def refuse(data: bytes, pos: int, codec: Codec, depth: int) -> tuple[Any, int]:
        raise BadTerm(what, pos - 1)

    return refuse


for _tag, _f in {
    97: _d_small_int,
    98: _d_int,
    110: _d_small_big,
    111: _d_large_big,
    70: _d_new_float,
    99: _d_old_float,
    119: _d_small_atom_utf8,
    118: _d_atom_utf8,
    100: _d_atom_latin1,
    115: _d_small_atom_latin1,
    104: _d_small_tuple,
    105: _d_large_tuple,
    106: _d_nil,
    107: _d_string,
    108: _d_list,
    109: _d_binary,
    77: _d_bit_binary,
    116: _d_map,
    88: _d_new_pid,
    103: _d_old_pid,
    90: _d_newer_ref,
    114: _d_new_ref,
    101: _d_old_ref,
    89: _d_new_port,
    120: _d_v4_port,
    102: _d_old_port,
    112: _d_new_fun,
    113: _d_export,
    80: _d_refused("a compressed term inside a term"),
    82: _d_refused("an atom cache reference, but no atom cache was negotiated"),
    121: _d_refused("LOCAL_EXT terms are not accepted from other nodes"),
    117: _d_refused("FUN_EXT (R7 funs) are not supported"),
}.items():
    _DEC[_tag] = _f


def _compressed(data: bytes, pos: int, codec: Codec) -> tuple[Any, int]:
    start = pos
    size = _U32.unpack_from(data, pos + 1)[0]
    if size > codec.max_uncompressed:
        raise BadTerm(f"compressed term of {size} bytes (at most {codec.max_uncompressed})", start)
    z = zlib.decompressobj()
    body = data[pos + 5 :]
    try:
        inner = z.decompress(body, size + 1)
    except zlib.error as e:
        raise BadTerm(f"bad compressed term: {e}", start) from None
    if len(inner) > size:
        raise BadTerm(f"compressed term inflates beyond its stated {size} bytes", start)
    if not z.eof:
        raise IncompleteTerm("compressed term is cut short", len(data))
    if len(inner) != size:
        raise BadTerm(f"compressed term inflates to {len(inner)} bytes, not {size}", start)
    used = len(body) - len(z.unused_data)
    if not inner:
        raise BadTerm("compressed term holds no term", start)
    try:
        value, end = _DEC[inner[0]](inner, 1, codec, 0)
    except (IndexError, struct.error):
        raise BadTerm("compressed term holds a truncated term", start) from None
    if end != size:
        raise BadTerm("compressed term holds trailing bytes", start)
    return value, pos + 5 + used


def decode_from(data: bytes, pos: int, codec: Codec) -> tuple[Any, int]:
    """Decode the term (with its version byte) at ``data[pos:]``: ``(term, end)``."""
    if type(data) is not bytes:
        data = bytes(data)
    codec._atoms_left = codec.max_new_atoms
    try:
        if data[pos] != VERSION:
            raise BadTerm(f"version byte {data[pos]}, not 131", pos)
        tag = data[pos + 1]
        if tag == 80:
            return _compressed(data, pos + 1, codec)
        return _DEC[tag](data, pos + 2, codec, 0)
    except BadTerm:
        raise
    except (IndexError, struct.error):
        raise IncompleteTerm(
            f"the term needs more than the {len(data)} bytes given", len(data)
        ) from None
    except RecursionError:
        raise BadTerm("terms nested too deep for the Python stack", pos) from None
    except Exception as e:  # never anything but BadTerm out of the decoder
        raise BadTerm(f"bad term ({type(e).__name__}: {e})", pos) from e


def decode(data: bytes, codec: Codec) -> tuple[Any, int]:
    """Decode one term (version byte 131 first): ``(term, bytes_used)``."""
    return decode_from(data, 0, codec)


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
    import dataclasses

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
