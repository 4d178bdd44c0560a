"""The one Celery app. Tasks carry their tenant's schema (tenant-schemas-celery)."""

import os

from tenant_schemas_celery.app import CeleryApp

# Production unless told otherwise (the Makefile exports the development settings).
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "brokerportal.settings.production")

app = CeleryApp("brokerportal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
