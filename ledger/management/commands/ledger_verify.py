from django.core.management.base import BaseCommand, CommandError

from ledger.journal.verify import ledger_verify


class Command(BaseCommand):
    help = (
        "Rebuild cash, positions, tax lots and realized gains from the journal, compare them "
        "with the stored projections and check every entry balances. Exits 1 on a difference."
    )

    def handle(self, *args, **options):
        differences = ledger_verify()
        for line in differences:
            self.stdout.write(line)
        if differences:
            raise CommandError(f"{len(differences)} difference(s) between journal and projections.")
        self.stdout.write(self.style.SUCCESS("Journal and projections agree."))
