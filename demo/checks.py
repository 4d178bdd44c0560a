"""The deployment check on demo logins (`manage.py check --deploy`). The WSGI/ASGI start runs it
too, by its tag (brokerportal.startup), so that no app imports the demo: this check is
registered by the demo app, which every environment installs."""

from django.conf import settings
from django.core.checks import Error, Warning, register
from django.db import DatabaseError

from brokerportal.startup import DEMO_LOGINS_CHECK_TAG

DEMO_LOGIN_EXISTS = "brokerportal.E001"


def demo_logins_present() -> list[str]:
    """`schema:username` of every demo login in the database: the demo operator in the public
    schema and the demo tenants' logins in their schemas (3 queries at most)."""
    from django.contrib.auth import get_user_model
    from django_tenants.utils import schema_context

    from demo.seed import DEMO_OPERATOR, DEMO_TENANTS, demo_logins
    from tenants.models import Tenant

    user_model = get_user_model()
    found = []
    with schema_context("public"):
        if user_model.objects.filter(username=DEMO_OPERATOR).exists():
            found.append(f"public:{DEMO_OPERATOR}")
        demos = {demo.schema_name: demo for demo in DEMO_TENANTS}
        schemas = list(
            Tenant.objects.filter(schema_name__in=demos).values_list("schema_name", flat=True)
        )
    for schema_name in schemas:
        usernames = [username for username, _ in demo_logins(demos[schema_name])]
        with schema_context(schema_name):
            present = user_model.objects.filter(username__in=usernames)
            found += [f"{schema_name}:{u}" for u in present.values_list("username", flat=True)]
    return found


@register("security", DEMO_LOGINS_CHECK_TAG, deploy=True)
def demo_logins_check(app_configs=None, **kwargs):
    """Where the demo is not allowed (production), no demo login may exist: their password and
    TOTP seed are published."""
    if settings.DEMO_ALLOWED:
        return []
    try:
        found = demo_logins_present()
    except DatabaseError as error:
        return [
            Warning(
                f"Could not look for demo logins: {error}",
                id="brokerportal.W001",
            )
        ]
    if not found:
        return []
    return [
        Error(
            f"Demo logins exist ({', '.join(sorted(found))}); their password and second-factor "
            "seed are public.",
            hint="Delete the demo tenants (northwind, harbor) and the demo operator login.",
            id=DEMO_LOGIN_EXISTS,
        )
    ]
