"""Demo data: two tenants with one staff user per role and a handful of clients.

Idempotent: running it again changes nothing that exists. Later parts of the product extend it
(ledger data, brands, applications) through their own services.
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django_tenants.utils import schema_context

from demo.allocations import allocations_demo_seed
from demo.branding import branding_demo_seed
from demo.compliance import demo_staff_grants_ensure
from demo.funding import funding_demo_seed
from demo.ledger import ledger_demo_seed
from demo.onboarding import onboarding_demo_seed
from demo.statements import statements_demo_seed
from tenants.models import Tenant
from tenants.roles import (
    ADVISOR,
    CLIENT,
    COMPLIANCE_OFFICER,
    ONBOARDING_OFFICER,
    SECURITY_OFFICER,
    VIEWER,
)
from tenants.services import tenant_provision

# Publicly documented demo credential (README); never used outside the demo tenants.
DEMO_PASSWORD = "demo-portal-2026"  # noqa: S105
# The demo's platform operator (public schema), with the same password and a derived TOTP.
DEMO_OPERATOR = "operator@platform.example"


@dataclass(frozen=True)
class DemoTenant:
    name: str
    legal_name: str
    schema_name: str
    domain: str
    country: str
    kind: str
    email_domain: str
    clients: tuple[tuple[str, str], ...]


DEMO_TENANTS = (
    DemoTenant(
        name="Northwind Securities",
        legal_name="Northwind Securities LLC",
        schema_name="northwind",
        domain="northwind.localhost",
        country="US",
        kind=Tenant.Kind.INTRODUCING_BROKER,
        email_domain="northwind.example",
        clients=(
            ("Alice", "Morgan"),
            ("José", "Müller"),
            ("Zoë", "Łukasiewicz"),
            ("Kenji", "Watanabe"),
            ("Priya", "Raman"),
        ),
    ),
    DemoTenant(
        name="Harbor Advisors",
        legal_name="Harbor Advisors Ltd",
        schema_name="harbor",
        domain="harbor.localhost",
        country="GB",
        kind=Tenant.Kind.ADVISOR_FIRM,
        email_domain="harbor.example",
        clients=(
            ("Oliver", "Bennett"),
            ("Amelia", "Clarke"),
            ("Noah", "Fischer"),
            ("Isla", "O'Brien"),
        ),
    ),
)

STAFF = (
    ("security", SECURITY_OFFICER),
    ("onboarding", ONBOARDING_OFFICER),
    ("advisor", ADVISOR),
    ("compliance", COMPLIANCE_OFFICER),
    ("viewer", VIEWER),
)


def demo_logins(demo: DemoTenant) -> list[tuple[str, str]]:
    """(username, role) of every demo login of a tenant."""
    staff = [(f"{prefix}@{demo.email_domain}", role) for prefix, role in STAFF]
    clients = [
        (f"{_ascii(first).lower()}.{_ascii(last).lower()}@{demo.email_domain}", CLIENT)
        for first, last in demo.clients
    ]
    return staff + clients


def _ascii(text: str) -> str:
    import unicodedata

    text = text.translate(str.maketrans({"Ł": "L", "ł": "l", "Ø": "O", "ø": "o", "ß": "ss"}))
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded if ch.isalnum())


def demo_refuse_unless_allowed() -> None:
    """The demo logins' password and TOTP seed are published: development and test only."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    if not settings.DEMO_ALLOWED:
        raise ImproperlyConfigured(
            "The demo logins are refused with these settings (DEMO_ALLOWED is off): their "
            "password and second-factor seed are public."
        )


@transaction.atomic
def demo_seed(*, small: bool = False) -> list[Tenant]:
    """Both demo tenants, their people, books, brands, pages, allocations and statements.
    `small` keeps the books to a few dozen accounts a tenant (the browser tests' demo)."""
    demo_refuse_unless_allowed()
    tenants = []
    for demo in DEMO_TENANTS:
        tenant = Tenant.objects.filter(schema_name=demo.schema_name).first()
        if tenant is None:
            tenant = tenant_provision(
                name=demo.name,
                legal_name=demo.legal_name,
                schema_name=demo.schema_name,
                domain=demo.domain,
                country=demo.country,
                kind=demo.kind,
                security_officer_email=f"security@{demo.email_domain}",
                security_officer_password=DEMO_PASSWORD,
            )
        ledger_demo_seed(tenant=tenant, small=small)
        with schema_context(demo.schema_name):
            _demo_users_ensure(demo)
            _demo_access_ensure(demo)
        onboarding_demo_seed(tenant=tenant)
        branding_demo_seed(tenant=tenant)
        allocations_demo_seed(tenant=tenant)
        with schema_context(demo.schema_name):
            demo_staff_grants_ensure(schema_name=demo.schema_name)
        statements_demo_seed(tenant=tenant)
        funding_demo_seed(tenant=tenant)
        tenants.append(tenant)
    demo_operator_ensure()
    return tenants


def demo_operator_ensure() -> None:
    """The demo's platform operator: DEMO_PASSWORD and a TOTP derived from the demo seed."""
    from demo.compliance import demo_second_factors_ensure

    demo_refuse_unless_allowed()
    with schema_context("public"):
        user_model = get_user_model()
        if not user_model.objects.filter(username=DEMO_OPERATOR).exists():
            user = user_model(
                username=DEMO_OPERATOR,
                email=DEMO_OPERATOR,
                first_name="Operator",
                last_name="Demo",
                is_staff=True,
                is_superuser=True,
            )
            user.set_password(DEMO_PASSWORD)
            user.save()
        demo_second_factors_ensure(schema_name="public", usernames=[DEMO_OPERATOR])


def _demo_users_ensure(demo: DemoTenant) -> None:
    user_model = get_user_model()
    groups = {g.name: g for g in Group.objects.all()}
    names = {f"{p}@{demo.email_domain}": (p.capitalize(), "Demo") for p, _ in STAFF}
    names.update(
        {
            f"{_ascii(first).lower()}.{_ascii(last).lower()}@{demo.email_domain}": (first, last)
            for first, last in demo.clients
        }
    )
    for username, role in demo_logins(demo):
        if user_model.objects.filter(username=username).exists():
            continue
        first, last = names[username]
        user = user_model(
            username=username,
            email=username,
            first_name=first,
            last_name=last,
            is_staff=role != CLIENT,
        )
        user.set_password(DEMO_PASSWORD)
        user.save()
        user.groups.add(groups[role])


def _demo_access_ensure(demo: DemoTenant) -> None:
    from demo.compliance import demo_access_seed

    demo_access_seed(schema_name=demo.schema_name, usernames=[u for u, _ in demo_logins(demo)])
