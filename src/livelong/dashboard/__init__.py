"""An observer-like live web dashboard of a running node (``livelong[dashboard]``).

Start it from inside a node (a process, or asyncio code on the node's loop)::

    dash = livelong.dashboard.start(port=8080)        # http://127.0.0.1:8080/
    ...
    await dash.stop()

or from the command line: ``livelong shell --dashboard[=PORT]``, ``livelong run
MODULE:FUNCTION --dashboard[=PORT]``.  It serves, on the node's own event loop (aiohttp,
no signal handlers taken), the pages overview, processes, a process, supervision
trees, a link/monitor graph and alerts, live once a second over a WebSocket, with ten
minutes of history kept server-side; and a *rescue* page on a thread of its own
(``dash.rescue_url``) that still answers while a runaway process holds the node.

>>> import livelong, json, urllib.request
>>> from livelong import dashboard
>>> async def main():
...     dash = dashboard.start(port=0)
...     await dash.started()
...     loop = livelong.lowlevel.current_node().loop
...     get = lambda: urllib.request.urlopen(dash.url + "api/v1/session").read()
...     body = json.loads(await loop.run_in_executor(None, get))
...     await dash.stop()
...     return body["api"], body["kill_allowed"]
>>> livelong.run(main)
(1, True)

Security (see :mod:`livelong.dashboard._security`): bound to a loopback address by
default; bound elsewhere it needs a token, given or generated and printed once, sent
as ``Authorization: Bearer``, as ``?token=`` (exchanged for an HttpOnly SameSite=Strict
cookie) or in that cookie; POSTs need the CSRF header ``X-Livelong-CSRF``; a
cross-origin WebSocket is refused; kill is off on a non-local binding unless
``allow_kill=True``.

The JSON API, version 1 (every answer is JSON; pids are written ``#PID<0.85.0>`` and
given in paths as ``0.85.0``):

* ``GET /api/v1/session``: ``api``, ``node``, ``csrf``, ``kill_allowed``,
  ``rescue_url``, ``columns``.
* ``GET /api/v1/overview``: the last ``sample`` and the node's ``counters``.
* ``GET /api/v1/history?since=T``: the samples after time ``T`` (ten minutes kept).
* ``GET /api/v1/processes?sort=COL&order=asc|desc&filter=TEXT&offset=N&limit=N``: one
  page of the process table: ``total``, ``rows`` (pid, name, label, current_function,
  status, queue, queue_growth, reductions, reductions_rate, memory, age).
* ``GET /api/v1/processes/PID``: a process: its info, first messages (safely cut),
  links, monitors, monitored_by, await chain, supervisor path.
* ``GET /api/v1/processes/PID/state``: a GenServer's state (409 if not one).
* ``POST /api/v1/processes/PID/kill``: ``Process.exit(pid, "kill")``.
* ``GET /api/v1/processes/PID/graph?hops=1|2``: its links and monitors as a graph.
* ``GET /api/v1/supervisors``: the supervision trees, with per-child restart counts,
  last exit reasons and each supervisor's restarts within its window.
* ``POST /api/v1/trace`` with ``{"pids": [...], "limit": 50, "seconds": 30,
  "max_rate": 200}``: trace the messages these processes receive and send, stopping
  at the first limit reached; ``GET /api/v1/trace``: its events; ``POST
  /api/v1/trace/stop``.
* ``GET /api/v1/alerts``: ``alerts`` (mailbox growing, runaway, restart intensity) and
  ``crashes`` (the crash feed, with tracebacks).
* ``GET /api/v1/live``: the WebSocket (``hello`` with the history, then a ``sample``
  each second); ``GET /api/v1/events``: the same samples as server-sent events.
* ``GET /metrics``: Prometheus text.
"""

from __future__ import annotations

import asyncio
import socket
import sys
import threading
from typing import Any

import livelong
from livelong import receive, telemetry

from ._rescue import Rescue
from ._sampler import Sampler
from ._security import LOCAL_HOSTS, Guard

__all__ = ["Dashboard", "start"]

CLOSE_SECONDS = 0.5  # about this long at most to close open tabs' connections on stop


class Dashboard:
    """A running dashboard: where it is (``url``, ``port``, ``rescue_url``), its
    ``token`` (None on a loopback binding without one), the live client count
    (``clients``) and :meth:`stop`."""

    def __init__(
        self,
        host: str,
        port: int,
        token: str | None,
        allow_kill: bool | None,
        mailbox_alert_seconds: float,
        rescue_port: int | None,
    ) -> None:
        self.host = host
        self.guard = Guard(host, token, allow_kill)
        self.token = self.guard.token
        self.node = livelong.node()
        self.sampler = Sampler(mailbox_alert_seconds=mailbox_alert_seconds)
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._sock = socket.create_server((host, port), family=family, reuse_port=False)
        self.port: int = self._sock.getsockname()[1]
        shown = f"[{host}]" if ":" in host else host
        self.url = f"http://{shown}:{self.port}/"
        self.rescue = Rescue(self, host, rescue_port if rescue_port is not None else 0)
        self.rescue_url = f"http://{shown}:{self.rescue.port}/rescue"
        self.sockets: set[Any] = set()
        self.streams: set[Any] = set()
        self.closing = False
        self.crash_count = 0
        self.trace: Any = None  # the trace running or last run (see ._trace)
        self.pid: Any = None
        self._started: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._stopped: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._handler_id = ("livelong.dashboard", id(self))

    @property
    def clients(self) -> int:
        """Live connections (WebSockets and event streams)."""
        return self.sampler.clients

    async def started(self) -> None:
        """Wait until the server answers."""
        await asyncio.shield(self._started)

    async def stop(self) -> None:
        """Close every connection (open tabs included) and the server; returns once
        they are closed (under two seconds)."""
        if not self._stopped.done() and not self.closing:
            self.node.send(self.pid, "stop")
        await asyncio.shield(self._stopped)

    def close(self) -> None:
        """Ask the dashboard to stop, from any thread, without waiting."""
        self.node.send(self.pid, "stop")

    def _crashed(self, event: Any, measurements: Any, meta: dict[str, Any], config: Any) -> None:
        self.crash_count += 1
        self.sampler.crashed(meta.get("pid"), meta.get("reason"), meta.get("initial_call", ""))


def start(
    port: int = 8000,
    host: str = "127.0.0.1",
    token: str | None = None,
    *,
    allow_kill: bool | None = None,
    mailbox_alert_seconds: float = 10.0,
    rescue_port: int | None = None,
    quiet: bool = False,
) -> Dashboard:
    """Start the dashboard on ``host:port`` (``port=0``: a free one) from inside the
    node; returns at once (``await dash.started()`` waits until it answers).

    ``token``: the secret a non-loopback binding requires (generated and printed once
    when not given).  ``allow_kill``: allow kill on a non-loopback binding.
    ``mailbox_alert_seconds``: how long a mailbox must grow before it is an alert.
    ``rescue_port``: the rescue page's port (default: a free one).  ``quiet``: print
    nothing (the generated token is then only in ``dash.token``)."""
    try:
        import aiohttp  # noqa: F401
    except ImportError:
        raise ImportError(
            "livelong.dashboard needs aiohttp: pip install 'livelong[dashboard]'"
        ) from None
    dash = Dashboard(host, port, token, allow_kill, mailbox_alert_seconds, rescue_port)
    dash.pid = livelong.node().spawn(_serve, dash)
    if not quiet:
        where = dash.url if dash.guard.generated is False else f"{dash.url}?token={dash.token}"
        print(f"livelong dashboard: {where} (rescue page: {dash.rescue_url})", file=sys.stderr)
        if host not in LOCAL_HOSTS and dash.guard.generated:
            print("livelong dashboard: the token above is shown only once", file=sys.stderr)
    return dash


async def _serve(dash: Dashboard) -> None:
    """The dashboard's process: runs the web server, watches supervised children (their
    DOWN messages are their exit reasons), and closes everything as it ends."""
    from aiohttp import web

    from ._app import make_app

    refs: dict[Any, Any] = {}

    def watch(pid: Any) -> None:
        dash.node.send(dash.pid, ("watch", pid))

    dash.sampler.watch = watch
    runner = web.AppRunner(make_app(dash), handle_signals=False, shutdown_timeout=CLOSE_SECONDS)
    telemetry.attach(dash._handler_id, ("livelong", "process", "crash"), dash._crashed)
    site = None
    try:
        await runner.setup()
        site = web.SockSite(runner, dash._sock)
        await site.start()
        dash.rescue.start()
        dash._started.set_result(None)
        while True:
            msg = await receive()
            if msg == "stop":
                break
            if type(msg) is tuple and msg[0] == "watch":
                refs[livelong.monitor(msg[1])] = msg[1]
            elif type(msg) is tuple and msg[0] == "DOWN" and msg[1] in refs:
                dash.sampler.child_down(refs.pop(msg[1]), msg[4])
    except GeneratorExit:  # the node closes us without a chance to await: close now
        _release(dash)
        server = getattr(site, "_server", None)
        try:
            if server is not None:
                server.close()
        finally:
            dash._sock.close()
            _stopped(dash)
        raise
    except BaseException:
        _release(dash)
        await _close_all(dash, runner)
        raise
    _release(dash)
    await _close_all(dash, runner)


def _release(dash: Dashboard) -> None:
    """What a stop does before the connections close (no await)."""
    dash.closing = True
    if dash.trace is not None:
        dash.trace.stop("the dashboard stopped")
    telemetry.detach(dash._handler_id)
    dash.sampler.stop()
    dash.sampler.watch = None
    threading.Thread(target=dash.rescue.stop, daemon=True).start()
    if not dash._started.done():
        dash._started.set_result(None)


def _stopped(dash: Dashboard) -> None:
    if not dash._stopped.done():
        dash._stopped.set_result(None)


async def _close_all(dash: Dashboard, runner: Any) -> None:
    """Close open tabs' connections, then the server (bounded by CLOSE_SECONDS)."""
    try:
        await asyncio.wait_for(_close_connections(dash, runner), CLOSE_SECONDS + 0.5)
    except TimeoutError:
        dash._sock.close()
    except BaseException:  # (cancelled or closed meanwhile)
        dash._sock.close()
        raise
    finally:
        _stopped(dash)


async def _close_connections(dash: Dashboard, runner: Any) -> None:
    from aiohttp import WSCloseCode

    closing = [
        ws.close(code=WSCloseCode.GOING_AWAY, message=b"dashboard stopped")
        for ws in list(dash.sockets)
    ]
    if closing:
        await asyncio.wait([asyncio.ensure_future(c) for c in closing], timeout=CLOSE_SECONDS / 2)
    for client in list(dash.sampler._clients):
        client.put({"type": "bye"})  # ends the event streams' loops
    await runner.cleanup()
