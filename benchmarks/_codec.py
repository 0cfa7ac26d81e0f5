"""The ETF codec against the BEAM's own ``term_to_binary``/``binary_to_term``.

``python -m benchmarks codec [--json] [--quick]`` prints rows in the runner's form
(``name, unit, livelong, baseline, baseline_name, ratio, size, target, note``).  Both
sides work on the same terms: the BEAM side is given livelong's bytes and times
``binary_to_term`` / ``term_to_binary`` of exactly those terms, in a fresh ``erl``,
in the same run.  The issue's targets are absolute (CPython 3.11): a control+message
pair decodes in ≤ 3 µs and encodes in ≤ 2.5 µs, ≤ 1 µs per map entry; the note says
whether each is met.

The pair is what a ``GenServer.call`` from Elixir brings: ``SEND_SENDER {22, From,
To}`` + ``{'$gen_call', {From, [alias | Ref]}, {get, <<"key">>}}``, ``To`` a live
local process.  The map has 100 atom keys with int, binary and tuple values.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import time
from collections.abc import Callable
from typing import Any

import livelong
from livelong import Pid
from livelong.dist._control import SendSender, decode_frame, encode_frame
from livelong.dist._etf import Codec, decode, encode
from livelong.dist._terms import Atom, ImproperList
from livelong.lowlevel import ref_from_parts

__all__ = ["main", "rows"]

A = Atom
TARGETS = {"codec_decode_pair": 3.0, "codec_encode_pair": 2.5}
MAP_TARGET = 1.0


def _best_us(fn: Callable[[], Any], n: int, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        best = min(best, time.perf_counter() - t0)
    return best / n * 1e6


def _livelong(n: int, repeat: int) -> tuple[dict[str, float], dict[str, bytes]]:
    async def main() -> tuple[dict[str, float], dict[str, bytes]]:
        me = livelong.self()
        codec = Codec(me.node, 1)
        peer = Pid("erl@host", 85, 0, 3)
        ref = ref_from_parts("erl@host", 72707 | 1569783809 << 32 | 3486192869 << 64, 3)
        ctl = SendSender(peer, me)
        msg = (A("$gen_call"), (peer, ImproperList([A("alias")], ref)), (A("get"), "key"))
        frame = encode_frame(ctl, msg, codec)
        values = [1, "text", (A("ok"), 2), 3.5]
        m = {A(f"key{i}"): values[i % 4] for i in range(100)}
        mb = encode(m, codec)
        ctl_b, msg_b = encode(ctl.to_tuple(), codec), encode(msg, codec)
        out = {
            "decode_pair": _best_us(lambda: decode_frame(frame, codec), n, repeat),
            "encode_pair": _best_us(lambda: encode_frame(ctl, msg, codec), n, repeat),
            "decode_map_entry": _best_us(lambda: decode(mb, codec), n // 50, repeat) / 100,
            "encode_map_entry": _best_us(lambda: encode(m, codec), n // 50, repeat) / 100,
        }
        return out, {"ctl": ctl_b, "msg": msg_b, "map": mb}

    return livelong.run(main)


def _beam(terms: dict[str, bytes], n: int, repeat: int) -> dict[str, float] | str:
    erl = shutil.which("erl")
    if erl is None:
        return "erl is not installed"
    ctl, msg, mp = (repr(list(terms[k])) for k in ("ctl", "msg", "map"))
    program = f"""
        C = binary_to_term(list_to_binary({ctl})), M = binary_to_term(list_to_binary({msg})),
        Map = binary_to_term(list_to_binary({mp})),
        CB = term_to_binary(C), MB = term_to_binary(M), MapB = term_to_binary(Map),
        Loop = fun L(0, _) -> ok; L(K, F) -> F(), L(K - 1, F) end,
        Best = fun(K, F) -> lists:min([begin T0 = erlang:monotonic_time(nanosecond),
                   Loop(K, F), erlang:monotonic_time(nanosecond) - T0 end
                   || _ <- lists:seq(1, {repeat})]) / K / 1000 end,
        D = Best({n}, fun() -> binary_to_term(CB), binary_to_term(MB) end),
        E = Best({n}, fun() -> term_to_binary(C), term_to_binary(M) end),
        DM = Best({n // 50}, fun() -> binary_to_term(MapB) end) / 100,
        EM = Best({n // 50}, fun() -> term_to_binary(Map) end) / 100,
        io:format("~p ~p ~p ~p~n", [D, E, DM, EM]), halt()."""
    res = subprocess.run(
        [erl, "+S", "1", "-noshell", "-eval", program],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if res.returncode != 0:
        return f"erl failed: {res.stdout[-200:]}{res.stderr[-200:]}"
    d, e, dm, em = (float(x) for x in res.stdout.split())
    return {"decode_pair": d, "encode_pair": e, "decode_map_entry": dm, "encode_map_entry": em}


def rows(quick: bool = False, beam: bool = True) -> list[dict[str, Any]]:
    """The codec rows, livelong and the BEAM measured now."""
    n, repeat = (20_000, 3) if quick else (100_000, 5)
    ll, terms = _livelong(n, repeat)
    base = _beam(terms, n, repeat) if beam else "--no-beam"
    out = []
    for key, unit in (
        ("decode_pair", "us/pair"),
        ("encode_pair", "us/pair"),
        ("decode_map_entry", "us/entry"),
        ("encode_map_entry", "us/entry"),
    ):
        name = "codec_" + key
        target = TARGETS.get(name, MAP_TARGET)
        b = base.get(key) if isinstance(base, dict) else None
        met = "met" if ll[key] <= target else "NOT met"
        note = f"issue target <= {target} us: {met}"
        if isinstance(base, str):
            note += f"; beam: {base}"
        out.append(
            {
                "name": name,
                "unit": unit,
                "livelong": round(ll[key], 3),
                "baseline": None if b is None else round(b, 3),
                "baseline_name": "beam",
                "ratio": None if not b else round(ll[key] / b, 2),
                "size": f"{n:,} x best of {repeat}"
                if "pair" in key
                else f"100 entries x {n // 50:,}",
                "target": None,
                "note": note,
            }
        )
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks codec")
    p.add_argument("--quick", action="store_true")
    p.add_argument("--json", action="store_true")
    p.add_argument("--no-beam", action="store_true")
    args = p.parse_args(argv)
    result = rows(quick=args.quick, beam=not args.no_beam)
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        for r in result:
            print(
                f"{r['name']:<26} {r['livelong']!s:>8} {r['unit']:<9} beam {r['baseline']!s:>8}"
                f"  ratio {r['ratio']!s:>6}  {r['note']}"
            )
    return 0
