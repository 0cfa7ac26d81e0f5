"""Who may use the dashboard: the token, its cookie, the CSRF header, Origin and Host.

The rules (the same for the web app and the rescue thread):

* Bound to a loopback address (``127.0.0.1``, ``localhost``, ``::1``) the dashboard
  needs no token unless one is given; the ``Host`` header must then name a loopback
  address too, so a web page cannot reach it through DNS rebinding.
* Bound elsewhere it always needs one: given, or generated (and printed once).  A
  request carries it as ``Authorization: Bearer TOKEN`` (scripts), as the cookie
  :data:`COOKIE`, or as ``?token=TOKEN``, which a page request exchanges for that
  cookie (HttpOnly, SameSite=Strict) and a redirect to the same URL without it.
  Anything else is 401, pages, JSON, static files and the live channels alike.
* A POST needs the header :data:`CSRF_HEADER` with the session's CSRF value (served
  by ``GET /api/v1/session``, which another site's page cannot read): else 403.
* A WebSocket handshake whose ``Origin`` is not this dashboard's is 403.
* Kill is allowed on a loopback binding, and on another only with ``allow_kill``.

>>> g = Guard("0.0.0.0", None, None)
>>> g.generated, g.kill_allowed, g.token_ok(g.token), g.token_ok("wrong")
(True, False, True, False)
>>> Guard("127.0.0.1", None, None).token_ok(None)
True
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping
from urllib.parse import urlsplit

__all__ = ["COOKIE", "CSRF_HEADER", "LOCAL_HOSTS", "Guard"]

COOKIE = "livelong_dashboard"
CSRF_HEADER = "X-Livelong-CSRF"
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
    "style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def _host_only(host_header: str) -> str:
    """``127.0.0.1`` of ``127.0.0.1:8080``, ``::1`` of ``[::1]:8080``."""
    h = host_header.strip().lower()
    if h.startswith("["):
        return h[1 : h.find("]")] if "]" in h else h
    return h.rsplit(":", 1)[0] if h.count(":") == 1 else h


class Guard:
    """The security rules of one dashboard (see the module doc)."""

    def __init__(self, host: str, token: str | None, allow_kill: bool | None) -> None:
        self.local = host in LOCAL_HOSTS
        self.generated = token is None and not self.local
        self.token: str | None = secrets.token_urlsafe(24) if self.generated else token
        self.csrf = secrets.token_urlsafe(24)
        self.kill_allowed = self.local if allow_kill is None else bool(allow_kill)

    def token_ok(self, given: str | None) -> bool:
        if self.token is None:
            return True
        return given is not None and hmac.compare_digest(given.encode(), self.token.encode())

    def credentials(
        self, headers: Mapping[str, str], cookies: Mapping[str, str], query: Mapping[str, str]
    ) -> tuple[bool, bool]:
        """``(authorised, by the query's token)`` of a request."""
        if self.token is None:
            return True, False
        auth = headers.get("Authorization", "")
        if auth.startswith("Bearer ") and self.token_ok(auth[7:].strip()):
            return True, False
        if self.token_ok(cookies.get(COOKIE)):
            return True, False
        if self.token_ok(query.get("token")):
            return True, True
        return False, False

    def host_ok(self, host_header: str | None) -> bool:
        """On a loopback binding, the Host header must name a loopback address."""
        if not self.local:
            return True
        return host_header is not None and _host_only(host_header) in LOCAL_HOSTS

    def origin_ok(self, origin: str | None, host_header: str | None) -> bool:
        """A WebSocket's Origin must be this dashboard (no Origin: not a browser)."""
        if origin is None:
            return True
        parts = urlsplit(origin)
        return (
            parts.scheme in ("http", "https")
            and parts.netloc.lower() == (host_header or "").lower()
        )

    def csrf_ok(self, value: str | None) -> bool:
        return value is not None and hmac.compare_digest(value.encode(), self.csrf.encode())

    def cookie_header(self) -> str:
        return f"{COOKIE}={self.token}; HttpOnly; SameSite=Strict; Path=/"
