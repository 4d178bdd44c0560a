"""Passkeys (WebAuthn credentials of django-otp-webauthn): registration and removal, audited.
The ceremonies' HTTP side is compliance/passkey_views.py."""

from django.db import transaction
from django.utils import timezone
from django_otp_webauthn.models import WebAuthnCredential

from .audit import audit_record


def _target(user) -> str:
    return f"user:{user.get_username()}"


@transaction.atomic
def passkey_register(*, helper, user, state: dict, data: dict, ip: str | None = None):
    """Verify the authenticator's attestation against the challenge in `state` (the library
    checks challenge, origin and RP ID), store the credential and name it by its date."""
    passkey = helper.register_complete(user=user, state=state, data=data)
    passkey.name = f"Passkey added {timezone.localdate():%Y-%m-%d}"
    passkey.save(update_fields=["name"])
    audit_record(
        actor=user,
        action="2fa.passkey_enrol",
        target=_target(user),
        details={
            "passkey": passkey.pk,
            "aaguid": passkey.aaguid,
            "discoverable": passkey.discoverable,
        },
        ip=ip,
    )
    return passkey


@transaction.atomic
def passkey_remove(*, user, passkey: WebAuthnCredential, ip: str | None = None) -> None:
    details = {"passkey": passkey.pk, "name": passkey.name}
    passkey.delete()  # its attestation goes with it
    audit_record(
        actor=user, action="2fa.passkey_remove", target=_target(user), details=details, ip=ip
    )
