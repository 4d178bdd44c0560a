from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import schema_context

from demo.compliance import demo_recovery_codes, demo_totp_code


class Command(BaseCommand):
    help = (
        "Print the current second-factor code of a demo login, e.g. "
        "`manage.py demo_totp northwind security@northwind.example` or "
        "`manage.py demo_totp public operator@platform.example` (development and test only)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "schema_name", help="the tenant schema (northwind, harbor), or public for the operator"
        )
        parser.add_argument("username")

    def handle(self, *args, schema_name, username, **options):
        from django.contrib.auth import get_user_model

        from demo.seed import DEMO_OPERATOR, DEMO_TENANTS

        if not settings.DEMO_ALLOWED:
            raise CommandError("Demo logins are refused with these settings (DEMO_ALLOWED is off).")
        if schema_name == "public":
            if username != DEMO_OPERATOR:
                raise CommandError(f"The demo's operator login is {DEMO_OPERATOR!r}.")
        elif schema_name not in {demo.schema_name for demo in DEMO_TENANTS}:
            raise CommandError(f"{schema_name!r} is not a demo tenant.")
        with schema_context(schema_name):
            if not get_user_model().objects.filter(username=username).exists():
                raise CommandError(f"No login {username!r} in {schema_name}.")
        self.stdout.write(demo_totp_code(schema_name, username))
        self.stderr.write(
            "Valid for this 30-second window; each code works once. Recovery codes: "
            + ", ".join(demo_recovery_codes(schema_name, username))
        )
