from django.conf import settings
from django.core.management import call_command, load_command_class
from django.core.management.base import BaseCommand
from django.db import connection
from django_tenants.migration_executors import get_executor
from django_tenants.utils import schema_context

from tenants.bootstrap import public_tenant_ensure
from tenants.roles import roles_ensure
from tenants.selectors import tenant_schemas_behind
from tenants.snapshot import template_snapshot_refresh


class Command(BaseCommand):
    help = (
        "Migrate in the right order: the shared schema, the template schema that new tenants are "
        "cloned from, then every tenant schema that is behind (in parallel)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--executor", default="multiprocessing", choices=["standard", "multiprocessing"]
        )

    def handle(self, *args, **options):
        verbosity = options["verbosity"]
        call_command("migrate_schemas", shared=True, interactive=False, verbosity=verbosity)
        public_tenant_ensure()

        template = settings.TENANT_BASE_SCHEMA
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE SCHEMA IF NOT EXISTS "{template}"')
        call_command(
            "migrate_schemas",
            tenant=True,
            schema_name=template,
            interactive=False,
            verbosity=verbosity,
        )
        with schema_context(template):
            roles_ensure()
        template_snapshot_refresh(template)

        behind = tenant_schemas_behind(template)
        if behind:
            migrate_schemas = load_command_class("django_tenants", "migrate_schemas")
            parser = migrate_schemas.create_parser("manage.py", "migrate_schemas")
            migrate_options = vars(
                parser.parse_args(
                    [
                        "--tenant",
                        "--noinput",
                        f"--verbosity={verbosity}",
                        f"--executor={options['executor']}",
                    ]
                )
            )
            get_executor(codename=options["executor"])([], migrate_options).run_migrations(
                tenants=behind
            )
        self.stdout.write(f"Migrated shared, template and {len(behind)} tenant schema(s) behind.")
