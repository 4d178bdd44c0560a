from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ledger.imports.flex.booking import FlexImportRefused, flex_import
from ledger.selectors.reconciliation import reconciliation_lines_for_accounts


class Command(BaseCommand):
    help = (
        "Import an IBKR Flex activity statement file: every FlexStatement (trades, cash "
        "transactions, corporate actions, option exercises/assignments/expiries, transfers, "
        "the opening balance of a first statement), the instruments it names, its mark prices "
        "and FX rates; then reconcile the ledger with its OpenPositions, CashReport and "
        "fifoPnlRealized. Idempotent; a file with a bad row books nothing and every bad row is "
        "listed (exit 1)."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)

    def handle(self, *args, path: Path, **options):
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        try:
            result = flex_import(source=path)
        except FlexImportRefused as refused:
            for statement, section, number, reason in refused.rows:
                self.stderr.write(f"statement {statement} {section} row {number}: {reason}")
            raise CommandError(
                f"Import refused, nothing booked: {len(refused.rows)} bad row(s)."
            ) from None
        for statement, section, number, reason in result.warnings:
            self.stdout.write(
                self.style.WARNING(f"statement {statement} {section} row {number}: {reason}")
            )
        breaks = [
            line
            for line in reconciliation_lines_for_accounts(account_ids=result.account_ids)
            if not line.agrees
        ]
        for line in breaks:
            self.stdout.write(
                self.style.ERROR(
                    f"break {line.account_number} {line.kind} {line.label}: broker "
                    f"{line.broker}, ledger {line.ledger}"
                )
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"{result.statements} statement(s): {result.booked} entr(y/ies) booked, "
                f"{result.skipped} booked before, {result.instruments_written} instrument(s) "
                f"written, {result.closes} close(s), {result.rates} FX rate(s), "
                f"{result.warning_count} warning(s), {len(breaks)} reconciliation break(s)."
            )
        )
