"""The golden table's cases: (Erlang expression, the Python value).  The exact bytes
that ``erl`` gives for each (``term_to_binary(T, [{minor_version, 2}])``, UTF-8 atoms
as on the distribution wire) are in golden_etf.txt, written by ``erl_bytes`` below;
test_etf_golden.py checks both ways, and against a live erl when there is one."""

from __future__ import annotations

import shutil
import subprocess

from livelong import Pid
from livelong.dist._etf import KeyList
from livelong.dist._terms import Atom, BitBinary, ExportFun, ImproperList, Port
from livelong.lowlevel import ref_from_parts

A = Atom
ERL_NODE = "nonode@nohost"  # what a plain `erl -noshell` calls itself

CASES: list[tuple[str, object]] = [
    ("0", 0),
    ("255", 255),
    ("256", 256),
    ("-1", -1),
    ("2147483647", 2147483647),
    ("-2147483648", -2147483648),
    ("2147483648", 2147483648),
    ("-2147483649", -2147483649),
    ("12345678901234567890123", 12345678901234567890123),
    ("-(1 bsl 2040)", -(1 << 2040)),
    ("1.5", 1.5),
    ("3.141592653589793", 3.141592653589793),
    ("1.0e300", 1.0e300),
    ("-2.5e-10", -2.5e-10),
    ("ok", A("ok")),
    ("''", A("")),
    ("'hello world'", A("hello world")),
    ("list_to_atom([104,233,108,108,111])", A("h\u00e9llo")),
    ("list_to_atom([20013,25991])", A("\u4e2d\u6587")),
    ("list_to_atom(lists:duplicate(255, $a))", A("a" * 255)),
    ("list_to_atom(lists:duplicate(100, 20013))", A("\u4e2d" * 100)),
    ("true", True),
    ("false", False),
    ("nil", None),
    ("undefined", A("undefined")),
    ("<<>>", ""),
    ('<<"hello">>', "hello"),
    ("<<255,0>>", b"\xff\x00"),
    ("unicode:characters_to_binary([104,233,20013])", "h\u00e9\u4e2d"),
    ("<<1:3>>", BitBinary(b"\x20", 3)),
    ("<<255,3:2>>", BitBinary(b"\xff\xc0", 2)),
    ("{}", ()),
    ("{1,2}", (1, 2)),
    ('{ok,<<"x">>,[]}', (A("ok"), "x", [])),
    ("list_to_tuple(lists:seq(1,300))", tuple(range(1, 301))),
    ("[]", []),
    ("[1,2,3]", [1, 2, 3]),
    ('"abc"', [97, 98, 99]),
    ("[1000,2]", [1000, 2]),
    ("[256]", [256]),
    ("lists:seq(1,300)", list(range(1, 301))),
    ("[a|b]", ImproperList([A("a")], A("b"))),
    ("[1,2|3]", ImproperList([1, 2], 3)),
    ("[[]]", [[]]),
    ('[<<"s">>, -1, 1.5]', ["s", -1, 1.5]),
    ("#{}", {}),
    ('#{a => 1, b => <<"x">>}', {A("a"): 1, A("b"): "x"}),
    ("#{1 => 2, {a,b} => [c]}", {1: 2, (A("a"), A("b")): [A("c")]}),
    ("#{[1] => x}", {KeyList((1,)): A("x")}),
    ('#{<<"k">> => #{nil => true}}', {"k": {None: True}}),
    ('{ok, [#{k => {1.5, <<"s">>}}]}', (A("ok"), [{A("k"): (1.5, "s")}])),
    ("fun lists:map/2", ExportFun(A("lists"), A("map"), 2)),
    ('list_to_port("#Port<0.5>")', Port(ERL_NODE, 5, 0)),
    ('list_to_pid("<0.85.0>")', Pid(ERL_NODE, 85, 0, 0)),
    ('list_to_pid("<0.32767.8191>")', Pid(ERL_NODE, 32767, 8191, 0)),
    ('list_to_ref("#Ref<0.1.2.3>")', ref_from_parts(ERL_NODE, 3 | 2 << 32 | 1 << 64, 0)),
    (
        'list_to_ref("#Ref<0.3486192869.1569783809.72707>")',
        ref_from_parts(ERL_NODE, 72707 | 1569783809 << 32 | 3486192869 << 64, 0),
    ),
]

# Terms whose Python value cannot be written down (funs, refs made right then): they
# must decode and encode back to the very same bytes.
OPAQUE: list[str] = [
    "fun() -> ok end",
    'begin Y = 5, Z = <<"env">>, fun(X) -> {X + Y, Z} end end',
    "{make_ref(), self(), hd(erlang:ports()), fun erlang:self/0}",
    "#{f => fun(A, B) -> A + B end, r => make_ref(), p => self(), b => <<7:5>>}",
]


def erl_available() -> bool:
    return shutil.which("erl") is not None


def erl_bytes(exprs: list[str], compressed: bool = False) -> list[bytes]:
    """Ask a real erl for ``term_to_binary`` of each expression."""
    opts = "[{minor_version, 2}" + (", compressed" if compressed else "") + "]"
    body = ", ".join(exprs)
    program = (
        f"L = [{body}], "
        f'[io:format("~s~n", [binary:encode_hex(term_to_binary(T, {opts}))]) || T <- L], '
        "halt()."
    )
    out = subprocess.run(
        ["erl", "-noshell", "-eval", program],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    lines = out.split()
    assert len(lines) == len(exprs), out
    return [bytes.fromhex(line) for line in lines]


if __name__ == "__main__":  # python3 tests/dist/golden_etf_cases.py > tests/dist/golden_etf.txt
    for (expr, _), data in zip(CASES, erl_bytes([e for e, _ in CASES]), strict=True):
        print(f"{data.hex()}  {expr}")
    for expr, data in zip(OPAQUE, erl_bytes(OPAQUE), strict=True):
        print(f"{data.hex()}  OPAQUE {expr}")
