"""A task sent through Redis to a real worker process runs in the sender's tenant schema."""

import pytest
from django_tenants.utils import tenant_context

from tenants.tasks import tenant_schema_probe
from tests.support import workers

pytestmark = pytest.mark.worker


@pytest.fixture
def real_worker(committed_db):
    worker = workers.worker_start(
        broker=workers.PROBE_BROKER,
        result_backend=workers.PROBE_BROKER,
        queues=["tenant-probe"],
        pool="solo",
        settings_module="brokerportal.settings.test",
    )
    try:
        yield worker
    finally:
        workers.worker_stop(worker)


def test_task_runs_in_the_senders_tenant_schema(real_worker, tenant_a, tenant_b):
    # given: a sender on the same app class as the project's, pointed at the worker's broker
    # (the test settings keep the project's own app eager)
    sender = workers.sender(workers.PROBE_BROKER, backend=workers.PROBE_BROKER)
    results = {}
    # when
    for tenant in (tenant_a, tenant_b):
        with tenant_context(tenant):
            results[tenant.schema_name] = sender.send_task(
                tenant_schema_probe.name, queue="tenant-probe"
            )
    # then
    for schema, result in results.items():
        workers.wait_for(
            result.ready, timeout=60, what=f"the probe task of {schema}", workers=[real_worker]
        )
        assert result.get(timeout=5) == schema
