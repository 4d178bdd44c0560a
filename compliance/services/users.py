"""Staff and client logins, their roles, deactivation, view-only, 2FA reset and unlock."""

from axes.utils import reset as axes_reset
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django_otp import devices_for_user
from guardian.models import UserObjectPermission

from compliance.api_keys.services import api_keys_revoke_for_user
from compliance.login_attempts import login_failures_clear
from tenants.roles import ALL_ROLES, CLIENT, STAFF_ROLES, VIEWER

from .audit import audit_record


def _target(user) -> str:
    return f"user:{user.get_username()}"


def _role_names(user) -> list[str]:
    return sorted(user.groups.filter(name__in=ALL_ROLES).values_list("name", flat=True))


def _user_new(*, email: str, first_name: str, last_name: str, is_staff: bool):
    user_model = get_user_model()
    email = user_model.objects.normalize_email(email).strip()
    if user_model.objects.filter(username__iexact=email).exists():
        raise ValidationError({"email": "A login with this e-mail address already exists."})
    user = user_model(
        username=email, email=email, first_name=first_name, last_name=last_name, is_staff=is_staff
    )
    user.set_unusable_password()  # the person sets it through an invitation link
    user.full_clean(exclude=["password"])
    user.save()
    return user


@transaction.atomic
def staff_user_create(
    *, actor, email: str, first_name: str, last_name: str, roles: list[str], ip: str | None = None
):
    """A staff login with the given staff roles; it has no password until the invitation
    (see `invitation_create`) is accepted, and must enrol a second factor then."""
    unknown = sorted(set(roles) - set(STAFF_ROLES))
    if unknown or not roles:
        raise ValidationError({"roles": f"Unknown or no staff roles: {unknown or roles}."})
    user = _user_new(email=email, first_name=first_name, last_name=last_name, is_staff=True)
    user.groups.set(Group.objects.filter(name__in=roles))
    audit_record(
        actor=actor,
        action="user.create",
        target=_target(user),
        details={"kind": "staff", "roles": sorted(roles)},
        ip=ip,
    )
    return user


@transaction.atomic
def client_user_create(
    *, actor, email: str, first_name: str, last_name: str, ip: str | None = None
):
    """An end client's login (role Client, no password yet). Account grants come separately
    through `grant_add`."""
    user = _user_new(email=email, first_name=first_name, last_name=last_name, is_staff=False)
    user.groups.set(Group.objects.filter(name=CLIENT))
    audit_record(
        actor=actor, action="user.create", target=_target(user), details={"kind": "client"}, ip=ip
    )
    return user


@transaction.atomic
def user_roles_set(*, actor, user, roles: list[str], ip: str | None = None):
    """Replace the user's role groups (other groups are kept)."""
    unknown = sorted(set(roles) - set(ALL_ROLES))
    if unknown:
        raise ValidationError({"roles": f"Unknown roles: {unknown}."})
    before = _role_names(user)
    keep = list(user.groups.exclude(name__in=ALL_ROLES))
    user.groups.set([*keep, *Group.objects.filter(name__in=roles)])
    is_staff = any(role in STAFF_ROLES for role in roles)
    if user.is_staff != is_staff:
        user.is_staff = is_staff
        user.save(update_fields=["is_staff"])
    if before != sorted(roles):
        api_keys_revoke_for_user(actor=actor, user=user, reason="roles changed", ip=ip)
    audit_record(
        actor=actor,
        action="user.roles_set",
        target=_target(user),
        details={"before": before, "after": sorted(roles)},
        ip=ip,
    )
    return user


@transaction.atomic
def user_deactivate(*, actor, user, ip: str | None = None):
    """The login stops working at once: inactive users are not authenticated by any backend
    (their open sessions resolve to anonymous) and their API keys are revoked."""
    if actor is not None and actor.pk == user.pk:
        raise ValidationError("You cannot deactivate your own login.")
    user.is_active = False
    user.save(update_fields=["is_active"])
    api_keys_revoke_for_user(actor=actor, user=user, reason="user deactivated", ip=ip)
    audit_record(actor=actor, action="user.deactivate", target=_target(user), ip=ip)
    return user


@transaction.atomic
def user_make_view_only(*, actor, user, ip: str | None = None):
    """Keep what the user may see, remove everything they may do: trade, fund and report
    grants go, and a staff user's roles become Viewer."""
    removed = UserObjectPermission.objects.filter(
        user=user,
        content_type__app_label="ledger",
        permission__codename__in=["trade_account", "fund_account", "report_account"],
    ).delete()[0]
    before = _role_names(user)
    if user.is_staff:
        keep = list(user.groups.exclude(name__in=ALL_ROLES))
        user.groups.set([*keep, Group.objects.get(name=VIEWER)])
    audit_record(
        actor=actor,
        action="user.view_only",
        target=_target(user),
        details={
            "grants_removed": removed,
            "roles_before": before,
            "roles_after": _role_names(user),
        },
        ip=ip,
    )
    return user


@transaction.atomic
def user_2fa_reset(*, actor, user, ip: str | None = None) -> int:
    """Delete every second-factor device (TOTP, recovery codes, passkeys) of the user: their
    sessions lose verification and the next login asks for a new enrolment."""
    removed = 0
    for device in list(devices_for_user(user, confirmed=None)):
        device.delete()
        removed += 1
    api_keys_revoke_for_user(actor=actor, user=user, reason="second factor reset", ip=ip)
    audit_record(
        actor=actor, action="2fa.reset", target=_target(user), details={"devices": removed}, ip=ip
    )
    return removed


@transaction.atomic
def lockout_unlock(*, actor, username: str, ip: str | None = None) -> int:
    """Clear the failed-login lockouts of `username` (from every IP address) and its
    per-username wait."""
    cleared = axes_reset(username=username)
    login_failures_clear(username)
    audit_record(
        actor=actor,
        action="lockout.unlock",
        target=f"user:{username}",
        details={"attempts_cleared": cleared},
        ip=ip,
    )
    return cleared


@transaction.atomic
def user_email_change(*, actor, user, email: str, ip: str | None = None):
    """The address password resets are sent to: the caller has checked the password (ASVS 5.0
    7.5.1). The login name stays as it is."""
    user_model = get_user_model()
    email = user_model.objects.normalize_email(email).strip()
    before = user.email
    if email == before:
        return user
    user.email = email
    user.save(update_fields=["email"])
    audit_record(
        actor=actor,
        action="user.email_change",
        target=_target(user),
        details={"before": before, "after": email},
        ip=ip,
    )
    return user
