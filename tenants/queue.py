"""Enqueue Celery tasks for the tenant of the current connection."""

from django.db import connection, transaction
from django_tenants.utils import tenant_context


def task_enqueue_on_commit(task, *args, **kwargs) -> None:
    """Send `task` once the current transaction commits, in the tenant it was enqueued for.

    The tenant is captured now: by commit time an outer caller may have switched the connection
    back to the public schema, and tenant-schemas-celery takes the task's schema from the
    connection at send time.
    """
    tenant = connection.tenant

    def enqueue() -> None:
        with tenant_context(tenant):
            task.delay(*args, **kwargs)

    transaction.on_commit(enqueue)
