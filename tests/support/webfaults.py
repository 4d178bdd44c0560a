"""For the tests that kill the web server mid-request (tests/faults): a login through the real
password and TOTP steps, a POST sent by hand over a socket (so the test chooses how much of it
the server has read when it dies), and the SIGKILL of a whole gunicorn process group."""

from __future__ import annotations

import os
import re
import signal
import socket
import time
from collections.abc import Callable

import httpx

from tests.support.liveserver import SERVERS

HOST = "tenant-a.test"
# One key for every server of a test: a restarted server must accept the client's session, as a
# deployment's restarted processes do.
SERVER_ENV = {"SECRET_KEY": "fault-tests-key-" + "k" * 40}


def totp_now(hex_key: str) -> str:
    from django_otp.oath import TOTP

    totp = TOTP(bytes.fromhex(hex_key), step=30, t0=0, digits=6)
    totp.time = time.time()
    return f"{totp.token():06d}"


def hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]+)"', html)
    assert match, f"no {name} on the page"
    return match.group(1)


def log_in(http: httpx.Client, *, username: str, password: str, totp_key: str) -> None:
    """The login form, then the second factor: the session cookie ends up in `http`."""
    page = http.get("/login/")
    step1 = http.post(
        "/login/",
        data={
            "csrfmiddlewaretoken": hidden(page.text, "csrfmiddlewaretoken"),
            "username": username,
            "password": password,
        },
    )
    assert step1.status_code == 302, step1.text[:300]
    verify = http.get(step1.headers["location"])
    step2 = http.post(
        "/auth/verify/",
        data={
            "csrfmiddlewaretoken": hidden(verify.text, "csrfmiddlewaretoken"),
            "code": totp_now(totp_key),
        },
    )
    assert step2.status_code == 302, step2.text[:300]


def raw_post(
    port: int,
    path: str,
    body: bytes,
    *,
    send: int,
    cookies: httpx.Cookies | None = None,
    headers: dict[str, str] | None = None,
    content_type: str = "application/x-www-form-urlencoded",
) -> socket.socket:
    """Send the POST's headers and the first `send` bytes of its body; return the socket."""
    lines = [f"POST {path} HTTP/1.1", f"Host: {HOST}"]
    if cookies:
        lines.append("Cookie: " + "; ".join(f"{name}={value}" for name, value in cookies.items()))
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    lines += [f"Content-Type: {content_type}", f"Content-Length: {len(body)}", "Connection: close"]
    head = ("\r\n".join(lines) + "\r\n\r\n").encode()
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(head + body[:send])
    return sock


def server_kill(port: int) -> None:
    """SIGKILL the gunicorn arbiter and its workers at once: nothing gets to finish."""
    process = SERVERS[port]
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def wait_until(predicate: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"gave up after {timeout:.0f} s waiting for {what}"
        time.sleep(0.01)
