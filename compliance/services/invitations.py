"""Single-use, expiring invitation links: a new login sets its password (and then enrols its
second factor) through one."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from compliance.models import Invitation
from tenants.links import tenant_base_url

from .audit import audit_record

INVITATION_VALIDITY = timedelta(days=7)


def invitation_token_hash(raw_token: str) -> str:
    return hashlib.sha256(raw_token.encode()).hexdigest()


def invitation_url(*, raw_token: str, base_url: str | None = None) -> str:
    # The tenant site's URL conf even when the operator's host invites (provisioning).
    path = reverse(
        "clientportal:invitation_accept",
        kwargs={"token": raw_token},
        urlconf=settings.ROOT_URLCONF,
    )
    if base_url is None:
        base_url = tenant_base_url() or "https://localhost"
    return base_url.rstrip("/") + path


@transaction.atomic
def invitation_create(
    *,
    actor,
    user,
    ip: str | None = None,
    valid_for: timedelta = INVITATION_VALIDITY,
    base_url: str | None = None,
    send_email: bool = True,
) -> tuple[Invitation, str]:
    """A new invitation for `user`; earlier unused ones stop working. Returns the row and the raw
    token (only its hash is stored). The e-mail with the link goes out after commit."""
    now = timezone.now()
    Invitation.objects.filter(user=user, used_at__isnull=True, expires_at__gt=now).update(
        expires_at=now
    )
    raw_token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        user=user,
        token_hash=invitation_token_hash(raw_token),
        created_by_id=actor.pk if actor is not None else None,
        expires_at=now + valid_for,
    )
    audit_record(
        actor=actor,
        action="invitation.create",
        target=f"user:{user.get_username()}",
        details={"expires_at": invitation.expires_at.isoformat()},
        ip=ip,
    )
    if send_email and user.email:
        from branding.emails import branded_email, email_brand_name
        from branding.selectors import brand_current

        brand = brand_current()
        # Built now, in the tenant's schema; sent once the invitation is committed.
        message = branded_email(
            template="compliance/email/invitation",
            subject=f"Your login to {email_brand_name(brand)}",
            to=[user.email],
            context={
                "invited": user,
                "action_url": invitation_url(raw_token=raw_token, base_url=base_url),
                "action_label": "Set your password",
                "expires_at": invitation.expires_at,
            },
            brand=brand,
        )
        transaction.on_commit(message.send)
    return invitation, raw_token


def invitation_usable(*, raw_token: str) -> Invitation | None:
    """The invitation for this token if it is unused and unexpired, else None."""
    invitation = (
        Invitation.objects.select_related("user")
        .filter(token_hash=invitation_token_hash(raw_token))
        .first()
    )
    if invitation is None or not invitation.is_usable or not invitation.user.is_active:
        return None
    return invitation


@transaction.atomic
def invitation_accept(*, raw_token: str, password: str, ip: str | None = None):
    """Set the invited user's password and use the invitation up. Raises ValidationError for an
    unknown, used or expired token and for a password the validators refuse."""
    invitation = (
        Invitation.objects.select_for_update()
        .select_related("user")
        .filter(token_hash=invitation_token_hash(raw_token))
        .first()
    )
    if invitation is None or not invitation.is_usable or not invitation.user.is_active:
        raise ValidationError("This link is invalid, expired or already used.")
    user = invitation.user
    validate_password(password, user=user)
    user.set_password(password)
    user.save(update_fields=["password"])
    invitation.used_at = timezone.now()
    invitation.save(update_fields=["used_at"])
    audit_record(
        actor=user, action="invitation.accept", target=f"user:{user.get_username()}", ip=ip
    )
    return user
