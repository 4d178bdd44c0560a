"""Roles of a tenant's people, as auth groups in the tenant's schema."""

from django.contrib.auth.models import Group

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
