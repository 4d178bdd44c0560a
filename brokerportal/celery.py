"""The one Celery app. Tasks carry their tenant's schema (tenant-schemas-celery)."""

import os

from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "brokerportal.settings.dev")

app = CeleryApp("brokerportal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
