"""Enqueue Celery tasks for the tenant of the current connection, through the task outbox."""

from django.conf import settings
from django.db import connection, transaction
from django_tenants.utils import tenant_context


def task_enqueue_on_commit(task, *args, **kwargs) -> None:
    """Send `task` once the current transaction commits, in the tenant it was enqueued for.

    With a broker, the send is first written to the task outbox (`tenants.models.TaskOutbox`)
    in the caller's transaction, then published after the commit; a broker that is down then
    loses nothing: the relay (`tenants.outbox`) sends the row when it is back. Without a
    broker (tasks run in-process) the task runs after the commit.

    The tenant is captured now: by commit time an outer caller may have switched the connection
    back to the public schema, and tenant-schemas-celery takes the task's schema from the
    connection at send time.
    """
    tenant = connection.tenant
    if settings.CELERY_TASK_ALWAYS_EAGER:

        def run() -> None:
            with tenant_context(tenant):
                task.delay(*args, **kwargs)

        transaction.on_commit(run)
        return

    from tenants.models import TaskOutbox
    from tenants.outbox import outbox_send

    with transaction.atomic():  # outside a transaction: the row commits at once
        row = TaskOutbox.objects.create(
            schema_name=tenant.schema_name, task=task.name, args=list(args), kwargs=kwargs
        )
        transaction.on_commit(lambda: outbox_send(row_id=row.pk))
