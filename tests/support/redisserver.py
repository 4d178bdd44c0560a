"""A throwaway redis-server on a loopback port, for the tests that stop Redis (tests/faults)."""

from __future__ import annotations

import subprocess
import time


def redis_start(
    port: int, *, timeout_s: float = 10, unixsocket: str | None = None
) -> subprocess.Popen:
    """Start redis-server on `port` (no persistence) and wait until it answers PING; with
    `unixsocket`, it also listens on that socket (owner only)."""
    import redis

    command = ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"]
    if unixsocket:
        command += ["--unixsocket", unixsocket, "--unixsocketperm", "700"]
    process = subprocess.Popen(  # noqa: S603 (fixed argv)
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            redis.Redis(port=port, socket_connect_timeout=0.2).ping()
            return process
        except redis.exceptions.ConnectionError:
            time.sleep(0.05)
    process.kill()
    process.wait(timeout=10)
    raise TimeoutError("redis-server did not start")


def redis_kill(process: subprocess.Popen) -> None:
    """SIGKILL: the server gets no chance to hand anything over."""
    if process.poll() is None:
        process.kill()
    process.wait(timeout=10)
