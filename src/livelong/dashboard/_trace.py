"""Tracing chosen processes: the messages they receive and send, with limits, as
recon_trace does: a trace stops itself after ``limit`` events, when more than
``max_rate`` events arrive in a second, or after ``seconds``.

How, without help from the kernel (the adapter's job until the kernel has a trace of
its own):

* *receive*: the traced process's mailbox is swapped for a :class:`TracedMailbox`, a
  deque whose ``append`` also notes the message and its sender (the process running
  when it was sent: none for a send from outside the processes).  A mailbox is swapped
  only while its process cannot hold a reference to it (not parked at a preemption
  point inside ``receive``); otherwise the swap is tried again a moment later.
* *send*: while a trace runs, a profile function (``sys.setprofile``) on the node's
  thread notes each call of ``livelong.send`` made by a traced process.  That slows
  the node while the trace runs; the limits keep it short.

>>> t = Trace(limit=5)
>>> t.note("send", "#PID<0.80.0>", "#PID<0.81.0>", ("ping", 1))
>>> t.events[0]["kind"], t.events[0]["msg"], t.active
('send', "('ping', 1)", False)
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections import deque
from typing import Any

import livelong

from .. import lowlevel
from . import _source as src

__all__ = ["MAX_LIMIT", "Trace", "TracedMailbox"]

MAX_LIMIT = 1000
MAX_SECONDS = 300.0
_SEND = livelong.send.__code__
# The (internal) statuses in which a process holds no reference to its mailbox: not
# "preempted", which may be a receive's yield with the mailbox in a local.
_SAFE = ("waiting", "waiting_match", "suspended", "runnable")


class TracedMailbox(deque):  # type: ignore[type-arg]
    """A mailbox that tells its trace of every message put in it."""

    trace: Trace | None = None
    owner: str = ""

    def append(self, msg: Any) -> None:
        super().append(msg)
        trace = self.trace
        if trace is not None and trace.active:
            sender = lowlevel.current_process()
            trace.note(
                "receive", repr(sender) if sender is not None else "outside", self.owner, msg
            )


class Trace:
    """One trace: its processes, limits and events (plain data for the JSON API)."""

    def __init__(self, limit: int = 50, max_rate: int = 200, seconds: float = 30.0) -> None:
        self.limit = max(1, min(int(limit), MAX_LIMIT))
        self.max_rate = max(1, int(max_rate))
        self.seconds = max(0.1, min(float(seconds), MAX_SECONDS))
        self.events: list[dict[str, Any]] = []
        self.pids: list[str] = []
        self.active = False
        self.stopped: str | None = None
        self._procs: dict[Any, TracedMailbox | None] = {}
        self._window: deque[float] = deque()
        self._timer: asyncio.TimerHandle | None = None
        self._retry: asyncio.TimerHandle | None = None
        self._old_profile: Any = None
        self.started_at = 0.0

    # --- start and stop -------------------------------------------------------------
    def start(self, procs: list[Any]) -> None:
        """Trace ``procs`` (live process records), in the node's thread."""
        loop = asyncio.get_running_loop()
        self.active = True
        self.started_at = time.time()
        self.pids = [repr(p) for p in procs]
        for p in procs:
            self._procs[p] = None
        self._install()
        self._old_profile = sys.getprofile()
        sys.setprofile(self._profile)
        self._timer = loop.call_later(self.seconds, self.stop, "time limit reached")

    def _install(self) -> None:
        """Swap in the traced mailboxes that can be swapped now; retry the others."""
        self._retry = None
        if not self.active:
            return
        waiting = False
        for p, mb in list(self._procs.items()):
            if mb is not None or lowlevel.local_process(p) is None:
                continue
            old = p.mailbox
            if old is not None and p.status not in _SAFE:
                waiting = True
                continue
            new = TracedMailbox(old or ())
            new.trace, new.owner = self, repr(p)
            p.mailbox = new
            self._procs[p] = new
        if waiting:
            self._retry = asyncio.get_running_loop().call_later(0.02, self._install)

    def stop(self, why: str = "stopped") -> None:
        """End the trace (the mailboxes swapped back where that is safe)."""
        if not self.active:
            return
        self.active = False
        self.stopped = why
        if sys.getprofile() is self._profile:
            sys.setprofile(self._old_profile)
        for handle in (self._timer, self._retry):
            if handle is not None:
                handle.cancel()
        for p, mb in self._procs.items():
            if mb is None:
                continue
            mb.trace = None
            if p.mailbox is mb and lowlevel.local_process(p) is not None:
                if p.status in _SAFE:
                    p.mailbox = deque(mb)

    # --- events -------------------------------------------------------------------------
    def note(self, kind: str, frm: str, to: str, msg: Any) -> None:
        if len(self.events) >= self.limit:
            return
        now = time.monotonic()
        w = self._window
        w.append(now)
        while w and w[0] < now - 1.0:
            w.popleft()
        if len(w) > self.max_rate:
            self.stop(f"rate limit: over {self.max_rate} events/s")
            return
        self.events.append(
            {
                "n": len(self.events) + 1,
                "t": time.time(),
                "kind": kind,
                "from": frm,
                "to": to,
                "msg": src.safe_repr(msg, 120),
            }
        )
        if len(self.events) >= self.limit:
            self.stop(f"limit reached: {self.limit} events")

    def _profile(self, frame: Any, event: str, arg: Any) -> None:
        if event != "call" or frame.f_code is not _SEND or not self.active:
            return
        cur = lowlevel.current_process()
        if cur is None or cur not in self._procs:
            return
        loc = frame.f_locals
        self.note("send", repr(cur), repr(loc.get("dest")), loc.get("msg"))

    def as_json(self) -> dict[str, Any]:
        return {
            "active": self.active,
            "stopped": self.stopped,
            "pids": self.pids,
            "limit": self.limit,
            "max_rate": self.max_rate,
            "seconds": self.seconds,
            "started_at": self.started_at,
            "events": self.events,
        }
