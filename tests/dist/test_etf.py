"""The ETF codec: what a user relies on beyond the golden table."""

from __future__ import annotations

import dataclasses
import struct
import zlib

import pytest

import livelong
from livelong import Ref, receive, send
from livelong.dist._etf import (
    BadTerm,
    Codec,
    EncodeError,
    IncompleteTerm,
    decode,
    encode,
)
from livelong.dist._terms import Atom, ImproperList, register_struct, unregister_struct
from livelong.lowlevel import RemoteRef

CODEC = Codec("py@host", 1)


def roundtrip(term, codec=CODEC):
    data = encode(term, codec)
    value, used = decode(data, codec)
    assert used == len(data)
    return value


def test_atoms_are_distinct_from_strings_and_interned():
    m = roundtrip({Atom("a"): 1, "a": 2})
    assert m == {Atom("a"): 1, "a": 2}
    key = next(iter(m))
    assert key is Atom("a") and type(key) is Atom
    match roundtrip((Atom("ok"), 1)):
        case (Atom("ok"), n):
            assert n == 1
        case _:
            pytest.fail("an atom pattern did not match")


def test_binaries_strings_and_bytes():
    assert roundtrip("héllo") == "héllo"
    assert roundtrip(b"\xff\xfe") == b"\xff\xfe"
    assert roundtrip(bytearray(b"abc")) == "abc"  # a binary; valid UTF-8 comes back as str
    assert roundtrip([1, 2, 300]) == [1, 2, 300]
    assert roundtrip([True, False]) == [True, False]  # not a charlist of 1 and 0
    assert roundtrip(ImproperList([1, 2], "t")) == ImproperList([1, 2], "t")


def test_a_local_pid_from_the_wire_is_the_live_process():
    async def main():
        me = livelong.self()
        codec = Codec(me.node, 3)
        pid, _ = decode(encode(me, codec), codec)
        assert pid is me
        send(pid, "hi")
        return await receive(timeout=1)

    assert livelong.run(main) == "hi"


def test_a_local_ref_rebuilt_from_the_wire_is_the_original():
    ref = Ref()
    codec = Codec(ref.node, 2)
    data = encode(ref, codec)
    back, _ = decode(data, codec)
    assert back is ref
    remote = RemoteRef("erl@host", 5 | 7 << 32 | 9 << 64, 4)
    again = roundtrip(remote)
    assert again is roundtrip(remote) and (again.node, again.id, again.creation) == (
        "erl@host",
        remote.id,
        4,
    )


def test_pids_of_this_node_get_its_creation():
    pid = livelong.Pid("py@host", 81, 0, 0)
    assert encode(pid, CODEC)[-4:] == struct.pack(">I", CODEC.creation)


@dataclasses.dataclass
class User:
    name: str
    age: int


def test_registered_dataclasses_are_struct_maps():
    register_struct(User, name="Elixir.User")
    try:
        data = encode(User("ann", 3), CODEC)
        plain = {Atom("__struct__"): Atom("Elixir.User"), Atom("name"): "ann", Atom("age"): 3}
        assert data == encode(plain, CODEC)
        assert decode(data, CODEC)[0] == User("ann", 3)
        odd = dict(plain, extra=1)
        assert decode(encode(odd, CODEC), CODEC)[0] == odd  # not the class's fields
    finally:
        unregister_struct(User)
    assert decode(data, CODEC)[0] == plain  # not registered: a map
    with pytest.raises(EncodeError):
        encode(User("bob", 1), CODEC)


def test_values_without_a_term_are_refused():
    for bad in (float("nan"), float("inf"), object(), {1, 2}, "\ud800"):
        with pytest.raises(EncodeError):
            encode(bad, CODEC)
    deep: list = []
    for _ in range(300):
        deep = [deep]
    with pytest.raises(EncodeError):
        encode(deep, CODEC)


def _raises_bad(data: bytes, codec: Codec = CODEC, match: str | None = None) -> BadTerm:
    with pytest.raises(BadTerm, match=match) as info:
        decode(data, codec)
    return info.value


def test_hostile_input_is_a_clean_bad_term():
    # nesting deeper than the limit
    deep = b"\x83" + b"\x68\x01" * 1000 + b"\x6a"
    err = _raises_bad(deep, match="nested")
    assert not isinstance(err, IncompleteTerm)
    # an atom flood
    flood = (
        b"\x83\x6c"
        + struct.pack(">I", 50)
        + b"".join(b"\x77\x08" + f"flood{i:03}".encode() for i in range(50))
        + b"\x6a"
    )
    _raises_bad(flood, Codec(max_new_atoms=10), match="new atoms")
    # a huge bignum
    big = b"\x83\x6f" + struct.pack(">IB", 100_000, 0) + b"\x01" * 100_000
    _raises_bad(big, match="bignum")
    # an arity / length beyond the bytes left
    for tag in (b"\x69", b"\x6c", b"\x74", b"\x6d", b"\x4d"):
        err = _raises_bad(b"\x83" + tag + b"\xff\xff\xff\xff" + b"\x61\x01" * 4)
        assert isinstance(err, IncompleteTerm)
    # a zlib bomb: claims little, inflates to much
    bomb = zlib.compress(b"\x6d" + struct.pack(">I", 10_000_000) + bytes(10_000_000))
    _raises_bad(b"\x83\x50" + struct.pack(">I", 1000) + bomb, match="beyond")
    _raises_bad(
        b"\x83\x50" + struct.pack(">I", 10_000_005) + bomb,
        Codec(max_uncompressed=1 << 20),
        match="at most",
    )
    _raises_bad(b"\x83\x50" + struct.pack(">I", 10) + b"not zlib data", match="compressed")
    # tags that have no business here
    _raises_bad(b"\x83\x52\x00", match="atom cache")
    _raises_bad(b"\x83\x01", match="unknown tag")
    _raises_bad(b"\x82\x61\x01", match="version")
    _raises_bad(b"\x83\x77\x02\xff\xfe", match="UTF-8")
    assert isinstance(_raises_bad(b"", match="needs more"), IncompleteTerm)


def test_a_compressed_term_decodes():
    inner = encode(list(range(1000)), CODEC)[1:]
    data = b"\x83\x50" + struct.pack(">I", len(inner)) + zlib.compress(inner)
    assert decode(data + b"tail", CODEC) == (list(range(1000)), len(data))
    with pytest.raises(IncompleteTerm):
        decode(data[:-3], CODEC)
