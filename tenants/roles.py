"""Roles of a tenant's people, as auth groups in the tenant's schema."""

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.http import Http404

SECURITY_OFFICER = "Security Officer"
ONBOARDING_OFFICER = "Onboarding Officer"
ADVISOR = "Advisor/Trader"
COMPLIANCE_OFFICER = "Compliance Officer"
VIEWER = "Viewer"
CLIENT = "Client"

STAFF_ROLES = (SECURITY_OFFICER, ONBOARDING_OFFICER, ADVISOR, COMPLIANCE_OFFICER, VIEWER)
ALL_ROLES = (*STAFF_ROLES, CLIENT)


def roles_ensure() -> dict[str, Group]:
    """Create the role groups in the current schema if missing; returns them by name."""
    existing = {g.name: g for g in Group.objects.filter(name__in=ALL_ROLES)}
    for name in ALL_ROLES:
        if name not in existing:
            existing[name] = Group.objects.create(name=name)
    return existing


def has_role(user, *roles: str) -> bool:
    """Whether an active, signed-in user holds one of `roles` (superusers hold every role)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.is_superuser or user.groups.filter(name__in=roles).exists()


def role_required(
    user, *roles: str, refusal: str = "You may not do this.", hide: bool = False
) -> None:
    """Refuse a user without one of `roles`: PermissionDenied (403) with `refusal`, or, with
    `hide`, Http404, for screens whose existence a user without the role should not learn (the
    same answer as for a missing object)."""
    if not has_role(user, *roles):
        raise (Http404 if hide else PermissionDenied)(refusal)
