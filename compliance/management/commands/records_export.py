"""`manage.py records_export --tenant SCHEMA --from DATE --to DATE [--out FILE]`."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import tenant_context

from compliance.services.records import records_export
from tenants.models import Tenant


class Command(BaseCommand):
    help = (
        "Write a zip of a tenant's kept records issued in a period (statements, confirmations, "
        "reports, signed access reviews), a manifest of their SHA-256s and the tenant's audit "
        "chain over the period. Check it with records_verify."
    )

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="the tenant's schema name")
        parser.add_argument("--from", dest="start", required=True, help="YYYY-MM-DD")
        parser.add_argument("--to", dest="end", required=True, help="YYYY-MM-DD (inclusive)")
        parser.add_argument("--out", help="the zip to write (default records-<tenant>-….zip)")

    def handle(self, *args, tenant, start, end, out=None, **options):
        try:
            start_day, end_day = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
        except ValueError as bad:
            raise CommandError(f"Dates are YYYY-MM-DD: {bad}") from None
        found = Tenant.objects.filter(schema_name=tenant).first()
        if found is None or tenant == "public":
            raise CommandError(f"No tenant with schema {tenant!r}.")
        out = out or f"records-{tenant}-{start_day:%Y%m%d}-{end_day:%Y%m%d}.zip"
        with tenant_context(found):
            try:
                manifest = records_export(tenant=found, start=start_day, end=end_day, out=out)
            except ValueError as refused:
                raise CommandError(str(refused)) from None
        self.stdout.write(
            f"{out}: {len(manifest['files'])} files, "
            f"{manifest['audit_chain']['records']} audit records, "
            f"{len(manifest['anchors'])} anchors"
        )
