from celery import shared_task
from django.db import connection


@shared_task
def tenant_schema_probe() -> str:
    """Answers the schema the task ran in: proves tasks carry their tenant."""
    return connection.schema_name
