"""A database of its own for benchmarks: created like the test database, dropped afterwards."""

import contextlib
import os

import django


@contextlib.contextmanager
def bench_database():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "brokerportal.settings.test")
    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases

    connection.settings_dict["TEST"]["NAME"] = f"{settings.DATABASES['default']['NAME']}_bench"
    old_config = setup_databases(verbosity=0, interactive=False, serialized_aliases=set())
    try:
        call_command("migrate_all", verbosity=0)
        connection.set_schema_to_public()
        yield
    finally:
        connection.set_schema_to_public()
        teardown_databases(old_config, verbosity=0)
