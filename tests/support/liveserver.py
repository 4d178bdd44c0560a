"""A real gunicorn serving the project on loopback, for browser tests and the portal load test.

The server runs in its own processes against an existing database (the test or bench database,
with committed data), so no test transaction is involved.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from django.db import connection

BASE_DIR = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")


# The running servers by port, for tests that kill one (tests/faults).
SERVERS: dict[int, subprocess.Popen] = {}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url() -> str:
    db = connection.settings_dict
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    if host.startswith("/"):  # the embedded server listens on a unix socket only
        return f"postgres://{user}{password}@/{db['NAME']}?host={host}&port={port}"
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


def _wait_ready(url: str, process: subprocess.Popen, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=10):  # noqa: S310 (loopback health check)
                return
        except urllib.error.HTTPError:
            return  # answering at all (even 404 for an unknown host) means it is up
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    raise TimeoutError(f"gunicorn did not answer {url} within {timeout_s} s")


@contextlib.contextmanager
def gunicorn_serve(
    *,
    settings_module: str = "brokerportal.settings.test",
    workers: int = 2,
    worker_class: str = "sync",
    threads: int = 1,
    keep_alive_s: int | None = None,
    worker_connections: int | None = None,
    extra_env: dict[str, str] | None = None,
    log_path: Path | None = None,
    health_host: str = "localhost",
):
    """Yield the base URL (http://127.0.0.1:<port>) of gunicorn serving the current database;
    the processes are stopped on exit."""
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings_module,
        "DATABASE_URL": _database_url(),
        "SECRET_KEY": secrets.token_urlsafe(48),  # one key shared by all workers
        "ALLOWED_HOSTS": ".test,.localhost,localhost,127.0.0.1",
        "DB_CONN_MAX_AGE": "600",
        # Several server processes share cached portal figures only through Redis.
        "PORTAL_FIGURES_CACHE": "true" if os.environ.get("REDIS_URL") else "false",
        **(extra_env or {}),
    }
    if log_path is not None:
        log_path.parent.mkdir(parents=True, exist_ok=True)
    log = open(log_path or os.devnull, "ab")
    process = subprocess.Popen(  # noqa: S603 (fixed argv: our gunicorn and settings)
        [
            str(GUNICORN),
            "brokerportal.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            worker_class,
            "--threads",
            str(threads),
            "--timeout",
            "60",
            "--log-level",
            "warning",
            *(() if keep_alive_s is None else ("--keep-alive", str(keep_alive_s))),
            *(
                ()
                if worker_connections is None
                else ("--worker-connections", str(worker_connections))
            ),
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    SERVERS[port] = process
    try:
        _wait_ready(f"http://127.0.0.1:{port}/healthz", process, timeout_s=180)
        yield f"http://127.0.0.1:{port}", port
    finally:
        SERVERS.pop(port, None)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)
        log.close()
