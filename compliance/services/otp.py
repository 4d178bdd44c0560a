"""Second factors: TOTP enrolment (django-otp) and one-time recovery codes (otp_static)."""

import secrets

from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .audit import audit_record

RECOVERY_DEVICE_NAME = "recovery codes"
RECOVERY_CODE_COUNT = 10


@transaction.atomic
def totp_device_start(*, user, name: str = "authenticator app") -> TOTPDevice:
    """A fresh unconfirmed TOTP device (its secret shown as a QR code); earlier unconfirmed
    attempts are discarded. Nothing changes for the user's confirmed devices."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name=name, confirmed=False)


@transaction.atomic
def totp_device_confirm(
    *, user, device: TOTPDevice, token: str, ip: str | None = None
) -> list[str] | None:
    """Confirm the device if `token` is its current code. On success the user's other TOTP
    devices are replaced by this one and new recovery codes are returned (shown once)."""
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user)
    if device.confirmed or not device.verify_token(str(token).strip()):
        return None
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = recovery_codes_regenerate(user=user, audit=False)
    audit_record(actor=user, action="2fa.enrol", target=f"user:{user.get_username()}", ip=ip)
    return codes


@transaction.atomic
def recovery_codes_regenerate(
    *, user, ip: str | None = None, audit: bool = True, codes: list[str] | None = None
) -> list[str]:
    """Replace the user's recovery codes; each works once. Returns them (shown once)."""
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_DEVICE_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = codes or [secrets.token_hex(5) for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    if audit:
        audit_record(
            actor=user, action="2fa.recovery_codes", target=f"user:{user.get_username()}", ip=ip
        )
    return codes
