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


# The user's role names, read once per user object: a request asks for them many times (the
# Broker Portal's menu, its home tiles, the view), and each request loads its user afresh.
# As Django's ModelBackend keeps `_perm_cache` on the user object, a change of roles made
# through another object of the same user is seen by a new object (the next request);
# changes through this object's own `groups` manager clear it (`role_cache_clear`).
ROLE_CACHE = "_role_names"


def role_names(user) -> frozenset[str]:
    """The names of the groups (roles) `user` belongs to: one query per user object."""
    names = getattr(user, ROLE_CACHE, None)
    if names is None:
        names = frozenset(user.groups.values_list("name", flat=True))
        setattr(user, ROLE_CACHE, names)
    return names


def role_cache_clear(sender, instance, action, reverse, pk_set=None, **kwargs) -> None:
    """`m2m_changed` of the users' groups: forget the cached role names of the user object
    whose groups changed (when changed from a group, of none: the users are not at hand,
    and the next request reads them afresh)."""
    if action.startswith("post_") and not reverse:
        instance.__dict__.pop(ROLE_CACHE, None)


def has_role(user, *roles: str) -> bool:
    """Whether an active, signed-in user holds one of `roles` (superusers hold every role)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.is_superuser or not role_names(user).isdisjoint(roles)


def role_required(
    user, *roles: str, refusal: str = "You may not do this.", hide: bool = False
) -> None:
    """Refuse a user without one of `roles`: PermissionDenied (403) with `refusal`, or, with
    `hide`, Http404, for screens whose existence a user without the role should not learn (the
    same answer as for a missing object)."""
    if not has_role(user, *roles):
        raise (Http404 if hide else PermissionDenied)(refusal)
