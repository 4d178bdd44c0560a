"""Real Celery workers over Redis for the statement tests and the bench.

The test settings run tasks eagerly; these workers load the development settings (not eager)
against the same database, so a run's fan-out really goes through Redis to separate processes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from django.conf import settings
from django.db import connection
from tenant_schemas_celery.app import CeleryApp

# A Redis database of its own: killed workers leave unacknowledged messages behind, and the
# tests empty it when done.
BROKER = os.environ.get("STATEMENTS_TEST_BROKER_URL", "redis://127.0.0.1:6379/11")


def database_url() -> str:
    db = connection.settings_dict
    host = db["HOST"] or "127.0.0.1"
    if host.startswith("/"):
        return f"postgres://{db['USER']}@/{db['NAME']}?host={host}"
    return f"postgres://{db['USER']}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


def worker_start(*, concurrency: int = 1, broker: str = BROKER) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "brokerportal.settings.dev",
        "DEBUG": "0",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": broker,
        "CELERY_RESULT_BACKEND": "",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "EMAIL_URL": "dummymail://",
        "LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "brokerportal",
            "worker",
            f"--concurrency={concurrency}",
            "--prefetch-multiplier=1",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        env=env,
        cwd=settings.BASE_DIR,
        start_new_session=True,  # its own process group: a kill reaches the pool children
    )


def worker_kill(worker: subprocess.Popen) -> None:
    """SIGKILL the worker and its pool: no chance to finish or to hand messages back."""
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=30)


def worker_stop(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        worker.terminate()  # warm shutdown: the main process lets its pool finish the task
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            worker_kill(worker)


def sender(broker: str = BROKER) -> CeleryApp:
    """A producer on the project's app class: it stamps the current schema on each task."""
    return CeleryApp("statements-sender", broker=broker)


def broker_flush(broker: str = BROKER) -> None:
    """Empties the broker's database, unacknowledged messages of killed workers included."""
    import redis

    redis.Redis.from_url(broker).flushdb()
