"""Real Celery workers over Redis for the tests and the benchmarks.

Whatever the caller exported, a test or bench that starts its own workers sends every task, the
tasks those workers enqueue included, to the broker the workers listen on. Celery reads
`CELERY_BROKER_URL`, `CELERY_BROKER_READ_URL`, `CELERY_BROKER_WRITE_URL` and
`CELERY_RESULT_BACKEND` from the environment *ahead of* any configuration
(`celery.app.utils.Settings.broker_url`), so an app built here with `broker=` would still send to
the exported broker. Hence: the test process drops those variables (`celery_environment_clear`,
called by the root conftest), and each worker is given its broker explicitly.

Every wait on workers is bounded and fails with a message that says what was awaited, how far
it got and whether the workers are still alive (`wait_for`).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence

# The variables Celery reads from the environment before its configuration.
CELERY_ENVIRONMENT = (
    "CELERY_BROKER_URL",
    "CELERY_BROKER_READ_URL",
    "CELERY_BROKER_WRITE_URL",
    "CELERY_RESULT_BACKEND",
)
# A Redis database of its own for the statement workers: killed workers leave unacknowledged
# messages behind, and the tests empty it when done.
STATEMENTS_BROKER = os.environ.get("STATEMENTS_TEST_BROKER_URL", "redis://127.0.0.1:6379/11")
PROBE_BROKER = os.environ.get("TEST_CELERY_BROKER_URL", "redis://127.0.0.1:6379/14")


class WorkerTimeout(AssertionError):
    """Workers did not finish what was awaited in the time allowed."""


def celery_environment_clear() -> dict[str, str]:
    """Removes Celery's environment overrides from this process; returns what was removed."""
    return {name: os.environ.pop(name) for name in CELERY_ENVIRONMENT if name in os.environ}


def database_url() -> str:
    from django.db import connection

    db = connection.settings_dict
    host = db["HOST"] or "127.0.0.1"
    if host.startswith("/"):
        return f"postgres://{db['USER']}@/{db['NAME']}?host={host}"
    return f"postgres://{db['USER']}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


def worker_environment(
    *, broker: str, result_backend: str = "", settings_module: str, extra: dict | None = None
) -> dict[str, str]:
    """The caller's environment with the worker's broker, backend and database pinned."""
    env = {k: v for k, v in os.environ.items() if k not in CELERY_ENVIRONMENT}
    env.update(
        DJANGO_SETTINGS_MODULE=settings_module,
        DATABASE_URL=database_url(),
        CELERY_BROKER_URL=broker,
        CELERY_RESULT_BACKEND=result_backend,
    )
    env.update(extra or {})
    return env


def worker_start(
    *,
    broker: str = STATEMENTS_BROKER,
    concurrency: int = 1,
    queues: Sequence[str] = (),
    pool: str | None = None,
    result_backend: str = "",
    settings_module: str = "brokerportal.settings.dev",
    extra_env: dict[str, str] | None = None,
    record: str | None = None,
    node: str | None = None,
    wrap: Sequence[str] = (),
) -> subprocess.Popen:
    """A worker process on `broker`. The development settings (not eager) by default, against
    this process's database, media root and quiet e-mail (`extra_env` on top).

    With `record`, the worker is `tests.support.hostworker`, which appends where each task ran
    to that file; `node` is its Celery node name; `wrap` goes before the command (`ip netns
    exec NS`, `unshare --uts`: programs that exec it, so the process is still the worker)."""
    from django.conf import settings

    env = worker_environment(
        broker=broker,
        result_backend=result_backend,
        settings_module=settings_module,
        extra={
            "DEBUG": "0",
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "EMAIL_URL": "dummymail://",
            "LOG_LEVEL": "WARNING",
            **(extra_env or {}),
        },
    )
    if record:
        env["HOSTWORKER_RECORD"] = record
        command = [*wrap, sys.executable, "-m", "tests.support.hostworker", "worker"]
    else:
        command = [*wrap, sys.executable, "-m", "celery", "-A", "brokerportal", "worker"]
    if node:
        command.append(f"--hostname={node}")
    command += [f"--concurrency={concurrency}", "--prefetch-multiplier=1", "--loglevel=WARNING"]
    command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    if pool:
        command.append(f"--pool={pool}")
    if queues:
        command += ["-Q", ",".join(queues)]
    return subprocess.Popen(
        command,
        env=env,
        cwd=settings.BASE_DIR,
        start_new_session=True,  # its own process group: a kill reaches the pool children
    )


def worker_kill(worker: subprocess.Popen) -> None:
    """SIGKILL the worker and its pool: no chance to finish or to hand messages back."""
    try:
        os.killpg(worker.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    worker.wait(timeout=30)


def worker_stop(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        worker.terminate()  # warm shutdown: the main process lets its pool finish the task
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            worker_kill(worker)


def sender(broker: str = STATEMENTS_BROKER, backend: str | None = None):
    """A producer on the project's app class: it stamps the current schema on each task."""
    from tenant_schemas_celery.app import CeleryApp

    celery_environment_clear()
    return CeleryApp("test-sender", broker=broker, backend=backend, set_as_current=False)


def broker_flush(broker: str = STATEMENTS_BROKER) -> None:
    """Empties the broker's database, unacknowledged messages of killed workers included."""
    import redis

    redis.Redis.from_url(broker).flushdb()


def wait_for(
    predicate: Callable[[], bool],
    *,
    timeout: float,
    what: str,
    workers: Sequence[subprocess.Popen] = (),
    progress: Callable[[], str] | None = None,
    interval: float = 0.1,
) -> None:
    """Polls `predicate` until it holds; raises `WorkerTimeout` after `timeout` seconds (or as
    soon as every worker has exited) with what was awaited and how far it got."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return
        dead = [w for w in workers if w.poll() is not None]
        if time.monotonic() >= deadline or (workers and len(dead) == len(workers)):
            state = ", ".join(
                f"pid {w.pid} {'exited ' + str(w.returncode) if w.poll() is not None else 'alive'}"
                for w in workers
            )
            reached = f" Reached: {progress()}." if progress else ""
            raise WorkerTimeout(
                f"Gave up waiting {timeout:.0f} s for {what}.{reached}"
                + (f" Workers: {state}." if workers else "")
            )
        time.sleep(interval)
