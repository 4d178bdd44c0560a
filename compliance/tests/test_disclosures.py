"""Disclosures by region and version: UK, EU and US clients of one tenant each see and must
accept exactly their region's documents (by the holder's address, not the tenant's country);
publishing a new version asks again; funding is refused until they are accepted."""

from decimal import Decimal

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from branding.pages import DisclosurePage
from clientportal.models import WithdrawalRequest
from clientportal.services import withdrawal_request_create
from compliance.disclosures import disclosure_content_hash, disclosures_for, disclosures_pending
from compliance.models import DisclosureAcceptance
from compliance.services.disclosures import DisclosuresPending, disclosure_accept
from ledger.services import account_open, cash_deposit
from onboarding.models import Application
from onboarding.selectors import client_country
from tests.support.branding import content_page_add
from tests.support.factories import user_make
from tests.support.tenants import login, tenant_client

PAGES = [
    ("MiFID II costs and charges", "EU", "costs_charges"),
    ("MiFID II appropriateness", "EU", "appropriateness"),
    ("UK costs and charges", "UK", "costs_charges"),
    ("UK appropriateness", "UK", "appropriateness"),
    ("Margin disclosure statement", "US", "margin"),
    ("Characteristics and Risks of Standardized Options", "US", "options_odd"),
    ("Day-trading risk disclosure", "US", "day_trading"),
    ("Privacy notice", "", "firm"),
]


def _pages():
    return {
        title: content_page_add(
            DisclosurePage(
                title=title,
                region=region,
                topic=topic,
                version="2026-1",
                body=f"<p>{title} text.</p>",
            )
        )
        for title, region, topic in PAGES
    }


def _client(tenant, username, country):
    user = user_make(tenant=tenant, username=username, roles=["Client"])
    with tenant_context(tenant):
        Application.objects.create(first_name=username, country=country, user=user)
    return user


def _today():
    return timezone.now().date()


def test_uk_eu_and_us_clients_each_see_exactly_their_regions_documents(tenant_a):
    # given a US tenant with clients living in the UK, Germany and the US
    uk = _client(tenant_a, "holder-uk", "GB")
    eu = _client(tenant_a, "holder-de", "DE")
    us = _client(tenant_a, "holder-us", "US")
    with tenant_context(tenant_a):
        _pages()
        # when
        seen = {
            user.username: sorted(
                p.title
                for p in disclosures_pending(
                    user=user, country=client_country(user=user), today=_today()
                )
            )
            for user in (uk, eu, us)
        }
    # then
    assert seen == {
        "holder-uk": ["Privacy notice", "UK appropriateness", "UK costs and charges"],
        "holder-de": ["MiFID II appropriateness", "MiFID II costs and charges", "Privacy notice"],
        "holder-us": [
            "Characteristics and Risks of Standardized Options",
            "Day-trading risk disclosure",
            "Margin disclosure statement",
            "Privacy notice",
        ],
    }


def test_acceptance_stores_who_when_the_texts_hash_and_the_address(in_tenant_a, tenant_a):
    user = _client(tenant_a, "holder-fr", "FR")
    with tenant_context(tenant_a):
        pages = _pages()
        page = pages["MiFID II costs and charges"]
        acceptance = disclosure_accept(user=user, page=page, ip="10.4.4.4")
        again = disclosure_accept(user=user, page=page, ip="10.4.4.5")
        assert again.pk == acceptance.pk
        stored = DisclosureAcceptance.objects.get(pk=acceptance.pk)
        assert (stored.username, stored.version, stored.ip) == ("holder-fr", "2026-1", "10.4.4.4")
        assert stored.content_sha256 == disclosure_content_hash(page)
        pending = disclosures_pending(user=user, country="FR", today=_today())
        assert sorted(p.title for p in pending) == ["MiFID II appropriateness", "Privacy notice"]


def test_publishing_a_new_version_asks_again(tenant_a):
    user = _client(tenant_a, "holder-gb2", "GB")
    with tenant_context(tenant_a):
        pages = _pages()
        for page in disclosures_for(country="GB", today=_today()):
            disclosure_accept(user=user, page=page)
        assert disclosures_pending(user=user, country="GB", today=_today()) == []
        # when a new version is published
        page = DisclosurePage.objects.get(pk=pages["UK costs and charges"].pk)
        page.version, page.body = "2026-2", "<p>New charges.</p>"
        page.save_revision().publish()
        # then
        pending = disclosures_pending(user=user, country="GB", today=_today())
        assert [(p.title, p.version) for p in pending] == [("UK costs and charges", "2026-2")]


def test_a_version_in_force_later_is_not_asked_yet(tenant_a):
    import datetime as dt

    with tenant_context(tenant_a):
        content_page_add(
            DisclosurePage(
                title="Next year's charges",
                region="US",
                version="2027-1",
                effective_date=_today() + dt.timedelta(days=30),
                body="<p>Later.</p>",
            )
        )
        assert "Next year's charges" not in [
            p.title for p in disclosures_for(country="US", today=_today())
        ]


def test_funding_is_refused_until_the_disclosures_are_accepted_and_reading_is_free(tenant_a):
    # given a US client with cash and the US documents published
    user = _client(tenant_a, "holder-us2", "US")
    with tenant_context(tenant_a):
        _pages()
        account = account_open(tenant=tenant_a, title="Holder US", account_type="individual")
        cash_deposit(
            account=account, amount=Decimal(1000), currency="USD", idempotency_key=f"d{account.pk}"
        )
        from guardian.shortcuts import assign_perm

        for perm in ("view_account", "fund_account"):
            assign_perm(f"ledger.{perm}", user, account)
        # when
        with pytest.raises(DisclosuresPending, match="Margin disclosure statement"):
            withdrawal_request_create(
                user=user,
                tenant=tenant_a,
                account=account,
                amount=Decimal(10),
                currency="USD",
                destination="IBAN US",
            )
        # then nothing was written
        assert not WithdrawalRequest.objects.filter(requested_by=user).exists()
    # reading is free: the portal shows the documents, and the dashboard sends there once
    client = login(tenant_client(tenant_a), user, tenant_a)
    first = client.get("/")
    assert first.status_code == 302 and first["Location"] == "/disclosures/"
    shown = client.get("/disclosures/").content.decode()
    assert shown.count('class="card disclosure"') == 4
    assert "Margin disclosure statement" in shown and "UK appropriateness" not in shown
    assert "to accept before you can fund or trade" in client.get("/").content.decode()
    # when every one is accepted through the page
    with tenant_context(tenant_a):
        ids = [p.pk for p in disclosures_for(country="US", today=_today())]
    for page_id in ids:
        assert client.post(f"/disclosures/{page_id}/accept/").status_code == 302
    assert 'id="disclosures-all-accepted"' in client.get("/disclosures/").content.decode()
    # then funding goes through
    with tenant_context(tenant_a):
        request = withdrawal_request_create(
            user=user,
            tenant=tenant_a,
            account=account,
            amount=Decimal(10),
            currency="USD",
            destination="IBAN US",
        )
        assert request.status == "pending"
        accepted = DisclosureAcceptance.objects.filter(user_id=user.pk)
        assert sorted(accepted.values_list("page_id", flat=True)) == sorted(ids)


def test_another_regions_page_cannot_be_accepted(tenant_a):
    user = _client(tenant_a, "holder-us3", "US")
    with tenant_context(tenant_a):
        pages = _pages()
    client = login(tenant_client(tenant_a), user, tenant_a)
    response = client.post(f"/disclosures/{pages['UK appropriateness'].pk}/accept/")
    assert response.status_code == 404
    with tenant_context(tenant_a):
        assert not DisclosureAcceptance.objects.filter(user_id=user.pk).exists()


def test_trading_is_refused_until_the_disclosures_are_accepted(in_tenant_a):
    from trading.checks import run_checks
    from trading.services.orders import intent_for
    from trading.tests.factories import stock_make, ticket, trader_make

    # given a US client with the trade right, cash, and the US documents published
    user, account = trader_make(in_tenant_a)
    Application.objects.create(first_name="Tra", last_name="Der", country="US", user=user)
    pages = _pages()
    stock = stock_make("100")

    def blocking():
        intent = intent_for(ticket=ticket(account, stock), user=user)
        return [r for r in run_checks(intent) if r.blocks]

    # when the client orders before accepting
    [refused] = blocking()
    # then the order is blocked, naming the region's documents
    assert refused.code == "disclosures_pending"
    assert "Margin disclosure statement (version 2026-1)" in refused.reason
    assert "UK appropriateness" not in refused.reason
    us_pages = [p for p in pages.values() if p.region in ("US", "")]
    assert sorted(map(int, refused.figures["pages"].split(", "))) == sorted(p.pk for p in us_pages)
    # when every one is accepted, the same order passes
    for page in us_pages:
        disclosure_accept(user=user, page=page)
    assert blocking() == []
    # and a new version asks again before the next order
    margin = pages["Margin disclosure statement"]
    margin.version = "2026-2"
    margin.body = "<p>Margin, revised.</p>"
    margin.save_revision().publish()
    assert [r.code for r in blocking()] == ["disclosures_pending"]


def test_paper_orders_are_not_held_to_the_disclosures(in_tenant_a):
    from trading.checks import run_checks
    from trading.services import paper_account_open
    from trading.services.orders import intent_for
    from trading.tests.factories import stock_make, ticket, trader_make

    # given a US client who has not accepted the US documents, and its paper account
    user, account = trader_make(in_tenant_a)
    Application.objects.create(first_name="Pa", last_name="Per", country="US", user=user)
    _pages()
    paper = paper_account_open(user=user, tenant=in_tenant_a)
    stock = stock_make("100")

    def codes(on):
        return [r.code for r in run_checks(intent_for(ticket=ticket(on, stock), user=user))]

    # then real money waits for the acceptance, paper money does not
    assert "disclosures_pending" in codes(account)
    assert "disclosures_pending" not in codes(paper)
