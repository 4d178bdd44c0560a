from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ledger.errors import ImportRefused
from ledger.imports import (
    executions_import_csv,
    executions_import_fixml,
    executions_import_flex,
)

FORMATS = ("csv", "flex", "fixml")


def _sniff(path: Path) -> str:
    if path.suffix.lower() == ".csv":
        return "csv"
    with path.open("rb") as stream:
        head = stream.read(4096)
    if b"<FlexQueryResponse" in head:
        return "flex"
    if b"<FIXML" in head:
        return "fixml"
    raise CommandError(f"Cannot tell the format of {path}; pass --format ({', '.join(FORMATS)}).")


class Command(BaseCommand):
    help = (
        "Import executions into the ledger from a CSV file, an IBKR Flex query response (Trades) "
        "or FIXML 5.0 SP2 execution reports. Idempotent by execution id; a file with a bad row "
        "books nothing and every bad row is listed (exit 1). Settle dates: the file's own, else "
        "the instrument's market calendar; trades dated on a closed market day are booked and "
        "listed as warnings."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--format", choices=FORMATS, help="default: from the file")

    def handle(self, *args, path: Path, format: str | None, **options):  # noqa: A002
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        kind = format or _sniff(path)
        try:
            if kind == "csv":
                with path.open(newline="", encoding="utf-8") as stream:
                    result = executions_import_csv(stream=stream)
            elif kind == "flex":
                result = executions_import_flex(data=path.read_bytes())
            else:
                result = executions_import_fixml(data=path.read_bytes())
        except ImportRefused as refused:
            for number, message in refused.row_errors:
                self.stderr.write(f"row {number}: {message}")
            raise CommandError(
                f"Import refused, nothing booked: {len(refused.row_errors)} bad row(s)."
            ) from None
        for number, message in result.warnings:
            self.stdout.write(self.style.WARNING(f"row {number}: {message}"))
        unlisted = result.warning_count - len(result.warnings)
        if unlisted:
            self.stdout.write(self.style.WARNING(f"(and {unlisted} more warning(s))"))
        self.stdout.write(
            self.style.SUCCESS(
                f"{result.booked} execution(s) booked, {result.skipped} already booked before, "
                f"{result.warning_count} warning(s)."
            )
        )
