"""Introspection: what ``Process.info`` shows, the one home of process snapshots.

Every function here may be called from any thread, also while the node's thread is
busy: it reads the record's plain fields and copies containers with C-level copies
(``list(d.values())``, ``dict(d)``), which do not run Python code and so cannot see
the node's thread change them half way.
"""

from __future__ import annotations

import sys
from typing import Any

from . import _scheduler as sched
from ._mfa import INTERNAL_FILES, code_arity, internal, mfa
from ._process import PREEMPTED, RUNNING, SUSPENDED, WAITING, WAITING_MATCH, Proc

internal(__file__)


def current_function(proc: Proc) -> tuple[str, str, int]:
    """Where the process is now: its innermost frame that is not livelong's own."""
    if proc.status is RUNNING and sched._get_ident() != sched._loop_tid and sched._current is proc:
        frame = sys._current_frames().get(sched._loop_tid)
        best = None
        while frame is not None:
            if frame.f_code.co_filename not in INTERNAL_FILES:
                best = frame
            else:
                break
            frame = frame.f_back
        if best is not None:
            code = best.f_code
            return (best.f_globals.get("__name__", "?"), code.co_qualname, code_arity(code))
    coro = proc.coro
    best_code = None
    best_mod = "?"
    while coro is not None:  # down the await chain, to the innermost frame of its own
        ccode = getattr(coro, "cr_code", None) or getattr(coro, "gi_code", None)
        if ccode is None:
            break
        if ccode.co_filename in INTERNAL_FILES:
            if best_code is not None:  # receive & co.: the process's code ends here
                break
        else:  # (the kernel's own _tail_calls may come first)
            frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
            best_code = ccode
            if frame is not None:
                best_mod = frame.f_globals.get("__name__", "?")
        coro = getattr(coro, "cr_await", None) or getattr(coro, "gi_yieldfrom", None)
    if best_code is not None:
        return (best_mod, best_code.co_qualname, code_arity(best_code))
    return mfa(proc.fn)


def memory_of(proc: Proc) -> int:
    """An honest estimate, in bytes, of what this process holds."""
    mailbox = proc.mailbox
    size = sys.getsizeof(proc)
    if mailbox is not None:
        size += sys.getsizeof(mailbox)
    coro = proc.coro
    while coro is not None:
        size += sys.getsizeof(coro)
        coro = getattr(coro, "cr_await", None) or getattr(coro, "gi_yieldfrom", None)
    for m in list(mailbox or ()):
        size += _deep_size(m, 2)
    if proc.dictionary:
        size += _deep_size(proc.dictionary, 2)
    if proc.links:
        size += sys.getsizeof(proc.links)
    if proc.monitors:
        size += sys.getsizeof(proc.monitors)
    if proc.monitored_by:
        size += sys.getsizeof(proc.monitored_by)
    return size


def _deep_size(obj: Any, depth: int) -> int:
    size = sys.getsizeof(obj)
    if depth <= 0:
        return size
    if isinstance(obj, (tuple, list, set, frozenset)):
        for x in obj:
            size += _deep_size(x, depth - 1)
    elif isinstance(obj, dict):
        for k, v in obj.items():
            size += _deep_size(k, depth - 1) + _deep_size(v, depth - 1)
    return size


def process_info(proc: Proc) -> dict[str, Any]:
    status = proc.status
    if status is SUSPENDED or status is WAITING_MATCH:
        status = WAITING
    elif status is PREEMPTED:
        status = RUNNING  # busy: only waiting for its next turn on the CPU
    return {
        "pid": proc,
        "status": status,
        "current_function": current_function(proc),
        "initial_call": mfa(proc.initial_fn),
        "message_queue_len": len(proc.mailbox or ()),
        "messages": list(proc.mailbox or ()),
        "links": sorted(proc.links or ()),
        "monitors": [("process", p) for p in (proc.monitors or {}).values()],
        "monitored_by": proc.watchers(),
        "trap_exit": proc.trap_exit,
        "registered_name": proc.name,
        "reductions": proc.reductions,
        "memory": memory_of(proc),
        "dictionary": dict(proc.dictionary or {}),
    }
