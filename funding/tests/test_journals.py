"""Journals between two of the tenant's accounts: booked within the limit, four eyes above it,
reversal, CSV batches all or nothing, and refusals that change nothing."""

from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django_tenants.utils import tenant_context

from funding.models import FundingSettings, Journal, JournalBatch
from ledger.models import CashBalance, JournalEntry, Position
from ledger.services import account_open, cash_deposit
from ledger.tests.factories import fx_set, instrument_make
from tests.support.factories import user_make
from tests.support.tenants import login, tenant_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def books(tenant_a, tenant_b):
    maker = user_make(tenant=tenant_a, username="maker@example.com", roles=["Onboarding Officer"])
    checker = user_make(
        tenant=tenant_a, username="checker@example.com", roles=["Compliance Officer"]
    )
    with tenant_context(tenant_a):
        settings = FundingSettings.load()
        settings.journal_approval_limit = D("5000.00")
        settings.save()
    connection.set_schema_to_public()
    one = account_open(tenant=tenant_a, title="One", account_type="individual")
    two = account_open(tenant=tenant_a, title="Two", account_type="individual")
    foreign = account_open(tenant=tenant_b, title="Elsewhere", account_type="individual")
    cash_deposit(account=one, amount=D("20000"), currency="USD", idempotency_key=f"jt:{one.pk}")
    return tenant_a, maker, checker, one, two, foreign


def _cash(account, currency="USD"):
    row = CashBalance.objects.filter(account=account, currency=currency).first()
    return row.quantity if row else D(0)


def _cash_form(one, two, amount, token, **extra):
    return {
        "kind": "cash",
        "from_account": one.number,
        "to_account": two.number,
        "currency": "USD",
        "amount": amount,
        "token": token,
        **extra,
    }


def test_a_journal_within_the_limit_is_booked_at_once_and_reversible(books):
    tenant, maker, checker, one, two, foreign = books
    web = login(tenant_client(tenant), maker, tenant)
    # when: sent twice (the same token)
    first = web.post(reverse("funding_journal_new"), _cash_form(one, two, "1500.00", "k1"))
    again = web.post(reverse("funding_journal_new"), _cash_form(one, two, "1500.00", "k1"))
    # then
    with tenant_context(tenant):
        journal = Journal.objects.get()
    assert first["Location"] == again["Location"] == reverse("funding_journal", args=[journal.pk])
    assert (journal.status, journal.value_usd, journal.approver) == ("booked", D("1500.00"), None)
    assert journal.entry.idempotency_key == f"funding-journal:{tenant.schema_name}:{journal.pk}"
    assert (_cash(one), _cash(two)) == (D(18500), D(1500))
    # reversal by the checker
    checker_web = login(tenant_client(tenant), checker, tenant)
    checker_web.post(reverse("funding_journal_reverse", args=[journal.pk]))
    with tenant_context(tenant):
        journal.refresh_from_db()
    assert journal.status == "reversed" and journal.reversal_entry.reverses_id == journal.entry_id
    assert (_cash(one), _cash(two)) == (D(20000), D(0))


def test_above_the_limit_the_maker_cannot_approve_and_a_second_person_books_it(books):
    tenant, maker, checker, one, two, foreign = books
    web = login(tenant_client(tenant), maker, tenant)
    web.post(reverse("funding_journal_new"), _cash_form(one, two, "7500.00", "k2"))
    with tenant_context(tenant):
        journal = Journal.objects.get()
    assert journal.status == "pending" and _cash(two) == D(0)
    queue = web.get(reverse("funding_journals")).content.decode()
    assert journal.reference in queue
    # when: the maker tries to approve
    refused = web.post(reverse("funding_journal_approve", args=[journal.pk]), follow=True)
    assert "a second person must approve it (four eyes)" in refused.content.decode()
    with tenant_context(tenant):
        journal.refresh_from_db()
    assert journal.status == "pending" and _cash(two) == D(0)
    # when: the checker approves
    checker_web = login(tenant_client(tenant), checker, tenant)
    checker_web.post(reverse("funding_journal_approve", args=[journal.pk]))
    with tenant_context(tenant):
        journal.refresh_from_db()
    assert (journal.status, journal.approver_id) == ("booked", checker.pk)
    assert (_cash(one), _cash(two)) == (D(12500), D(7500))
    # approving again is refused and books nothing more
    entries = JournalEntry.objects.count()
    checker_web.post(reverse("funding_journal_approve", args=[journal.pk]))
    assert JournalEntry.objects.count() == entries


def test_a_position_journal_in_another_currency_is_valued_at_the_fx_rate(books):
    tenant, maker, checker, one, two, foreign = books
    instrument = instrument_make(currency="EUR")
    fx_set("EUR", timezone.localdate(), "1.10")
    from ledger.services import trade_book

    cash_deposit(account=one, amount=D("4000"), currency="EUR", idempotency_key=f"jt-eur:{one.pk}")
    trade_book(
        account=one,
        instrument=instrument,
        side="BUY",
        quantity=D(100),
        price=D(40),
        trade_date=timezone.localdate(),
        settle_date=timezone.localdate(),
        idempotency_key=f"jt-buy:{one.pk}",
    )
    web = login(tenant_client(tenant), maker, tenant)
    form = {
        "kind": "position",
        "from_account": one.number,
        "to_account": two.number,
        "symbol": instrument.symbol,
        "quantity": "30",
        "price": "40",
        "token": "k3",
    }
    web.post(reverse("funding_journal_new"), form)
    with tenant_context(tenant):
        journal = Journal.objects.get()
    assert (journal.status, journal.value_usd) == ("booked", D("1320.00"))
    assert Position.objects.get(account=two, instrument=instrument).quantity == D(30)
    assert Position.objects.get(account=one, instrument=instrument).quantity == D(70)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"to_account": "NOPE1"}, "No account NOPE1 in this firm."),
        ({"amount": "-5"}, "more than zero"),
        ({"currency": "US"}, "ISO 4217"),
        ({"kind": "gift"}, "cash or position"),
        ({"amount": "25000"}, "withdrawable cash"),
    ],
)
def test_bad_journals_are_refused_with_the_reason_and_nothing_written(books, change, message):
    tenant, maker, checker, one, two, foreign = books
    with tenant_context(tenant):
        FundingSettings.objects.update(journal_approval_limit=D("100000"))
    web = login(tenant_client(tenant), maker, tenant)
    entries = JournalEntry.objects.count()
    form = {**_cash_form(one, two, "10", "k4"), **change}
    response = web.post(reverse("funding_journal_new"), form)
    assert response.status_code == 400 and message in response.content.decode()
    assert JournalEntry.objects.count() == entries
    with tenant_context(tenant):
        assert not Journal.objects.exists()


def test_another_tenants_account_is_refused(books):
    tenant, maker, checker, one, two, foreign = books
    web = login(tenant_client(tenant), maker, tenant)
    response = web.post(reverse("funding_journal_new"), _cash_form(one, foreign, "10", "k5"))
    assert f"No account {foreign.number} in this firm." in response.content.decode()
    assert _cash(foreign) == D(0)


def _upload(web, text, name="journals.csv"):
    return web.post(
        reverse("funding_journal_upload"),
        {"file": SimpleUploadedFile(name, text.encode(), content_type="text/csv")},
    )


def test_a_csv_batch_books_all_or_nothing_and_once(books):
    tenant, maker, checker, one, two, foreign = books
    web = login(tenant_client(tenant), maker, tenant)
    header = "kind,from_account,to_account,currency,amount,symbol,quantity,price,memo\n"
    bad = (
        header
        + f"cash,{one.number},{two.number},USD,100,,,,rent\n"
        + f"cash,{one.number},NOPE2,USD,100,,,,\n"
        + f"cash,{one.number},{two.number},USD,x,,,,\n"
    )
    refused = _upload(web, bad)
    page = refused.content.decode()
    assert refused.status_code == 400
    assert "row 2: No account NOPE2 in this firm." in page and "row 3: The amount" in page
    with tenant_context(tenant):
        assert not Journal.objects.exists()
    good = (
        header
        + f"cash,{one.number},{two.number},USD,100,,,,rent\n"
        + f"cash,{two.number},{one.number},USD,40,,,,back\n"
        + f"cash,{one.number},{two.number},USD,6000,,,,big\n"
    )
    assert _upload(web, good).status_code == 302
    assert _upload(web, good).status_code == 302  # the same file again
    with tenant_context(tenant):
        assert JournalBatch.objects.count() == 1
        statuses = list(Journal.objects.order_by("id").values_list("status", flat=True))
    assert statuses == ["booked", "booked", "pending"]
    assert (_cash(one), _cash(two)) == (D(19940), D(60))
