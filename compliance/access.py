"""Fetch-and-check for the Security Officer screens: the same 404 for missing and not allowed."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import Http404

from ledger.models import Account
from ledger.selectors import accounts_for
from tenants.roles import COMPLIANCE_OFFICER, SECURITY_OFFICER, role_required

SECURITY_OFFICER_REFUSAL = "Only a Security Officer may manage users and access."


def security_officer_require(user) -> None:
    role_required(user, SECURITY_OFFICER, refusal=SECURITY_OFFICER_REFUSAL)


def reviewer_require(user) -> None:
    """Audit trail and access review: Security and Compliance Officers."""
    role_required(
        user,
        SECURITY_OFFICER,
        COMPLIANCE_OFFICER,
        refusal="Only a Security or Compliance Officer may see this.",
    )


def access_tenant_user(*, actor, user_id):
    """A login of the current tenant (users live in its schema) for a Security Officer."""
    security_officer_require(actor)
    try:
        pk = int(user_id)
    except (TypeError, ValueError):
        raise Http404("No such user.") from None
    user = get_user_model().objects.filter(pk=pk).prefetch_related("groups").first()
    if user is None:
        raise Http404("No such user.")
    return user


def access_accounts_for_grant(*, actor, tenant, numbers: list[str]) -> list[Account]:
    """The tenant's accounts by number, for a Security Officer granting access. Numbers that are
    missing or another tenant's are reported alike."""
    security_officer_require(actor)
    wanted = [n.strip().upper() for n in numbers if n.strip()]
    found = {a.number: a for a in accounts_for(tenant=tenant).filter(number__in=wanted)}
    unknown = [n for n in wanted if n not in found]
    if unknown or not wanted:
        raise ValidationError(f"No such account: {', '.join(unknown) or '(none given)'}.")
    return [found[n] for n in dict.fromkeys(wanted)]


def access_access_review(*, user, review_id):
    """A review of the current tenant (reviews live in its schema) for a Security or Compliance
    Officer; one 404 for a missing id and anything else."""
    from compliance.models import AccessReview

    reviewer_require(user)
    review = AccessReview.objects.filter(pk=review_id).first()
    if review is None:
        raise Http404("No such access review.")
    return review


def access_passkey(*, user, passkey_id):
    """One of the user's own passkeys."""
    from django_otp_webauthn.models import WebAuthnCredential

    try:
        pk = int(passkey_id)
    except (TypeError, ValueError):
        raise Http404("No such passkey.") from None
    passkey = WebAuthnCredential.objects.filter(pk=pk, user_id=user.pk).first()
    if passkey is None:
        raise Http404("No such passkey.")
    return passkey
