"""Run one Python benchmark in this (fresh) OS process:

    python -m benchmarks._worker IMPL BENCH ARG...

IMPL is ``livelong``, ``asyncio`` or ``raw_deque``.  The figures are printed as one
line ``RESULT-JSON {...}``; an error becomes ``{"error": ...}`` so that the runner
can report it in its row."""

from __future__ import annotations

import json
import os
import sys
import traceback
from collections.abc import Callable
from typing import Any

MARK = "RESULT-JSON "


def _impls() -> dict[str, dict[str, Callable[..., dict[str, Any]]]]:
    from . import _asyncio, _livelong, _rawdeque

    return {
        "livelong": _livelong.BENCHES,
        "asyncio": _asyncio.BENCHES,
        "raw_deque": _rawdeque.BENCHES,
    }


def main(argv: list[str]) -> int:
    impl, bench, *rest = argv
    try:
        fn = _impls()[impl][bench]
        result = fn(*map(int, rest))
    except BaseException as e:  # report, never hang the runner
        result = {"error": f"{type(e).__name__}: {e}"}
        traceback.print_exc()
    sys.stdout.write(MARK + json.dumps(result) + "\n")
    sys.stdout.flush()
    sys.stderr.flush()
    # skip interpreter teardown: a million objects need not be freed one by one
    os._exit(0)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
