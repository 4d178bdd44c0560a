"""Fetch-and-check for the Security Officer screens: the same 404 for missing and not allowed."""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from ledger.models import Account
from ledger.selectors import accounts_for
from tenants.roles import COMPLIANCE_OFFICER, SECURITY_OFFICER


def has_role(user, *roles: str) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.is_superuser or user.groups.filter(name__in=roles).exists()


def security_officer_require(user) -> None:
    if not has_role(user, SECURITY_OFFICER):
        raise PermissionDenied("Only a Security Officer may manage users and access.")


def reviewer_require(user) -> None:
    """Audit trail and access review: Security and Compliance Officers."""
    if not has_role(user, SECURITY_OFFICER, COMPLIANCE_OFFICER):
        raise PermissionDenied("Only a Security or Compliance Officer may see this.")


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
