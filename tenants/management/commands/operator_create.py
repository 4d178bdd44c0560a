import getpass
import sys

import qrcode
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import schema_context

from tenants.operators import operator_create, operator_totp_reset


class Command(BaseCommand):
    stealth_options = ("stdin",)
    help = (
        "Create a platform operator login (asks for its password) with a TOTP authenticator and "
        "print the authenticator's otpauth:// URI once; `--reset-totp` gives an existing login a "
        "new authenticator."
    )

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument(
            "--reset-totp",
            action="store_true",
            help="replace the authenticator of an existing operator login",
        )
        parser.add_argument(
            "--password-stdin",
            action="store_true",
            help="read the password from the first line of standard input (no prompt)",
        )
        parser.add_argument(
            "--qr", action="store_true", help="also print the URI as a QR code for the terminal"
        )

    def handle(self, *args, email, reset_totp, password_stdin, qr, **options):
        with schema_context("public"):
            try:
                if reset_totp:
                    enrolment = operator_totp_reset(email=email)
                else:
                    password = self._password(options.get("stdin") or sys.stdin, password_stdin)
                    enrolment = operator_create(email=email, password=password)
            except ValidationError as error:
                raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(f"Operator login: {enrolment.username}")
        self.stdout.write(f"Authenticator (add it to a TOTP app): {enrolment.otpauth_uri}")
        if qr:
            code = qrcode.QRCode(border=1)
            code.add_data(enrolment.otpauth_uri)
            code.print_ascii(out=self.stdout, invert=True)

    def _password(self, stream, from_stream: bool) -> str:
        if from_stream:
            return stream.readline().rstrip("\n")
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password (again): "):
            raise CommandError("The two passwords differ.")
        return password
