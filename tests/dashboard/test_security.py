"""The dashboard's security rules, over real sockets: the token (Bearer, ?token= for a
cookie, the cookie), 401 everywhere without it, Origin on the WebSocket, the CSRF
header on POSTs, kill off on a non-local binding, the Host check on a loopback one."""

from __future__ import annotations

import base64
import json
import os
import socket

import pytest
from dash_harness import eventually, path_of, request, start_dashboard

import livelong

# A loopback address that is not 127.0.0.1: the dashboard treats it as a non-local
# binding (it needs a token) while the test stays on this machine.
OTHER = "127.0.0.2"

PATHS = [
    "/",
    "/static/app.js",
    "/api/v1/session",
    "/api/v1/processes",
    "/metrics",
    "/api/v1/events",
]


@pytest.fixture
def remote(node):
    d = start_dashboard(node, host=OTHER)
    yield d
    node.call(d.stop)


def ws_handshake(d, path="/api/v1/live", headers=None, host=None, port=None):
    """The status of a WebSocket handshake."""
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: {d.host}:{d.port}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
        *[f"{k}: {v}" for k, v in (headers or {}).items()],
    ]
    sock = socket.create_connection((host or d.host, port or d.port), timeout=10)
    try:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        data = b""
        while b"\r\n" not in data:
            chunk = sock.recv(1024)
            if not chunk:
                break
            data += chunk
        return int(data.split(b" ", 2)[1])
    finally:
        sock.close()


def test_a_non_local_binding_generates_a_token(remote):
    assert remote.token and remote.guard.generated
    assert remote.guard.kill_allowed is False


@pytest.mark.parametrize("path", PATHS)
def test_401_without_a_token_or_with_a_wrong_one(remote, path):
    assert request(remote, path)[0] == 401
    assert request(remote, path, headers={"Authorization": "Bearer wrong"})[0] == 401
    assert request(remote, path + "?token=wrong")[0] == 401
    assert request(remote, path, headers={"Cookie": "livelong_dashboard=wrong"})[0] == 401


def test_401_on_the_websocket_handshake(remote):
    assert ws_handshake(remote) == 401
    assert ws_handshake(remote, "/api/v1/live?token=wrong") == 401
    assert ws_handshake(remote, headers={"Authorization": f"Bearer {remote.token}"}) == 101


def test_bearer_works_for_scripts(remote):
    status, _, body = request(
        remote, "/api/v1/session", headers={"Authorization": f"Bearer {remote.token}"}
    )
    assert status == 200 and json.loads(body)["api"] == 1


def test_query_token_is_exchanged_for_a_strict_httponly_cookie(remote):
    status, headers, _ = request(remote, f"/?token={remote.token}&x=1")
    assert status == 302 and headers["Location"] == "/?x=1"  # the token leaves the URL
    cookie = headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    value = cookie.split(";", 1)[0]
    for path in ("/", "/static/app.js", "/api/v1/session"):
        assert request(remote, path, headers={"Cookie": value})[0] == 200
    assert ws_handshake(remote, headers={"Cookie": value}) == 101


def test_cross_origin_websocket_is_403(remote):
    auth = {"Authorization": f"Bearer {remote.token}"}
    origin = f"http://{remote.host}:{remote.port}"
    assert ws_handshake(remote, headers={**auth, "Origin": "http://evil.example"}) == 403
    assert ws_handshake(remote, headers={**auth, "Origin": origin}) == 101


def test_post_needs_the_csrf_header_and_kill_is_off_remotely(node, remote):
    pid = node.spawn(livelong.receive)
    auth = {"Authorization": f"Bearer {remote.token}"}
    path = f"/api/v1/processes/{path_of(pid)}/kill"
    assert request(remote, path, method="POST", headers=auth)[0] == 403
    wrong = {**auth, "X-Livelong-CSRF": "wrong"}
    assert request(remote, path, method="POST", headers=wrong)[0] == 403
    csrf = json.loads(request(remote, "/api/v1/session", headers=auth)[2])["csrf"]
    status, _, body = request(
        remote, path, method="POST", headers={**auth, "X-Livelong-CSRF": csrf}
    )
    assert status == 403 and b"allow_kill" in body
    assert node.alive(pid)


def test_allow_kill_turns_kill_on_remotely(node):
    d = start_dashboard(node, host=OTHER, token="s3cret", allow_kill=True)
    try:
        assert d.token == "s3cret" and not d.guard.generated
        pid = node.spawn(livelong.receive)
        auth = {"Authorization": "Bearer s3cret"}
        csrf = json.loads(request(d, "/api/v1/session", headers=auth)[2])["csrf"]
        headers = {**auth, "X-Livelong-CSRF": csrf}
        status, _, _ = request(d, f"/api/v1/processes/{path_of(pid)}/kill", "POST", headers)
        assert status == 200
        eventually(lambda: not node.alive(pid), "the process is killed")
    finally:
        node.call(d.stop)


def test_the_rescue_page_needs_the_token_too(remote):
    rport = int(remote.rescue_url.rsplit(":", 1)[1].split("/")[0])
    assert request(remote, "/rescue", port=rport)[0] == 401
    assert request(remote, "/rescue/api", port=rport)[0] == 401
    auth = {"Authorization": f"Bearer {remote.token}"}
    assert request(remote, "/rescue/api", port=rport, headers=auth)[0] == 200
    assert request(remote, "/rescue/kill", "POST", auth, b"{}", port=rport)[0] == 403


def test_a_loopback_binding_answers_to_a_loopback_host_only(dash):
    assert dash.token is None
    assert request(dash, "/api/v1/session")[0] == 200
    assert request(dash, "/api/v1/session", headers={"Host": "evil.example"})[0] == 403
    assert request(dash, "/api/v1/session", headers={"Host": f"localhost:{dash.port}"})[0] == 200


def test_responses_forbid_framing_and_sniffing(dash):
    _, headers, _ = request(dash, "/")
    assert headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
