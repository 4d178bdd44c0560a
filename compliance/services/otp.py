"""Second factors: TOTP enrolment (django-otp), one-time recovery codes stored as salted hashes
(compliance.otp_recovery) and the check of a code at the second-factor step."""

import secrets

from django.db import transaction
from django_otp.models import Device
from django_otp.plugins.otp_totp.models import TOTPDevice

from compliance.otp_recovery.models import RecoveryCode, RecoveryCodeDevice

from .audit import audit_record

RECOVERY_DEVICE_NAME = "recovery codes"
RECOVERY_CODE_COUNT = 10


def _target(user) -> str:
    return f"user:{user.get_username()}"


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
    audit_record(actor=user, action="2fa.enrol", target=_target(user), ip=ip)
    return codes


@transaction.atomic
def recovery_codes_regenerate(
    *, user, ip: str | None = None, audit: bool = True, codes: list[str] | None = None
) -> list[str]:
    """Replace the user's recovery codes; each works once. Returns them (shown once); only
    their salted hashes are stored."""
    device, _ = RecoveryCodeDevice.objects.select_for_update().get_or_create(
        user=user, name=RECOVERY_DEVICE_NAME, defaults={"confirmed": True}
    )
    device.codes.all().delete()
    codes = codes or [secrets.token_hex(5) for _ in range(RECOVERY_CODE_COUNT)]
    RecoveryCode.objects.bulk_create(RecoveryCode.hashed(device=device, code=c) for c in codes)
    if audit:
        audit_record(actor=user, action="2fa.recovery_codes", target=_target(user), ip=ip)
    return codes


def recovery_codes_left(*, user) -> int:
    return RecoveryCode.objects.filter(device__user=user, device__confirmed=True).count()


@transaction.atomic
def second_factor_verify(*, user, token: str, ip: str | None = None) -> Device | None:
    """The user's confirmed device that accepts `token` (a TOTP code, or else a recovery code),
    or None; both outcomes are audited.

    The candidate device rows are locked (SELECT ... FOR UPDATE) until the transaction ends:
    of two requests with the same code, the second waits for the first, then finds the TOTP
    time step or the recovery code used (ASVS 5.0 6.5.1)."""
    typed = "".join(str(token).split())
    totp = typed.isdigit() and len(typed) <= 8
    if totp:
        candidates = TOTPDevice.objects.filter(user=user, confirmed=True)
    else:
        candidates = RecoveryCodeDevice.objects.filter(user=user, confirmed=True)
    for device in candidates.select_for_update().order_by("pk"):
        if (not totp or device.digits == len(typed)) and device.verify_token(typed):
            method = "totp" if totp else "recovery_code"
            audit_record(
                actor=user,
                action="2fa.verify",
                target=_target(user),
                details={"method": method, "device": device.persistent_id},
                ip=ip,
            )
            return device
    audit_record(actor=user, action="2fa.failed", target=_target(user), ip=ip)
    return None
