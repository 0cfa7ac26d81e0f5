"""The rescue page: served from a thread of its own, so it answers while a runaway
process holds the node's thread (and with it the web app, which runs on the node's
loop).

It shows who holds the node (the watchdog's finding: pid, name, where it is) and kills
it: ``Node.exit(pid, "kill")`` from another thread interrupts the process in its own
code.  Its routes, under the same security rules as the web app (token, cookie, CSRF
header for the POST, kill only where allowed): ``GET /rescue`` (the page),
``GET /rescue/api`` (JSON: ``{"runaway": {...} or null, "seen": [...]}``),
``POST /rescue/kill`` with ``{"pid": "#PID<0.85.0>"}``.  The thread also notes every
runaway it sees, for the dashboard's alerts.
"""

from __future__ import annotations

import json
import threading
import time
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from . import _source as src
from ._security import CSRF_HEADER, SECURITY_HEADERS

if TYPE_CHECKING:
    from . import Dashboard

__all__ = ["Rescue"]

_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>livelong rescue</title>
<link rel="stylesheet" href="/static/app.css"></head><body class="rescue">
<h1>livelong rescue</h1>
<p>Served from a side thread: it answers while a process holds the node's thread.</p>
<div id="who">looking...</div>
<p><button id="kill" disabled>Kill it</button> <a href="%s">back to the dashboard</a></p>
<script src="/rescue.js"></script></body></html>"""

_SCRIPT = """
let csrf = %s, current = null;
async function look() {
  try {
    const r = await fetch('/rescue/api'); const d = await r.json();
    current = d.runaway;
    const el = document.getElementById('who');
    el.textContent = current ? (current.pid + ' (' + (current.name || 'no name')
      + ') holds the node in ' + current.current_function + ' for '
      + current.seconds.toFixed(1) + ' s')
      : 'No process holds the node right now.';
    document.getElementById('kill').disabled = !current || !d.kill_allowed;
  } catch (e) {}
}
document.getElementById('kill').onclick = async () => {
  if (!current || !confirm('Kill ' + current.pid + '?')) return;
  await fetch('/rescue/kill', {method: 'POST', headers: {'%s': csrf,
    'Content-Type': 'application/json'}, body: JSON.stringify({pid: current.pid})});
  look();
};
look(); setInterval(look, 1000);
"""


class Rescue:
    """The rescue server and its watch of the node (one thread each)."""

    def __init__(self, dash: Dashboard, host: str, port: int) -> None:
        self.dash = dash
        self.server = ThreadingHTTPServer((host, port), _handler(dash, self))
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.runaway: dict[str, Any] | None = None
        self._since: tuple[Any, float] | None = None
        self._lock = threading.Lock()  # (look() runs in the watch and the request threads)
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(
                target=self.server.serve_forever,
                kwargs={"poll_interval": 0.2},
                name="livelong-dashboard-rescue",
                daemon=True,
            ),
            threading.Thread(target=self._watch, name="livelong-dashboard-watch", daemon=True),
        ]

    def start(self) -> None:
        for t in self._threads:
            t.start()

    def stop(self) -> None:
        self._stop.set()
        self.server.shutdown()
        self.server.server_close()

    def look(self) -> dict[str, Any] | None:
        """The runaway process now, with how long it has held the node; each new one is
        noted for the dashboard's alerts."""
        with self._lock:
            return self._look()

    def _look(self) -> dict[str, Any] | None:
        found = src.runaway()
        now = time.monotonic()
        if found is None:
            self._since = None
            return None
        if self._since is None or self._since[0] != found["pid"]:
            self._since = (found["pid"], now - (self.dash.node.watchdog_seconds or 0))
            self.dash.sampler.runaways.append(dict(found, t=time.time(), seconds=0.0))
        found["seconds"] = now - self._since[1]
        self.dash.sampler.runaways[-1]["seconds"] = found["seconds"]
        return found

    def _watch(self) -> None:
        while not self._stop.wait(0.5):
            try:
                self.runaway = self.look()
            except Exception:
                continue


def _handler(dash: Dashboard, rescue: Rescue) -> type[BaseHTTPRequestHandler]:
    guard = dash.guard

    class Handler(BaseHTTPRequestHandler):
        server_version = "livelong-rescue"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(self, status: int, body: str, ctype: str = "application/json") -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", ctype + "; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for k, v in SECURITY_HEADERS.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def _allowed(self) -> bool:
            if not guard.host_ok(self.headers.get("Host")):
                self._send(403, json.dumps({"error": "loopback Host only"}))
                return False
            cookies = {k: m.value for k, m in SimpleCookie(self.headers.get("Cookie", "")).items()}
            query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
            ok, _ = guard.credentials(
                {k.title(): v for k, v in self.headers.items()}, cookies, query
            )
            if not ok:
                self._send(401, json.dumps({"error": "a valid token is needed"}))
            return ok

        def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
            if not self._allowed():
                return
            path = urlsplit(self.path).path
            if path in ("/", "/rescue"):
                self._send(200, _PAGE % dash.url, "text/html")
            elif path == "/rescue.js":
                self._send(200, _SCRIPT % (json.dumps(guard.csrf), CSRF_HEADER), "text/javascript")
            elif path == "/static/app.css":
                from ._app import STATIC

                self._send(200, (STATIC / "app.css").read_text(), "text/css")
            elif path == "/rescue/api":
                seen = list(dash.sampler.runaways)
                self._send(
                    200,
                    json.dumps(
                        {
                            "runaway": rescue.look(),
                            "seen": seen,
                            "kill_allowed": guard.kill_allowed,
                        },
                        default=str,
                    ),
                )
            else:
                self._send(404, json.dumps({"error": "no such page"}))

        def do_POST(self) -> None:  # noqa: N802
            if not self._allowed():
                return
            if not guard.csrf_ok(self.headers.get(CSRF_HEADER)):
                self._send(403, json.dumps({"error": f"the {CSRF_HEADER} header is needed"}))
                return
            if urlsplit(self.path).path != "/rescue/kill":
                self._send(404, json.dumps({"error": "no such action"}))
                return
            if not guard.kill_allowed:
                self._send(403, json.dumps({"error": "kill is off on this binding"}))
                return
            length = int(self.headers.get("Content-Length", "0") or 0)
            try:
                pid_text = json.loads(self.rfile.read(min(length, 10_000)) or b"{}")["pid"]
            except (ValueError, KeyError, TypeError):
                self._send(400, json.dumps({"error": 'send {"pid": "#PID<...>"}'}))
                return
            # (read from this thread: the table's dict get is one C call)
            proc = src.parse_pid(str(pid_text))
            if proc is None:
                self._send(404, json.dumps({"error": "no such process"}))
                return
            dash.node.exit(proc, "kill")
            self._send(200, json.dumps({"pid": repr(proc), "killed": True}))

    return Handler
