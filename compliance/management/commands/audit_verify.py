"""`manage.py audit_verify [--tenant SCHEMA]`: walk the audit chains and name what is wrong."""

from django.core.management.base import BaseCommand, CommandError

from compliance.chain import PUBLIC, Chain, chain_verify, chains_all


class Command(BaseCommand):
    help = (
        "Verify the audit chains (the public one and every tenant's, or one with --tenant): "
        "name the first record whose content, place or link is wrong, every gap, and every "
        "daily anchor the chain disagrees with. Exits 1 when a chain is broken."
    )

    def add_arguments(self, parser):
        parser.add_argument("--tenant", help="a tenant's schema name, or 'public'")

    def handle(self, *args, tenant=None, **options):
        if tenant:
            known = {chain.schema for chain in chains_all()}
            if tenant not in known | {PUBLIC}:
                raise CommandError(f"No tenant with schema {tenant!r}.")
            chains = [Chain(tenant)]
        else:
            chains = chains_all()
        broken = 0
        for chain in chains:
            report = chain_verify(chain)
            head = f"{report.records} records, head #{report.head_seq} {report.head_hash[:16]}"
            if report.intact:
                self.stdout.write(f"{chain.schema}: intact ({head}, {report.anchors} anchors)")
                continue
            broken += 1
            self.stdout.write(f"{chain.schema}: BROKEN ({head})")
            self.stdout.write(f"  first: {report.first_problem.message}")
            for gap in report.gaps:
                self.stdout.write(f"  gap: {gap.message}")
            for problem in report.problems[1:]:
                if problem.kind != "gap":
                    self.stdout.write(f"  also: {problem.message}")
        if broken:
            raise CommandError(f"{broken} audit chain(s) broken.", returncode=1)
