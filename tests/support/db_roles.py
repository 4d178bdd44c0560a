"""Database roles like production's (README, "Database roles"), for tests that must see what the
application's role sees: the test database's own connection is a superuser, which row-level
security never binds.

Roles are created inside the test's transaction, so they are gone when it rolls back.
"""

import uuid
from contextlib import contextmanager

from django.core.signals import request_finished, request_started
from django.db import connection, transaction

PLATFORM_ROLE = "brokerportal_platform"


def app_role_create(*, schemas: tuple[str, ...], platform: bool = False) -> str:
    """A role that is neither superuser nor owner, with the privileges the application's role
    has in production: use of the schemas, reads and writes of their tables and sequences. With
    `platform`, also a member of `brokerportal_platform` (the operator's and workers' role)."""
    role = f"bp_app_{uuid.uuid4().hex[:10]}"
    names = ", ".join(schemas)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} NOLOGIN")
        cursor.execute(f"GRANT USAGE ON SCHEMA {names} TO {role}")
        cursor.execute(
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {names} TO {role}"
        )
        cursor.execute(f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA {names} TO {role}")
        if platform:
            cursor.execute(
                "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = "
                f"'{PLATFORM_ROLE}') THEN CREATE ROLE {PLATFORM_ROLE} NOLOGIN; END IF; END $$"
            )
            cursor.execute(f"GRANT {PLATFORM_ROLE} TO {role}")
    return role


@contextmanager
def acting_as(role: str):
    """Run the block as `role`, in a savepoint: on an error its rollback takes the role back."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL ROLE {role}")
        yield cursor
        cursor.execute("RESET ROLE")


@contextmanager
def requests_as(role: str):
    """Every request the test client sends in the block runs as `role`; the test itself stays
    the superuser (seeding, assertions)."""

    def role_set(**kwargs):
        with connection.cursor() as cursor:
            cursor.execute(f"SET ROLE {role}")

    def role_reset(**kwargs):
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")

    uid = f"requests_as_{role}"
    request_started.connect(role_set, dispatch_uid=f"{uid}_set", weak=False)
    request_finished.connect(role_reset, dispatch_uid=f"{uid}_reset", weak=False)
    try:
        yield
    finally:
        request_started.disconnect(dispatch_uid=f"{uid}_set")
        request_finished.disconnect(dispatch_uid=f"{uid}_reset")
