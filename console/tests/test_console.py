"""The operator console on the public host: second factor and timeouts, provisioning a tenant
with its Security Officer's invitation, suspend and resume, instruments, market data, health."""

import time
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import schema_context

from compliance.models import Invitation
from compliance.sessions import AUTH_AT, LAST_SEEN
from ledger.models import FxRate, Instrument, Price
from tenants.models import Domain, Tenant
from tests.support.factories import PASSWORD
from tests.support.tenants import login

PLATFORM = "platform.localhost"
PAGES = [
    "/console/",
    "/console/tenants/new/",
    "/console/instruments/",
    "/console/market/",
    "/console/health/",
]


def _operator(username="console-ops@platform.test"):
    with schema_context("public"):
        return get_user_model().objects.create_user(
            username=username, email=username, password=PASSWORD, is_staff=True, is_superuser=True
        )


def _public():
    return Tenant.objects.get(schema_name="public")


def _console(verified=True):
    return login(Client(HTTP_HOST=PLATFORM), _operator(), _public(), verified=verified)


def test_v6_3_3_operator_console_refuses_a_session_without_a_confirmed_second_factor(db):
    # given: an operator past the password step only, and nobody at all
    half = _console(verified=False)
    anonymous = Client(HTTP_HOST=PLATFORM)
    # when
    answers = [half.get(page) for page in PAGES]
    posted = half.post("/console/tenants/new/", {"name": "Sneaky", "domain": "sneaky.test"})
    nobody = anonymous.get("/console/")
    # then: every page and the POST go to the second-factor step; nothing provisioned
    assert [a["Location"].split("?")[0] for a in answers] == ["/operator/verify/"] * len(PAGES)
    assert posted["Location"].startswith("/operator/verify/")
    assert nobody.status_code == 302 and "/admin/login/" in nobody["Location"]
    assert not Domain.objects.filter(domain="sneaky.test").exists()


def _session_device(client, device) -> None:
    """Put `device` in the session as if it had verified it (sessions live in public)."""
    with schema_context("public"):
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()


def test_v6_3_3_admin_and_console_refuse_a_session_whose_factor_is_unconfirmed_or_not_its_own(
    db, tenant_b
):
    # given: one operator whose session names its own authenticator, never confirmed, and one
    # whose session names another operator's confirmed authenticator
    unconfirmed = _operator("console-unconfirmed@platform.test")
    borrower = _operator("console-borrower@platform.test")
    owner = _operator("console-owner@platform.test")
    with schema_context("public"):
        pending = TOTPDevice.objects.create(user=unconfirmed, name="pending", confirmed=False)
        theirs = TOTPDevice.objects.create(user=owner, name="theirs", confirmed=True)
    sessions = []
    for user, device in ((unconfirmed, pending), (borrower, theirs)):
        client = login(Client(HTTP_HOST=PLATFORM), user, _public(), verified=False)
        _session_device(client, device)
        sessions.append(client)
    admin_pages = ["/admin/", "/admin/tenants/tenant/", f"/admin/tenants/tenant/{tenant_b.pk}/"]
    instruments = Instrument.objects.count()
    for client in sessions:
        # when
        answers = [client.get(page) for page in [*admin_pages, *PAGES]]
        posts = [
            client.post(f"/admin/tenants/tenant/{tenant_b.pk}/change/", {"name": "Renamed"}),
            client.post(f"/console/tenants/{tenant_b.pk}/status/", {"status": "suspended"}),
            client.post(
                "/console/instruments/new/",
                {"symbol": "SNKY", "currency": "USD", "asset_class": "STK", "conid": "771"},
            ),
        ]
        # then: every page and every POST goes to the second-factor step; nothing written
        assert [(a.status_code, a["Location"].split("?")[0]) for a in answers + posts] == [
            (302, "/operator/verify/")
        ] * (len(admin_pages) + len(PAGES) + len(posts))
    tenant_b.refresh_from_db()
    assert tenant_b.status == "active" and tenant_b.name != "Renamed"
    assert Instrument.objects.count() == instruments
    # and the same login with its own factor, once confirmed, gets in (the refusal above is
    # the factor's, not the pages')
    with schema_context("public"):
        pending.confirmed = True
        pending.save()
    _session_device(sessions[0], pending)
    assert sessions[0].get("/admin/tenants/tenant/").status_code == 200
    assert sessions[0].get("/console/").status_code == 200


def test_operator_console_session_ends_after_the_idle_timeout(db, settings):
    # given a verified operator idle for longer than allowed
    client = _console()
    assert client.get("/console/").status_code == 200
    with schema_context("public"):
        session = client.session
        now = int(time.time())
        session[AUTH_AT] = now - 60
        session[LAST_SEEN] = now - settings.STAFF_IDLE_TIMEOUT_S - 5
        session.save()
    # when
    response = client.get("/console/")
    # then
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_operator_provisions_a_tenant_and_its_security_officer_is_invited(
    db, django_capture_on_commit_callbacks
):
    # given
    client = _console()
    form = {
        "name": "Quayside Capital",
        "domain": "quayside.test",
        "schema_name": "",
        "kind": "advisor_firm",
        "country": "gb",
        "security_officer_email": "so@quayside.test",
    }
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/console/tenants/new/", form)
    listing = client.get("/console/")
    # then
    assert response.status_code == 302 and response["Location"] == "/console/"
    tenant = Tenant.objects.get(domains__domain="quayside.test")
    assert (tenant.schema_name, tenant.kind, tenant.country) == ("quayside", "advisor_firm", "GB")
    with schema_context("quayside"):
        officer = get_user_model().objects.get(username="so@quayside.test")
        groups = list(officer.groups.values_list("name", flat=True))
        invitations = Invitation.objects.filter(user=officer, used_at__isnull=True).count()
    assert (groups, officer.is_staff, officer.has_usable_password()) == (
        ["Security Officer"],
        True,
        False,
    )
    assert invitations == 1
    [message] = [m for m in mail.outbox if m.to == ["so@quayside.test"]]
    assert "http://quayside.test/auth/invitation/" in message.body
    row = next(r for r in listing.context["rows"] if r.tenant.pk == tenant.pk)
    assert (row.domain, row.users, row.accounts) == ("quayside.test", 1, 0)


def test_provisioning_refuses_a_domain_in_use_and_writes_nothing(db, tenant_a):
    # given
    client = _console()
    before = Tenant.objects.count()
    # when
    response = client.post(
        "/console/tenants/new/",
        {
            "name": "Copycat",
            "domain": "tenant-a.test",
            "schema_name": "copycat",
            "kind": "introducing_broker",
            "country": "US",
            "security_officer_email": "so@copycat.test",
        },
    )
    # then
    assert response.status_code == 200
    assert "already in use" in response.content.decode()
    assert Tenant.objects.count() == before


def test_operator_suspends_and_resumes_a_tenant(db, tenant_b):
    # given
    client = _console()
    # when
    client.post(f"/console/tenants/{tenant_b.pk}/status/", {"status": "suspended"})
    tenant_b.refresh_from_db()
    suspended = tenant_b.status
    client.post(f"/console/tenants/{tenant_b.pk}/status/", {"status": "active"})
    tenant_b.refresh_from_db()
    # then
    assert (suspended, tenant_b.status) == ("suspended", "active")


def test_operator_adds_edits_and_finds_an_instrument(db):
    # given
    client = _console()
    # when
    created = client.post(
        "/console/instruments/new/",
        {
            "symbol": "QSDX",
            "currency": "usd",
            "asset_class": "STK",
            "conid": "998877",
            "description": "Quayside Index Fund",
        },
    )
    instrument = Instrument.objects.get(conid=998877)
    edited = client.post(
        f"/console/instruments/{instrument.pk}/",
        {
            "symbol": "QSDX",
            "currency": "USD",
            "asset_class": "STK",
            "conid": "998877",
            "description": "Quayside Index Fund plc",
            "exchange": "NYSE",
        },
    )
    found = client.get("/console/instruments/", {"q": "quayside"})
    bad = client.post(
        "/console/instruments/new/",
        {"symbol": "BAD", "currency": "USD", "asset_class": "STK", "isin": "XX0000000000"},
    )
    # then
    instrument.refresh_from_db()
    assert created.status_code == 302 and edited.status_code == 302
    assert (instrument.description, instrument.exchange, instrument.version) == (
        "Quayside Index Fund plc",
        "NYSE",
        2,
    )
    assert [i.symbol for i in found.context["instruments"]] == ["QSDX"]
    assert bad.status_code == 200 and not Instrument.objects.filter(symbol="BAD").exists()


def test_operator_uploads_closes_and_fx_rates_and_sees_the_latest(db):
    # given
    client = _console()
    instrument = Instrument.objects.create(
        symbol="UPLD", asset_class="STK", currency="USD", conid=445566
    )
    today = timezone.localdate()
    prices = f"conid,date,close\n445566,{today:%Y-%m-%d},101.25\n"
    rates = f"date,from_currency,to_currency,rate\n{today:%Y-%m-%d},EUR,USD,1.0825\n"
    broken = "conid,date,close\n445566,not-a-date,1\n"
    # when
    client.post("/console/market/", {"kind": "prices", "file": _upload(prices)})
    client.post("/console/market/", {"kind": "fx", "file": _upload(rates)})
    refused = client.post("/console/market/", {"kind": "prices", "file": _upload(broken)})
    page = client.get("/console/market/")
    # then
    assert Price.objects.get(instrument=instrument, date=today).close == Decimal("101.25")
    assert FxRate.objects.get(currency="EUR", date=today).usd_per_unit == Decimal("1.0825")
    assert refused.status_code == 200 and "row" in refused.content.decode()
    latest = {i.symbol: i.latest_close for i in page.context["instruments"]}
    assert latest["UPLD"] == Decimal("101.25")


def test_health_page_reports_the_services(db):
    # when
    response = _console().get("/console/health/")
    # then
    assert response.status_code == 200
    assert response.context["checks"]["database"] == "ok"


def _upload(text: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("data.csv", text.encode(), content_type="text/csv")
