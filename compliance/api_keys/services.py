"""Creating, using and revoking API keys. Every creation, every use from an address the key
has not been used from, and every revocation is written to the audit trail."""

import ipaddress
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_otp import devices_for_user

from compliance.services.audit import audit_record

from .models import SCOPES, ApiKey

MAX_DAYS = 365
# Last-used stamps are written at most this often per key (every call would be a write).
LAST_USED_RESOLUTION = timedelta(seconds=60)


def _target(user) -> str:
    return f"user:{user.get_username()}"


def networks_parse(text: str) -> list[str]:
    """CIDR blocks separated by commas, spaces or lines: '203.0.113.0/24, 2001:db8::/32'."""
    out = []
    for item in text.replace(",", " ").split():
        try:
            out.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            raise ValidationError(
                f"Not a network address: {item!r} (e.g. 203.0.113.0/24)."
            ) from None
    return out


def second_factor_of(user) -> str | None:
    """The persistent id of one of the user's confirmed second factors, or None."""
    device = next(iter(devices_for_user(user, confirmed=True)), None)
    return device.persistent_id if device is not None else None


@transaction.atomic
def api_key_create(
    *,
    actor,
    user,
    name: str,
    scopes: list[str],
    days: int,
    networks: list[str] | None = None,
    ip: str | None = None,
) -> tuple[ApiKey, str]:
    """A new key for `user`; returns the row and the secret, which is never stored and is shown
    once. Refused for an inactive user and for one without a confirmed second factor: a key
    must not open to a program what the login itself would only open after a second factor."""
    name = name.strip()
    if not name:
        raise ValidationError("Name the key (what program uses it).")
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise ValidationError(f"Scopes are some of {', '.join(SCOPES)}.")
    if not 1 <= int(days) <= MAX_DAYS:
        raise ValidationError(f"A key expires after 1 to {MAX_DAYS} days.")
    if not user.is_active:
        raise ValidationError(f"{user.get_username()} is deactivated.")
    device = second_factor_of(user)
    if device is None:
        raise ValidationError(
            f"{user.get_username()} has no confirmed second factor: they enrol one first."
        )
    key, secret = ApiKey.objects.create(
        user=user,
        expiry=timedelta(days=int(days)),
        name=name[:100],
        scopes=[s for s in SCOPES if s in scopes],
        allowed_networks=networks or [],
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        second_factor=device,
    )
    audit_record(
        actor=actor,
        action="api_key.create",
        target=_target(user),
        details={
            "key": key.token_key,
            "name": key.name,
            "scopes": key.scopes,
            "expires": key.expiry.isoformat(),
            "networks": key.allowed_networks,
        },
        ip=ip,
    )
    return key, secret


@transaction.atomic
def api_key_revoke(*, actor, key: ApiKey, reason: str = "revoked", ip: str | None = None) -> ApiKey:
    if key.revoked_at is not None:
        return key
    key.revoked_at = timezone.now()
    key.revoked_reason = reason[:100]
    key.save(update_fields=["revoked_at", "revoked_reason"])
    audit_record(
        actor=actor,
        action="api_key.revoke",
        target=_target(key.user),
        details={"key": key.token_key, "name": key.name, "reason": key.revoked_reason},
        ip=ip,
    )
    return key


@transaction.atomic
def api_keys_revoke_for_user(*, actor, user, reason: str, ip: str | None = None) -> int:
    """Every live key of `user`: on deactivation, a change of roles, a password reset and a
    second-factor reset."""
    keys = list(ApiKey.objects.select_for_update().filter(user=user, revoked_at__isnull=True))
    for key in keys:
        api_key_revoke(actor=actor, key=key, reason=reason, ip=ip)
    return len(keys)


def api_key_used(*, key: ApiKey, ip: str | None) -> None:
    """Stamp the use; a use from an address the key was not last used from is audited."""
    now = timezone.now()
    new_address = ip is not None and ip != key.last_used_ip
    if not new_address and key.last_used_at and now - key.last_used_at < LAST_USED_RESOLUTION:
        return
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=now, last_used_ip=ip)
    if new_address:
        audit_record(
            actor=key.user,
            action="api_key.new_ip",
            target=_target(key.user),
            details={"key": key.token_key, "name": key.name, "before": key.last_used_ip},
            ip=ip,
        )
    key.last_used_at, key.last_used_ip = now, ip
