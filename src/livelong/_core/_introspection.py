"""Introspection: what ``Process.info`` shows, the one home of process snapshots.

Every function here may be called from any thread, also while the node's thread is
busy changing the very process it looks at.  Two rules make that safe:

* A field is read once, into a local: the node's thread may replace it (``mailbox``
  and ``links`` become None as the process exits) between two reads.
* A container is copied before it is walked, with a C-level copy that runs no Python
  code and allocates no object per item (``dict(d)``, ``list(d.values())``,
  ``list(s)``, ``list(deque)``): the interpreter switches threads only between
  bytecodes, so the copy sees the container in one state.  A Python loop over the
  live container would see it change half way (``dictionary changed size during
  iteration``).  Anything that runs Python code per item (sorting pids calls
  ``Pid.__lt__``) works on the copy.  (``list(d.items())`` is not such a copy: it
  makes a tuple per item, and an allocation may run the garbage collector, whose
  finalizers are Python code.)

Each item of ``Process.info`` is one function of the record in :data:`ITEMS`, so that
asking one item computes that item alone.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from . import _scheduler as sched
from ._mfa import INTERNAL_FILES, code_arity, internal, mfa
from ._process import (
    EXITED,
    EXITING,
    NOT_EXITING,
    PREEMPTED,
    RUNNABLE,
    RUNNING,
    SUSPENDED,
    WAITING,
    WAITING_MATCH,
    Proc,
)

internal(__file__)

__all__ = ["ITEMS", "current_function", "info_item", "memory_of", "process_info", "status_of"]

_MAX_DEPTH = 1000  # frames or awaits walked at most (the chains are finite; a bound anyway)

STATUS_SHOWN: dict[str, str] = {
    RUNNABLE: "runnable",
    RUNNING: "running",
    PREEMPTED: "running",  # busy: only waiting for its next turn on the CPU
    WAITING: "waiting",
    WAITING_MATCH: "waiting",
    SUSPENDED: "waiting",  # awaiting an asyncio future
    EXITING: "exiting",
    EXITED: "exited",
}
"""The internal statuses (``_process``) as ``Process.info`` shows them."""


def status_of(proc: Proc) -> str:
    """The user-facing status: ``"exiting"`` as soon as an exit signal has ended the
    process, while its cleanup still runs (its internal status keeps following the
    table until then)."""
    status = proc.status
    if proc.exit_reason is not NOT_EXITING:
        return "exiting"
    return STATUS_SHOWN[status]


def current_function(proc: Proc) -> tuple[str, str, int]:
    """Where the process is now: its innermost frame that is not livelong's own."""
    if proc.status is RUNNING and sched._current is proc and sched._get_ident() != sched._loop_tid:
        # Running right now in the node's thread: read that thread's stack.  It goes
        # on running meanwhile, so the answer counts only if the process is still the
        # one running once the walk is over.
        found = _running_function(sched._loop_tid)
        if found is not None and sched._current is proc and proc.status is RUNNING:
            return found
    coro = proc.coro
    best_code = None
    best_mod = "?"
    depth = 0
    while coro is not None and depth < _MAX_DEPTH:  # down the await chain
        depth += 1
        ccode = getattr(coro, "cr_code", None) or getattr(coro, "gi_code", None)
        if ccode is None:
            break
        if ccode.co_filename in INTERNAL_FILES:
            if best_code is not None:  # receive & co.: the process's code ends here
                break
        else:  # (the kernel's own _tail_calls may come first)
            frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
            best_code = ccode
            best_mod = "?" if frame is None else frame.f_globals.get("__name__", "?")
        coro = getattr(coro, "cr_await", None) or getattr(coro, "gi_yieldfrom", None)
    if best_code is not None:
        return (best_mod, best_code.co_qualname, code_arity(best_code))
    return mfa(proc.fn)


def _running_function(tid: int | None) -> tuple[str, str, int] | None:
    """The outermost frame of the process's own code at the top of thread ``tid``'s
    stack, or None (the thread is in the kernel, or gone)."""
    if tid is None:
        return None
    frame = sys._current_frames().get(tid)
    best = None
    depth = 0
    while frame is not None and depth < _MAX_DEPTH:
        depth += 1
        if frame.f_code.co_filename in INTERNAL_FILES:
            break
        best = frame
        frame = frame.f_back
    if best is None:
        return None
    code = best.f_code
    return (best.f_globals.get("__name__", "?"), code.co_qualname, code_arity(code))


def memory_of(proc: Proc) -> int:
    """An honest estimate, in bytes, of what this process holds (O(messages))."""
    mailbox = proc.mailbox
    size = sys.getsizeof(proc)
    coro = proc.coro
    depth = 0
    while coro is not None and depth < _MAX_DEPTH:
        depth += 1
        size += sys.getsizeof(coro)
        coro = getattr(coro, "cr_await", None) or getattr(coro, "gi_yieldfrom", None)
    if mailbox is not None:
        size += sys.getsizeof(mailbox)
        for m in list(mailbox):
            size += _deep_size(m, 2)
    dictionary = proc.dictionary
    if dictionary:
        size += _deep_size(dictionary, 2)
    for held in (proc.links, proc.monitors, proc.monitored_by, proc.aliases):
        if held:
            size += sys.getsizeof(held)
    return size


def _deep_size(obj: Any, depth: int) -> int:
    """``obj`` and what it holds, ``depth`` levels down; a container is copied (C-level)
    before it is walked, since its owner may change it meanwhile."""
    size = sys.getsizeof(obj)
    if depth <= 0:
        return size
    if isinstance(obj, tuple):  # (immutable: nothing to copy)
        for x in obj:
            size += _deep_size(x, depth - 1)
    elif isinstance(obj, (list, set, frozenset)):
        for x in list(obj):
            size += _deep_size(x, depth - 1)
    elif isinstance(obj, dict):
        for k, v in dict(obj).items():
            size += _deep_size(k, depth - 1) + _deep_size(v, depth - 1)
    return size


def _links(proc: Proc) -> list[Any]:
    links = proc.links
    if not links:
        return []
    out = list(links)  # copy, then sort the copy (comparing pids runs Python code)
    out.sort()
    return out


def _monitors(proc: Proc) -> list[tuple[str, Any]]:
    mons = proc.monitors
    if not mons:
        return []
    return [("process", target) for target in list(mons.values())]


def _messages(proc: Proc) -> list[Any]:
    mailbox = proc.mailbox
    return [] if mailbox is None else list(mailbox)


def _dictionary(proc: Proc) -> dict[Any, Any]:
    d = proc.dictionary
    return {} if d is None else dict(d)


ITEMS: dict[str, Callable[[Proc], Any]] = {
    "pid": lambda proc: proc,
    "status": status_of,
    "current_function": current_function,
    "initial_call": lambda proc: mfa(proc.initial_fn),
    "message_queue_len": lambda proc: len(proc.mailbox or ()),
    "messages": _messages,
    "links": _links,
    "monitors": _monitors,
    "monitored_by": lambda proc: proc.watchers(),
    "trap_exit": lambda proc: proc.trap_exit,
    "registered_name": lambda proc: proc.name,
    "reductions": lambda proc: proc.reductions,
    "memory": memory_of,
    "dictionary": _dictionary,
}
"""Every item of ``Process.info``: its name and the function of the record that
computes it, from any thread."""


def process_info(proc: Proc) -> dict[str, Any]:
    """Every item of :data:`ITEMS` for ``proc``."""
    return {key: item(proc) for key, item in ITEMS.items()}


def info_item(proc: Proc, key: str) -> Any:
    """One item of :data:`ITEMS` for ``proc``, computed alone."""
    item = ITEMS.get(key)
    if item is None:
        raise KeyError(f"Process.info: unknown item {key!r}; known: {sorted(ITEMS)}")
    return item(proc)
