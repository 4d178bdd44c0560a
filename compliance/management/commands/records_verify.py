"""`manage.py records_verify FILE`: check a records export without the database."""

from django.core.management.base import BaseCommand, CommandError

from compliance.records_verify import records_verify


class Command(BaseCommand):
    help = "Check a records_export zip: every file's SHA-256, the manifest and the audit chain."

    def add_arguments(self, parser):
        parser.add_argument("path")

    def handle(self, *args, path, **options):
        problems = records_verify(path)
        if problems:
            for problem in problems:
                self.stdout.write(f"FAILED: {problem}")
            raise CommandError(f"{path}: {len(problems)} problem(s).", returncode=1)
        self.stdout.write(f"{path}: intact")
