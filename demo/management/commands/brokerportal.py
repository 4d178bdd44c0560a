from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Project tasks: `bootstrap` (migrate everything, seed the demo), `demo` (seed only) and "
        "`logins` (list the demo logins). Development and test settings only (DEMO_ALLOWED)."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["bootstrap", "demo", "logins"])

    def handle(self, *args, action, **options):
        from demo.seed import (
            DEMO_OPERATOR,
            DEMO_PASSWORD,
            DEMO_TENANTS,
            demo_logins,
            demo_refuse_unless_allowed,
            demo_seed,
        )

        try:
            demo_refuse_unless_allowed()
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from error
        if action == "bootstrap":
            call_command("migrate_all", verbosity=0)
        if action in {"bootstrap", "demo"}:
            demo_seed()
        for demo in DEMO_TENANTS:
            self.stdout.write(
                f"\n{demo.name}: http://{demo.domain}:8000/ "
                f"(Broker Portal: http://{demo.domain}:8000/broker/)"
            )
            for username, role in demo_logins(demo):
                self.stdout.write(f"  {role:<20} {username}")
        self.stdout.write("\nPlatform operator: http://platform.localhost:8000/admin/")
        self.stdout.write(f"  {'Operator':<20} {DEMO_OPERATOR}")
        self.stdout.write(f"\nPassword for every demo login: {DEMO_PASSWORD}")
        self.stdout.write(
            "Second factor: every demo login has an authenticator set up; print its current code "
            "with `python manage.py demo_totp <schema> <username>` (schemas: northwind, harbor; "
            f"the operator: public {DEMO_OPERATOR})."
        )
