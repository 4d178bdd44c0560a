"""Demo second factors: every demo login gets a confirmed TOTP authenticator whose secret is
derived from the tenant schema, the username and the published DEMO_TOTP_SEED, and three
recovery codes derived the same way. `manage.py demo_totp <schema> <username>` prints the
current code, so the demo can be logged into with the second factor on.

Never use this outside the demo tenants: anyone who knows the seed can compute the codes.
"""

import hashlib
import hmac
import time

from django.contrib.auth import get_user_model
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from compliance.otp_recovery.models import RecoveryCodeDevice
from compliance.services.otp import RECOVERY_DEVICE_NAME, recovery_codes_regenerate

# Publicly documented (README); derives the demo logins' TOTP secrets.
DEMO_TOTP_SEED = "brokerportal-demo-totp-2026"  # noqa: S105
DEMO_DEVICE_NAME = "demo authenticator"
DEMO_RECOVERY_CODE_COUNT = 3


def _derive(schema_name: str, username: str, purpose: str) -> bytes:
    message = f"{purpose}:{schema_name}:{username}".encode()
    return hmac.new(DEMO_TOTP_SEED.encode(), message, hashlib.sha256).digest()


def demo_totp_key(schema_name: str, username: str) -> str:
    """The hex TOTP key (20 bytes, as django-otp stores it) of a demo login."""
    return _derive(schema_name, username, "totp")[:20].hex()


def demo_recovery_codes(schema_name: str, username: str) -> list[str]:
    digest = _derive(schema_name, username, "recovery").hex()
    return [digest[i * 10 : (i + 1) * 10] for i in range(DEMO_RECOVERY_CODE_COUNT)]


def demo_totp_code(schema_name: str, username: str, at: float | None = None) -> str:
    """The 6-digit code of a demo login at `at` (default: now)."""
    generator = TOTP(bytes.fromhex(demo_totp_key(schema_name, username)), step=30, digits=6)
    generator.time = time.time() if at is None else at
    return f"{generator.token():06d}"


def demo_second_factors_ensure(*, schema_name: str, usernames: list[str]) -> int:
    """Give each demo login (in the current schema) its derived TOTP device and recovery codes,
    unless it has a confirmed TOTP device already. Returns how many were set up."""
    created = 0
    for user in get_user_model().objects.filter(username__in=usernames):
        if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            continue
        TOTPDevice.objects.create(
            user=user,
            name=DEMO_DEVICE_NAME,
            key=demo_totp_key(schema_name, user.username),
            confirmed=True,
        )
        if not RecoveryCodeDevice.objects.filter(user=user, name=RECOVERY_DEVICE_NAME).exists():
            recovery_codes_regenerate(
                user=user, audit=False, codes=demo_recovery_codes(schema_name, user.username)
            )
        created += 1
    return created


def demo_account_grants_ensure(*, schema_name: str, usernames: list[str]) -> int:
    """Each demo client may view, trade and fund its own accounts (demo.ledger marks them with
    `external_ref = demo:<username>`); a demo advisor may view, trade and report on its masters
    (which covers their subs). Logins that hold any grant already are left alone."""
    from guardian.models import UserObjectPermission

    from compliance.services import grant_add
    from demo.ledger import demo_account_numbers
    from ledger.models import Account
    from tenants.models import Tenant

    tenant = Tenant.objects.get(schema_name=schema_name)
    numbers = demo_account_numbers(tenant=tenant)
    granted = 0
    for user in get_user_model().objects.filter(username__in=usernames):
        owned = numbers.get(user.username)
        if (
            not owned
            or UserObjectPermission.objects.filter(
                user=user, content_type__app_label="ledger"
            ).exists()
        ):
            continue
        accounts = list(Account.objects.filter(tenant=tenant, number__in=owned))
        perms = ["view", "trade", "report"] if user.is_staff else ["view", "trade", "fund"]
        grant_add(actor=None, user=user, accounts=accounts, perms=perms, tenant=tenant)
        granted += 1
    return granted


# What each staff role may do on the accounts it works on (the demo's choice; a firm grants
# its own). The Advisor/Trader of an advisor firm also trades in its masters (demo.allocations).
STAFF_GRANTS = {
    "Security Officer": ["view"],
    "Onboarding Officer": ["view"],
    "Advisor/Trader": ["view", "trade", "report"],
    "Compliance Officer": ["view", "report"],
    "Viewer": ["view"],
}
STAFF_ACCOUNTS = 25  # besides the demo clients' own accounts


def demo_staff_grants_ensure(*, schema_name: str) -> int:
    """Every demo staff login gets its role's rights (STAFF_GRANTS) on the demo clients'
    accounts, the first masters and the first other accounts, so each role has clients'
    figures to work on; a login with grants on those clients already is left alone. Returns
    how many logins were granted."""
    from django.db.models import Q
    from guardian.models import UserObjectPermission

    from compliance.services import grant_add
    from ledger.models import Account
    from tenants.models import Tenant

    tenant = Tenant.objects.get(schema_name=schema_name)
    mine = Account.objects.filter(tenant=tenant)
    numbers = set(
        mine.filter(Q(external_ref__startswith="demo:") | Q(account_type="master"))
        .order_by("number")
        .values_list("number", flat=True)[:STAFF_ACCOUNTS]
    )
    numbers |= set(
        mine.filter(parent__isnull=True)
        .order_by("number")
        .values_list("number", flat=True)[:STAFF_ACCOUNTS]
    )
    accounts = list(mine.filter(number__in=numbers).order_by("number"))
    clients = [str(a.pk) for a in accounts if a.account_type != Account.Type.MASTER]
    granted = 0
    for user in get_user_model().objects.filter(is_staff=True, groups__name__in=STAFF_GRANTS):
        # Grants on masters alone (the advisor's desk) still leave the clients to be granted.
        if UserObjectPermission.objects.filter(
            user=user, content_type__app_label="ledger", object_pk__in=clients
        ).exists():
            continue
        perms = sorted({p for g in user.groups.all() for p in STAFF_GRANTS.get(g.name, [])})
        grant_add(actor=None, user=user, accounts=accounts, perms=perms, tenant=tenant)
        granted += 1
    return granted


def demo_role_permissions_ensure() -> None:
    """The demo's Compliance Officers start month-end statement runs and publish the portal's
    pages (announcements, disclosures, FAQs): Wagtail page permissions on the portal's root
    page, with the page explorer's access."""
    from django.contrib.auth.models import Group, Permission
    from wagtail.models import GroupPagePermission, Site

    group = Group.objects.filter(name="Compliance Officer").first()
    if group is None:
        return
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="branding",
            codename__in=["add_statementrun", "view_statementrun"],
        ),
        *Permission.objects.filter(content_type__app_label="wagtailadmin", codename="access_admin"),
    )
    root = Site.objects.get(is_default_site=True).root_page
    for codename in ("add_page", "change_page", "publish_page"):
        permission = Permission.objects.filter(
            content_type__app_label="wagtailcore", codename=codename
        ).first()
        if permission is not None:
            GroupPagePermission.objects.get_or_create(group=group, page=root, permission=permission)


def demo_access_seed(*, schema_name: str, usernames: list[str]) -> None:
    """Called by demo.seed.demo_seed inside the demo tenant's schema, after the ledger
    demo has opened the accounts."""
    demo_second_factors_ensure(schema_name=schema_name, usernames=usernames)
    demo_account_grants_ensure(schema_name=schema_name, usernames=usernames)
    demo_role_permissions_ensure()
