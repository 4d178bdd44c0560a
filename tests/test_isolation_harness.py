"""Tenant isolation, route by route.

Every URL pattern of the tenant URL conf (brokerportal.urls_tenant: the Broker Portal = Wagtail
admin, the API, the client portal, Wagtail pages) is requested on tenant A's host with the ids of
tenant B's objects, and on B's host with A's, by a superuser staff login and by a client login
with rights on all of its own tenant's accounts (both past the second factor). Each tenant's
objects carry marker strings; a response (body or Location) that contains the other tenant's
markers fails the harness, and so does a server error. How each route is filled lives in
tests/isolation_routes.py (read its header to add a route). The requests run once as the test
database's superuser and once as a role like production's, which the ledger's row-level
security binds.
"""

import re
import secrets
from dataclasses import dataclass, field
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django_tenants.utils import tenant_context

from tests.support.db_roles import app_role_create, requests_as
from tests.support.tenants import login, tenant_client

from . import isolation_routes as registry

TENANT_URLCONF = "brokerportal.urls_tenant"
ROUTE_ARG = re.compile(r"<(?:[^>:]+:)?([^>]+)>")


@dataclass
class Route:
    route: str  # the full pattern text, e.g. "broker/pages/<int:page_id>/edit/"
    name: str  # "namespace:name" or "" when unnamed
    named_args: tuple[str, ...]
    positional_count: int

    @property
    def has_args(self) -> bool:
        return bool(self.named_args) or self.positional_count > 0


def _pattern_args(pattern) -> tuple[tuple[str, ...], int]:
    regex = pattern.pattern.regex
    named = tuple(regex.groupindex)
    return named, regex.groups - len(named)


def tenant_routes(urlconf: str = TENANT_URLCONF) -> list[Route]:
    """Every URL pattern, recursively, with its full route text, name and arguments."""
    routes: list[Route] = []

    def walk(resolver, prefix: str, namespaces: tuple[str, ...], inherited: tuple, extra: int):
        for entry in resolver.url_patterns:
            text = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                named, positional = _pattern_args(entry)
                ns = namespaces + ((entry.namespace,) if entry.namespace else ())
                walk(entry, text, ns, inherited + named, extra + positional)
            elif isinstance(entry, URLPattern):
                named, positional = _pattern_args(entry)
                name = ":".join(namespaces + (entry.name,)) if entry.name else ""
                routes.append(Route(text, name, inherited + named, extra + positional))

    walk(get_resolver(urlconf), "", (), (), 0)
    return routes


def registry_entry(route: Route):
    """The registry entry for a route: by full name, else by the longest matching prefix."""
    if route.name and route.name in registry.ROUTES:
        return registry.ROUTES[route.name]
    prefixes = [
        key for key in registry.ROUTES if key.endswith("*") and route.route.startswith(key[:-1])
    ]
    if not prefixes:
        return None
    return registry.ROUTES[max(prefixes, key=len)]


def route_problems(route: Route, entry) -> list[str]:
    """Why the harness cannot fill `route` with `entry` (empty when it can)."""
    label = route.name or route.route
    if not route.has_args:
        return []
    if entry is None:
        return [f"{label} ({route.route}): no entry in tests/isolation_routes.py"]
    if isinstance(entry, registry.Skip):
        return []
    named = dict(entry.named)
    problems = [
        f"{label}: argument {arg!r} not filled" for arg in route.named_args if arg not in named
    ]
    if route.positional_count > len(entry.positional):
        problems.append(f"{label}: {route.positional_count} positional arguments, entry has fewer")
    for value in [*named.values(), *entry.positional]:
        if not isinstance(value, registry.Literal) and value not in registry.KINDS:
            problems.append(f"{label}: unknown kind {value!r}")
    return problems


# --- seeding ------------------------------------------------------------------------------------


@dataclass
class Seeded:
    tenant: object
    values: dict[str, str] = field(default_factory=dict)
    markers: list[str] = field(default_factory=list)


def seed_tenant(tenant, letter: str, nonce: str) -> Seeded:
    from ledger.models import Account

    seeded = Seeded(tenant=tenant)
    with tenant_context(tenant):
        for kind, seeder in registry.KINDS.items():
            marker = f"isomark{kind.replace('_', '')}{letter}{nonce}"
            seeded.values[kind] = str(seeder(tenant, marker))
            seeded.markers.append(marker)
    account = Account.objects.get(pk=seeded.values["account"])
    seeded.markers.append(account.number)
    connection.set_schema_to_public()
    return seeded


def probe_users(tenant, letter: str, nonce: str):
    """A superuser staff login and a client login granted every right on the tenant's accounts."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from compliance.services import grant_add
    from ledger.models import Account

    with tenant_context(tenant):
        model = get_user_model()
        staff = model.objects.create_superuser(
            username=f"probe-staff-{letter}{nonce}",
            email=f"staff-{letter}@probe.test",
            password=None,
        )
        client = model.objects.create_user(
            username=f"probe-client-{letter}{nonce}", email=f"client-{letter}@probe.test"
        )
        client.groups.add(Group.objects.get(name="Client"))
        accounts = list(Account.objects.filter(tenant=tenant))
        grant_add(
            actor=None, user=client, accounts=accounts, perms=["view", "trade", "fund", "report"]
        )
    connection.set_schema_to_public()
    return {"staff": staff, "client": client}


# --- requesting ----------------------------------------------------------------------------------


def _value(spec, other: Seeded) -> str:
    return spec.value if isinstance(spec, registry.Literal) else other.values[spec]


def build_path(route: Route, entry, other: Seeded) -> str:
    if not route.has_args:
        kwargs, args = {}, []
    else:
        named = dict(entry.named)
        kwargs = {arg: _value(named[arg], other) for arg in route.named_args}
        args = [_value(spec, other) for spec in entry.positional[: route.positional_count]]
    if route.name:
        return reverse(route.name, urlconf=TENANT_URLCONF, args=args or None, kwargs=kwargs or None)
    path = ROUTE_ARG.sub(lambda m: kwargs[m.group(1)], route.route)
    return "/" + path.lstrip("^").rstrip("$")


def _body(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def leaks(response, markers: list[str]) -> list[str]:
    text = _body(response) + response.get("Location", "").encode()
    lowered = text.lower()
    return [marker for marker in markers if marker.lower().encode() in lowered]


def test_every_tenant_route_is_known_to_the_harness():
    # given
    routes = tenant_routes()
    # when
    problems = [p for route in routes for p in route_problems(route, registry_entry(route))]
    # then
    assert len(routes) > 100  # the walk reached Wagtail's admin, the API and the portal
    assert problems == [], "\n".join(problems)


def test_route_without_entry_or_with_an_unfilled_argument_is_reported():
    # given: a new view the registry does not know, and one whose entry misses an argument
    new = Route("broker/new/<int:thing_id>/", "newapp:detail", ("thing_id",), 0)
    partial = Route("broker/users/x/<int:pk>/<int:other>/", "", ("pk", "other"), 0)
    # when
    problems = route_problems(new, registry_entry(new)) + route_problems(
        partial, registry_entry(partial)
    )
    # then
    assert problems == [
        "newapp:detail (broker/new/<int:thing_id>/): no entry in tests/isolation_routes.py",
        "broker/users/x/<int:pk>/<int:other>/: argument 'other' not filled",
    ]


def test_leak_detection_reads_body_and_redirect_target():
    # given
    from django.http import HttpResponse, HttpResponseRedirect, StreamingHttpResponse

    markers = ["isomarkaccountb1", "ISO00001B"]
    # when / then
    assert leaks(HttpResponse("<td>IsoMarkAccountB1</td>"), markers) == ["isomarkaccountb1"]
    assert leaks(HttpResponseRedirect("/x/?n=ISO00001B"), markers) == ["ISO00001B"]
    assert leaks(StreamingHttpResponse(iter([b"a,", b"iso00001b"])), markers) == ["ISO00001B"]
    assert leaks(HttpResponse("nothing here"), markers) == []


@pytest.fixture(params=["owner", "app_role"])
def database_role(request, db):
    """Every request once as the test database's own role (a superuser, which row-level security
    does not bind), once as a role like production's application role (neither superuser nor
    owner: the ledger's row-level security applies, tests.support.db_roles)."""
    if request.param == "owner":
        yield
        return
    role = app_role_create(schemas=("public", "tenant_a", "tenant_b"))
    with requests_as(role):
        yield


def harness_get(tenant_a, tenant_b) -> tuple[int, list[str]]:
    """Every probing login of each tenant GETs every tenant route with the other tenant's ids:
    (requests made, failures: a server error or a page showing the other tenant's markers)."""
    # given: marked objects of every kind in both tenants, and probing logins in both
    nonce = secrets.token_hex(3)
    seeded = {"a": seed_tenant(tenant_a, "a", nonce), "b": seed_tenant(tenant_b, "b", nonce)}
    users = {"a": probe_users(tenant_a, "a", nonce), "b": probe_users(tenant_b, "b", nonce)}
    routes = [
        route
        for route in tenant_routes()
        if route.name not in registry.SESSION_ENDING
        and not isinstance(registry_entry(route), registry.Skip)
        # unfillable routes are reported by test_every_tenant_route_is_known_to_the_harness
        and not route_problems(route, registry_entry(route))
    ]
    failures, requested = [], 0
    for here, there in (("a", "b"), ("b", "a")):
        tenant, other = seeded[here].tenant, seeded[there]
        for role, user in users[here].items():
            client = login(tenant_client(tenant, raise_request_exception=False), user, tenant)
            for route in routes:
                if role == "client" and route.route.startswith("broker/"):
                    continue  # clients have no Broker Portal access at all
                path = build_path(route, registry_entry(route), other)
                query = urlencode(
                    {"account": other.values["account"], "account_id": other.values["account"]}
                )
                variants = [path, f"{path}?{query}"] if not route.has_args else [f"{path}?{query}"]
                for url in variants:
                    # when
                    response = client.get(url)
                    requested += 1
                    # then (collected, reported together)
                    if response.status_code >= 500:
                        error = getattr(response, "exc_info", None)
                        cause = repr(error[1])[:160] if error else ""
                        failures.append(f"{here}/{role} GET {url}: {response.status_code} {cause}")
                    leaked = leaks(response, other.markers)
                    if leaked:
                        failures.append(f"{here}/{role} GET {url}: shows {leaked}")
    return requested, failures


@pytest.mark.django_db
def test_no_route_shows_the_other_tenants_data(tenant_a, tenant_b, database_role):
    requested, failures = harness_get(tenant_a, tenant_b)
    assert requested > 300
    assert failures == [], "\n".join(failures)


# --- POSTs ------------------------------------------------------------------------------------

# Tables every request may write whatever it is asked: the session (the last-seen stamp of the
# timeouts) and the login-attempt bookkeeping.
WRITE_EXEMPT = re.compile(r"^(django_session|axes_\w+)$")


def _write_counts() -> dict[tuple[str, str], int]:
    """(schema, table) → rows inserted, updated or deleted so far in this transaction."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT schemaname, relname, n_tup_ins + n_tup_upd + n_tup_del"
            " FROM pg_stat_xact_user_tables WHERE n_tup_ins + n_tup_upd + n_tup_del > 0"
        )
        return {(schema, table): count for schema, table, count in cursor.fetchall()}


def writes_between(before: dict, after: dict) -> list[str]:
    """The tables written between two `_write_counts`, but for the exempt ones."""
    return sorted(
        f"{schema}.{table}"
        for (schema, table), count in after.items()
        if count != before.get((schema, table), 0) and not WRITE_EXEMPT.match(table)
    )


def post_body(other: Seeded) -> dict[str, str]:
    """The other tenant's ids under the field names forms and the API use for them."""
    account = other.values["account"]
    return {
        "account": account,
        "account_id": account,
        "accounts": other.values["account_number"],
        "master": account,
        "user": other.values["user"],
        "user_id": other.values["user"],
        "group": other.values["group"],
        "application": other.values["application"],
        "thread": other.values["message_thread"],
        "block": other.values["block"],
        "id": account,
        "pk": account,
        "key": account,
        "kind": "negative_cash",
        "verb": "restrict",
        "reason": "isolation probe",
        "note": "isolation probe",
        "subject": "isolation probe",
        "body": "isolation probe",
        "amount": "1.00",
        "currency": "USD",
    }


# Kinds whose ids are the shared ledger's (public schema, unique across tenants): a URL naming
# one of the other tenant's never reaches an object of this tenant. Ids of tenant-schema kinds
# (pages, users, ...) do name this tenant's own objects when the numbers coincide, which the
# marker check of the GETs already tells apart.
LEDGER_KINDS = {"account", "account_number"}


def _names_other_tenants_ledger_object(route: Route, entry) -> bool:
    if not route.has_args or not isinstance(entry, registry.Fill):
        return False
    values = [*dict(entry.named).values(), *entry.positional]
    return any(not isinstance(v, registry.Literal) and v in LEDGER_KINDS for v in values)


def foreign_account_references(tenant) -> list[str]:
    """Rows of the tenant's schema that point at a ledger account of another tenant (or at a
    platform account): `model.field: count`, for every foreign key to ledger.Account."""
    from django.apps import apps

    from ledger.models import Account

    found = []
    with tenant_context(tenant):
        for model in apps.get_models():
            if model._meta.app_label in ("ledger", "tenants") or model._meta.proxy:
                continue
            for fk in model._meta.concrete_fields:
                if not fk.is_relation or fk.related_model is not Account:
                    continue
                foreign = Account.objects.exclude(tenant_id=tenant.pk).values("pk")
                count = model._base_manager.filter(**{f"{fk.attname}__in": foreign}).count()
                if count:
                    found.append(f"{model._meta.label}.{fk.name}: {count}")
    connection.set_schema_to_public()
    return found


@pytest.mark.django_db
def test_post_writes_are_detected():
    # given: a write in this transaction
    from django.contrib.auth.models import Group

    before = _write_counts()
    # when
    Group.objects.create(name=f"isoprobe-{secrets.token_hex(3)}")
    # then
    assert writes_between(before, _write_counts()) == ["public.auth_group"]


@pytest.mark.django_db
def _ledger_accounts_of(tenant) -> list[tuple]:
    from ledger.models import Account

    return list(
        Account.objects.filter(tenant=tenant)
        .order_by("pk")
        .values_list("pk", "number", "title", "status", "external_ref", "is_paper")
    )


def test_no_post_with_the_other_tenants_ids_writes_anything(tenant_a, tenant_b):
    """Every route is sent a POST with the other tenant's ids in its URL and its body, by the
    staff and the client login. No POST writes a row outside the requesting tenant's schema
    (sessions and login bookkeeping aside); a route whose URL names the other tenant's ledger
    account answers 404 (or 405 where it takes no POST) and writes nothing at all; and no row
    of either tenant refers to the other's accounts afterwards. As the database's own role,
    which row-level security does not bind, so only the application's checks stand between
    the request and the other tenant's rows."""
    # given
    nonce = secrets.token_hex(3)
    seeded = {"a": seed_tenant(tenant_a, "a", nonce), "b": seed_tenant(tenant_b, "b", nonce)}
    users = {"a": probe_users(tenant_a, "a", nonce), "b": probe_users(tenant_b, "b", nonce)}
    routes = [
        route
        for route in tenant_routes()
        if route.name not in registry.SESSION_ENDING
        and not isinstance(registry_entry(route), registry.Skip)
        and not route_problems(route, registry_entry(route))
        and route.name not in registry.POST_SKIP
    ]
    failures, posted = [], 0
    for here, there in (("a", "b"), ("b", "a")):
        tenant, other = seeded[here].tenant, seeded[there]
        body = post_body(other)
        for role, user in users[here].items():
            client = login(tenant_client(tenant, raise_request_exception=False), user, tenant)
            for route in routes:
                if role == "client" and route.route.startswith("broker/"):
                    continue
                entry = registry_entry(route)
                url = build_path(route, entry, other)
                before = _write_counts()
                own_ledger = route.name in registry.POST_OWN_LEDGER
                other_accounts = _ledger_accounts_of(other.tenant) if own_ledger else None
                # when
                response = client.post(url, body)
                posted += 1
                # then (collected, reported together)
                written = writes_between(before, _write_counts())
                elsewhere = [t for t in written if not t.startswith(f"{tenant.schema_name}.")]
                if own_ledger:
                    # the ledger's rows and the platform audit chain's record of that write
                    elsewhere = [
                        t
                        for t in elsewhere
                        if not t.startswith(("public.ledger_", "public.platform_audit_"))
                    ]
                    if _ledger_accounts_of(other.tenant) != other_accounts:
                        failures.append(f"{here}/{role} POST {url}: changed {there}'s accounts")
                if elsewhere:
                    failures.append(f"{here}/{role} POST {url}: wrote {elsewhere}")
                if response.status_code >= 500:
                    failures.append(f"{here}/{role} POST {url}: {response.status_code}")
                elif _names_other_tenants_ledger_object(route, entry):
                    if response.status_code not in (404, 405):
                        failures.append(f"{here}/{role} POST {url}: {response.status_code}")
                    if written:
                        failures.append(f"{here}/{role} POST {url}: wrote {written}")
                leaked = leaks(response, other.markers)
                if leaked:
                    failures.append(f"{here}/{role} POST {url}: shows {leaked}")
    failures += [
        f"{letter}: {ref}"
        for letter, seed in seeded.items()
        for ref in foreign_account_references(seed.tenant)
    ]
    assert posted > 300
    assert failures == [], "\n".join(failures)
