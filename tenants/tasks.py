from celery import shared_task
from django.db import connection


@shared_task
def tenant_schema_probe() -> str:
    """Answers the schema the task ran in: proves tasks carry their tenant."""
    return connection.schema_name


@shared_task(acks_late=True, ignore_result=True)
def task_outbox_relay() -> int:
    """From beat: send the outbox's tasks a broker outage left behind (tenants.outbox)."""
    from tenants.outbox import outbox_relay

    return outbox_relay()
