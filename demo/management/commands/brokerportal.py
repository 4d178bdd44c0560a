import os

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
        parser.add_argument(
            "--port", type=int, default=int(os.environ.get("PORT", "8000")), help="in the URLs"
        )
        parser.add_argument("--quiet", action="store_true", help="seed without listing the logins")

    def handle(self, *args, action, port, quiet, **options):
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
        if quiet:
            return
        for demo in DEMO_TENANTS:
            self.stdout.write(
                f"\n{demo.name}: http://{demo.domain}:{port}/ "
                f"(Broker Portal: http://{demo.domain}:{port}/broker/)"
            )
            for username, role in demo_logins(demo):
                self.stdout.write(f"  {role:<20} {username}")
        self.stdout.write(f"\nPlatform operator: http://platform.localhost:{port}/admin/")
        self.stdout.write(f"  {'Operator':<20} {DEMO_OPERATOR}")
        self.stdout.write(f"\nPassword for every demo login: {DEMO_PASSWORD}")
        self.stdout.write(
            "Second factor: every demo login has an authenticator set up. Its current code:\n"
            "  .venv/bin/python manage.py demo_totp northwind advisor@northwind.example\n"
            f"  .venv/bin/python manage.py demo_totp public {DEMO_OPERATOR}   (the operator)\n"
            "(schemas: northwind, harbor, public). E-mails the demo sends: .data/email.log; "
            "task log: .data/app.log."
        )
