"""The platform operator's logins (public schema): password plus a TOTP authenticator.

An operator login is created from the shell (`manage.py operator_create`), together with its
authenticator, and never from a web page: an enrolment page behind the password alone would let a
stolen password enrol its own second factor.
"""

from base64 import b32encode
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

OPERATOR_DEVICE_NAME = "operator authenticator"
OPERATOR_ISSUER = "Broker Portal operator"


@dataclass(frozen=True)
class OperatorEnrolment:
    username: str
    otpauth_uri: str  # the authenticator's secret: shown once


def _public_schema_required() -> None:
    if connection.schema_name != "public":
        raise ValidationError("Operator logins live in the public schema.")


def totp_uri(*, device: TOTPDevice, issuer: str = OPERATOR_ISSUER) -> str:
    """The otpauth:// URI an authenticator app reads (Google Authenticator key URI format)."""
    label = quote(f"{issuer}:{device.user.get_username()}")
    query = urlencode(
        {
            "secret": b32encode(device.bin_key).decode().rstrip("="),
            "issuer": issuer,
            "algorithm": "SHA1",
            "digits": device.digits,
            "period": device.step,
        }
    )
    return f"otpauth://totp/{label}?{query}"


@transaction.atomic
def operator_totp_replace(*, user) -> TOTPDevice:
    """A new confirmed authenticator for the operator; every earlier one stops working."""
    _public_schema_required()
    TOTPDevice.objects.filter(user=user).delete()
    return TOTPDevice.objects.create(user=user, name=OPERATOR_DEVICE_NAME, confirmed=True)


@transaction.atomic
def operator_create(*, email: str, password: str) -> OperatorEnrolment:
    """A new operator login (staff and superuser of the operator's admin) with the password the
    operator chose (the password validators apply) and an authenticator."""
    _public_schema_required()
    user_model = get_user_model()
    if user_model.objects.filter(username=email).exists():
        raise ValidationError(f"The operator login {email!r} exists already.")
    user = user_model(username=email, email=email, is_staff=True, is_superuser=True)
    validate_password(password, user=user)
    user.set_password(password)
    user.full_clean()
    user.save()
    device = operator_totp_replace(user=user)
    return OperatorEnrolment(username=email, otpauth_uri=totp_uri(device=device))


def operator_totp_reset(*, email: str) -> OperatorEnrolment:
    """A new authenticator for an existing operator login (lost phone); the password stays."""
    _public_schema_required()
    user = get_user_model().objects.filter(username=email, is_staff=True).first()
    if user is None:
        raise ValidationError(f"No operator login {email!r}.")
    device = operator_totp_replace(user=user)
    return OperatorEnrolment(username=email, otpauth_uri=totp_uri(device=device))
