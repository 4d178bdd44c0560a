"""A task sent through Redis to a real worker process runs in the sender's tenant schema."""

import os
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.db import connection
from django_tenants.utils import tenant_context
from tenant_schemas_celery.app import CeleryApp

from tenants.tasks import tenant_schema_probe

BROKER = os.environ.get("TEST_CELERY_BROKER_URL", "redis://127.0.0.1:6379/14")


def _database_url() -> str:
    db = connection.settings_dict
    host = db["HOST"] or "127.0.0.1"
    if host.startswith("/"):
        return f"postgres://{db['USER']}@/{db['NAME']}?host={host}"
    return f"postgres://{db['USER']}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def real_worker(committed_db):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "brokerportal.settings.test",
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": BROKER,
        "CELERY_RESULT_BACKEND": BROKER,
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "brokerportal",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "-Q",
            "tenant-probe",
        ],
        env=env,
        cwd=settings.BASE_DIR,
    )
    try:
        yield worker
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def test_task_runs_in_the_senders_tenant_schema(real_worker, tenant_a, tenant_b):
    # given: a sender on the same app class as the project's, pointed at Redis (the test settings
    # keep the project's own app eager)
    sender = CeleryApp("sender", broker=BROKER, backend=BROKER, set_as_current=False)
    deadline = time.monotonic() + 60
    results = {}
    # when
    for tenant in (tenant_a, tenant_b):
        with tenant_context(tenant):
            results[tenant.schema_name] = sender.send_task(
                tenant_schema_probe.name, queue="tenant-probe"
            )
    # then
    for schema, result in results.items():
        assert result.get(timeout=max(1, deadline - time.monotonic())) == schema
