"""Where the dashboard's data comes from: the one adapter between the dashboard and the
kernel and OTP.

Everything the web app shows is computed here, as plain data (dicts, lists, strings,
numbers), from what the node already offers: its process table
(``lowlevel.current_node().procs``), :func:`livelong.lowlevel.process_info`,
:func:`livelong.lowlevel.current_function`, the watchdog's
:func:`livelong.lowlevel.runaway_process`, and the frames of the GenServer loops (for a
server's class, its state, and a supervisor's children and restart window).  When the
kernel offers a bulk snapshot, labels, counters and traces of its own, only this module
changes.

Every function here runs in the node's thread (the web app runs on the node's loop),
except :func:`runaway` and :func:`rescue_info`, which the rescue thread calls and which
read each field once, as ``Process.info`` does.

>>> import livelong
>>> async def main():
...     pid = livelong.spawn(livelong.receive)
...     livelong.register("waiter", pid)
...     await livelong.Process.sleep(0)
...     row = process_rows(Labels())[-1]
...     return row["name"], row["status"], parse_pid(row["pid"]) is pid
>>> livelong.run(main)
('waiter', 'waiting', True)
"""

from __future__ import annotations

import asyncio
import gc
import os
import re
import reprlib
import sys
import time
import traceback
from collections.abc import Iterable
from typing import Any

from .. import lowlevel
from ..otp._agent import _AgentServer
from ..otp._dynamic_supervisor import _DynamicServer
from ..otp._gen_server import _loop, _server_main
from ..otp._supervisor import _SupervisorServer

__all__ = [
    "Labels",
    "await_chain",
    "gen_server_state",
    "kill",
    "node_counters",
    "parse_pid",
    "process_detail",
    "process_rows",
    "runaway",
    "safe_repr",
    "supervisors",
]

_SERVER_MAIN = _server_main.__code__
_LOOP = _loop.__code__
_SUPERVISOR_CLASSES = (_SupervisorServer, _DynamicServer)
_MAX_DEPTH = 200

_PID_TEXT = re.compile(r"^(?:#PID)?<?(\d+)\.(\d+)\.(\d+)>?$")


def node() -> Any:
    """The kernel's running node (its ``procs`` table: id -> process record)."""
    return lowlevel.current_node()


def parse_pid(text: str) -> Any:
    """The live local process written as ``#PID<0.85.0>`` (or ``<0.85.0>``,
    ``0.85.0``, or just ``85``), or None."""
    text = text.strip()
    m = _PID_TEXT.match(text)
    if m is not None:
        ident, serial = int(m.group(2)), int(m.group(3))
    elif text.isdigit():
        ident, serial = int(text), 0
    else:
        return None
    proc = node().procs.get(ident)
    if proc is None or proc.serial != serial:
        return None
    return lowlevel.local_process(proc)


# --- safe text of any term --------------------------------------------------------
class _SafeRepr(reprlib.Repr):
    def __init__(self, limit: int) -> None:
        super().__init__()
        self.maxstring = min(limit, 200)
        self.maxother = min(limit, 200)
        self.maxlong = 60
        self.maxlevel = 4
        self.maxtuple = self.maxlist = self.maxdict = self.maxset = 12

    def repr_instance(self, x: Any, level: int) -> str:
        try:
            s = repr(x)
        except Exception as e:  # a __repr__ that raises says so instead
            return f"<{type(x).__qualname__} (repr raised {type(e).__name__})>"
        if len(s) > self.maxother:
            i = max(0, (self.maxother - 3) // 2)
            j = max(0, self.maxother - 3 - i)
            s = s[:i] + "..." + s[len(s) - j :]
        return s


def safe_repr(term: Any, limit: int = 200) -> str:
    """``repr(term)`` cut to about ``limit`` characters without building the whole
    text of a big term (a 1 MB string stays small), and never raising.

    >>> len(safe_repr("x" * 1_000_000)) < 250
    True
    >>> safe_repr(("ok", [1, 2, 3]))
    "('ok', [1, 2, 3])"
    """
    try:
        text = _SafeRepr(limit).repr(term)
    except Exception as e:
        text = f"<{type(term).__qualname__} (repr raised {type(e).__name__})>"
    return text if len(text) <= limit + 50 else text[:limit] + "..."


# --- labels: what kind of process this is ------------------------------------------
def _server_frames(proc: Any) -> tuple[Any, Any]:
    """The frames of a GenServer process's ``_server_main`` and ``_loop`` (None when
    the process is not a GenServer, or not there yet)."""
    coro = proc.coro
    main = loop = None
    depth = 0
    while coro is not None and depth < _MAX_DEPTH:
        depth += 1
        code = getattr(coro, "cr_code", None)
        if code is _SERVER_MAIN:
            main = coro.cr_frame
        elif code is _LOOP:
            loop = coro.cr_frame
            break
        coro = getattr(coro, "cr_await", None) or getattr(coro, "gi_yieldfrom", None)
    return main, loop


def _local(frame: Any, name: str) -> Any:
    if frame is None:
        return None
    try:
        return frame.f_locals.get(name)
    except Exception:
        return None


def _fn_text(fn: Any) -> str:
    m, f, a = lowlevel.mfa(fn)
    return f"{f}/{a}" if m in ("__main__", "?") else f"{m}.{f}/{a}"


class Labels:
    """Labels of processes, cached by process id (a label does not change once a
    process runs): ``"Supervisor App"``, ``"GenServer Stack"``, ``"Agent"``, or the
    initial call ``module.function/arity``.  Also tells which processes are
    supervisors, by their GenServer class, never by asking them."""

    def __init__(self) -> None:
        self._by_id: dict[int, tuple[Any, str, str]] = {}  # id -> (proc, label, kind)
        self._fn_text: dict[Any, str] = {}

    def _initial(self, proc: Any) -> str:
        fn = proc.initial_fn
        try:
            text = self._fn_text.get(fn)
        except TypeError:
            text = None
        if text is None:
            text = _fn_text(fn)
            try:
                self._fn_text[fn] = text
            except TypeError:
                pass
        return text

    def of(self, proc: Any) -> tuple[str, str]:
        """``(label, kind)`` of ``proc``; kind is ``"supervisor"``,
        ``"dynamic_supervisor"``, ``"gen_server"`` or ``"process"``."""
        hit = self._by_id.get(proc.id)
        if hit is not None and hit[0] is proc:
            return hit[1], hit[2]
        label, kind, final = self._compute(proc)
        if final:
            self._by_id[proc.id] = (proc, label, kind)
        return label, kind

    def _compute(self, proc: Any) -> tuple[str, str, bool]:
        if proc.initial_fn is not _server_main:
            text = self._initial(proc)
            if "._task." in text:
                fn = _local(getattr(proc.coro, "cr_frame", None), "fn")
                return ("Task " + _fn_text(fn) if fn is not None else "Task"), "process", True
            return text, "process", True
        main, loop = _server_frames(proc)
        cls = _local(main, "cls")
        if cls is None:
            return "GenServer", "gen_server", False  # not started yet: look again later
        name = _local(main, "name")
        suffix = f" {name}" if isinstance(name, str) else ""
        if cls is _SupervisorServer:
            state = _local(loop, "state") if loop is not None else None
            desc = getattr(state, "desc", None)
            if desc is None:
                return "Supervisor" + suffix, "supervisor", False
            module = desc.split(" ")[0]
            module = "" if module == "Supervisor" else " " + module
            return "Supervisor" + module + suffix, "supervisor", True
        if cls is _DynamicServer:
            return "DynamicSupervisor" + suffix, "dynamic_supervisor", True
        if cls is _AgentServer:
            return "Agent" + suffix, "gen_server", True
        return f"GenServer {cls.__qualname__}{suffix}", "gen_server", True

    def forget_dead(self, alive: dict[int, Any]) -> None:
        """Drop the labels of processes no longer in ``alive`` (the node's table)."""
        dead = [i for i, hit in self._by_id.items() if alive.get(i) is not hit[0]]
        for i in dead:
            del self._by_id[i]


# --- rows of the process table ------------------------------------------------------
status = lowlevel.status_of


def pid_text(proc: Any) -> str:
    return repr(proc)


def cheap_row(proc: Any, labels: Labels) -> dict[str, Any]:
    """A row without the costly columns (current function, memory)."""
    label, kind = labels.of(proc)
    return {
        "pid": pid_text(proc),
        "id": proc.id,
        "name": proc.name,
        "label": label,
        "kind": kind,
        "status": status(proc),
        "queue": len(proc.mailbox or ()),
        "reductions": proc.reductions,
    }


def full_row(proc: Any, labels: Labels) -> dict[str, Any]:
    """A row with every column the process table shows."""
    row = cheap_row(proc, labels)
    try:
        m, f, a = lowlevel.current_function(proc)
        row["current_function"] = f"{m}.{f}/{a}"
    except Exception:
        row["current_function"] = "?"
    row["memory"] = memory_estimate(proc)
    return row


def memory_estimate(proc: Any) -> int:
    """A cheap estimate of what a process holds, in bytes (its record, coroutine chain
    and mailbox, the messages counted shallowly)."""
    size = sys.getsizeof(proc)
    coro = proc.coro
    depth = 0
    while coro is not None and depth < 50:
        depth += 1
        size += sys.getsizeof(coro)
        coro = getattr(coro, "cr_await", None) or getattr(coro, "gi_yieldfrom", None)
    mailbox = proc.mailbox
    if mailbox:
        size += sys.getsizeof(mailbox)
        for m in list(mailbox)[:1000]:
            size += sys.getsizeof(m)
    return size


def process_rows(labels: Labels, procs: Iterable[Any] | None = None) -> list[dict[str, Any]]:
    """Every process as a full row, in pid order (for small nodes and tests)."""
    procs = list(node().procs.values()) if procs is None else procs
    return [full_row(p, labels) for p in procs]


# --- one process -------------------------------------------------------------------
def await_chain(proc: Any) -> list[dict[str, Any]]:
    """The process's await chain, outermost first: each coroutine's function, file and
    line (livelong's own frames included, marked ``internal``)."""
    internal = lowlevel.internal_files()
    out = []
    coro = proc.coro
    depth = 0
    while coro is not None and depth < _MAX_DEPTH:
        depth += 1
        code = getattr(coro, "cr_code", None) or getattr(coro, "gi_code", None)
        frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
        if code is None:
            out.append({"function": safe_repr(coro, 120), "file": "", "line": 0, "internal": False})
            break
        module = frame.f_globals.get("__name__", "?") if frame is not None else "?"
        out.append(
            {
                "function": f"{module}.{code.co_qualname}",
                "file": os.path.basename(code.co_filename),
                "line": frame.f_lineno if frame is not None else code.co_firstlineno,
                "internal": code.co_filename in internal,
            }
        )
        coro = getattr(coro, "cr_await", None) or getattr(coro, "gi_yieldfrom", None)
    return out


def _pid_list(pids: Iterable[Any]) -> list[dict[str, Any]]:
    out = []
    for p in pids:
        alive = lowlevel.local_process(p) is not None if isinstance(p, lowlevel.LocalPid) else None
        out.append({"pid": repr(p), "alive": alive})
    return out


def process_detail(proc: Any, labels: Labels, messages: int = 10) -> dict[str, Any]:
    """Everything the process page shows, as plain data."""
    info = lowlevel.process_info(proc)
    row = full_row(proc, labels)
    mailbox = list(proc.mailbox or ())
    m, f, a = info["initial_call"]
    row.update(
        {
            "initial_call": f"{m}.{f}/{a}",
            "trap_exit": bool(info["trap_exit"]),
            "links": _pid_list(info["links"]),
            "monitors": _pid_list(t for _, t in info["monitors"] if t is not None),
            "monitored_by": _pid_list(info["monitored_by"]),
            "messages": [safe_repr(msg) for msg in mailbox[:messages]],
            "dictionary": {
                safe_repr(k, 60): safe_repr(v) for k, v in list(info["dictionary"].items())[:50]
            },
            "await_chain": await_chain(proc),
            "has_state": row["kind"] != "process",
        }
    )
    return row


_NO_STATE = object()


def gen_server_state(proc: Any, limit: int = 2000) -> Any:
    """The state of a GenServer process as safe text, or None when it is not one (or
    not running its loop)."""
    _, loop = _server_frames(proc)
    if loop is None:
        return None
    state = _local(loop, "state")
    server = _local(loop, "server")
    fmt = getattr(server, "format_status", None)
    if fmt is not None:
        try:
            state = fmt(state)
        except Exception:
            pass
    return safe_repr(state, limit)


def kill(proc: Any) -> bool:
    """Send ``proc`` the untrappable exit signal ``"kill"``."""
    import livelong

    return bool(livelong.node().exit(proc, "kill"))


# --- supervisors -------------------------------------------------------------------
def supervisor_state(proc: Any) -> Any:
    """The ``_State`` of a supervisor process (read from its loop's frame), or None."""
    _, loop = _server_frames(proc)
    state = _local(loop, "state")
    return state if hasattr(state, "children") and hasattr(state, "restarts") else None


def supervisors(labels: Labels, procs: Iterable[Any] | None = None) -> list[tuple[Any, Any, str]]:
    """``(proc, state, kind)`` of every supervisor of the node."""
    out = []
    for proc in list(node().procs.values()) if procs is None else procs:
        if proc.initial_fn is not _server_main:
            continue
        _, kind = labels.of(proc)
        if kind in ("supervisor", "dynamic_supervisor"):
            state = supervisor_state(proc)
            if state is not None:
                out.append((proc, state, kind))
    return out


def supervisor_children(state: Any, kind: str) -> list[tuple[Any, Any, str]]:
    """``(child id, pid or None, restart type)`` of a supervisor's children, in start
    order (a DynamicSupervisor's children by pid)."""
    if kind == "dynamic_supervisor":
        return [(repr(pid), pid, spec.restart) for pid, spec in list(state.by_pid_map.items())]
    out = []
    for child_id, child in list(state.children.items()):
        pid = child.pid
        out.append(
            (child_id, pid if isinstance(pid, lowlevel.LocalPid) else None, child.spec.restart)
        )
    return out


def restart_window(state: Any) -> tuple[int, int, float]:
    """``(restarts within the window, max_restarts, max_seconds)``."""
    now = lowlevel.monotonic()
    recent = [t for t in list(state.restarts) if t >= now - state.max_seconds]
    return len(recent), int(state.max_restarts), float(state.max_seconds)


# --- node counters ------------------------------------------------------------------
def rss_bytes() -> int:
    """The resident memory of this OS process (0 where /proc is missing)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def node_counters() -> dict[str, Any]:
    """Counters of the node that cost O(1): process count, uptime, GC, RSS, clock."""
    n = node()
    loop = n.loop
    virtual = loop is not None and type(loop).time is not asyncio.BaseEventLoop.time
    stats = gc.get_stats()
    return {
        "node": n.name,
        "processes": len(n.procs),
        "uptime": time.time() - n.started_at,
        "rss": rss_bytes(),
        "gc_collections": [s.get("collections", 0) for s in stats],
        "virtual_time": loop.time() if virtual and loop is not None else None,
        "cpu_time": time.process_time(),
    }


# --- the rescue thread's view ---------------------------------------------------------
def runaway() -> dict[str, Any] | None:
    """The process holding the node's thread now (the watchdog's finding), safe from any
    thread, or None."""
    proc = lowlevel.runaway_process()
    if proc is None:
        return None
    try:
        m, f, a = lowlevel.current_function(proc)
        where = f"{m}.{f}/{a}"
    except Exception:
        where = "?"
    return {
        "pid": repr(proc),
        "id": proc.id,
        "name": proc.name,
        "current_function": where,
        "reductions": proc.reductions,
    }


def format_exception(reason: Any) -> str:
    """The traceback of an exit reason that is an exception, else its safe text."""
    if isinstance(reason, BaseException):
        text = "".join(traceback.format_exception(reason))
        return text[-4000:]
    return safe_repr(reason, 1000)
