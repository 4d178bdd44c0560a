"""The desk's verbs over the API: blocks, fills, groups and FIXML of allocations; execution
files; exceptions; orders; the funding desk's journals and batches. Each goes through the
screens' Action or service, with their rights, and answers the other tenant's ids with 404."""

import itertools
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django_tenants.utils import tenant_context

from allocations.models import Block
from allocations.tests.factories import grant, group_make, master_with_subs
from allocations.tests.factories import user_make as advisor_make
from events.models import Event
from funding.models import FundingSettings, Journal
from ledger.models import CashBalance, JournalEntry
from ledger.services import account_open, cash_deposit
from ledger.tests.factories import instrument_make
from tests.support.factories import user_make
from trading.models import Order
from trading.tests.factories import stock_make, trader_make

from .conftest import key_client, key_for

pytestmark = pytest.mark.django_db

_n = itertools.count(1)
ALL_SCOPES = ("read", "trade", "fund", "admin")


def _advisor_desk(tenant):
    with tenant_context(tenant):
        advisor = advisor_make(tenant)
        advisor.is_staff = True
        advisor.save(update_fields=["is_staff"])
        master, subs = master_with_subs(tenant, 2)
        grant(advisor, tenant, [master], perms=("view", "trade"))
        group = group_make(advisor, tenant, master, subs, method="ratios", values=[3, 1])
    connection.set_schema_to_public()
    return advisor, master, subs, group


def test_a_block_is_captured_filled_allocated_booked_and_exported(tenant_a, tenant_b):
    # given an advisor with trade on a master of two subs, and a group 3:1
    advisor, master, subs, group = _advisor_desk(tenant_a)
    instrument = instrument_make(f"APB{next(_n)}")
    api = key_client(tenant_a, key_for(tenant_a, advisor, scopes=ALL_SCOPES))
    body = {
        "master": master.pk,
        "symbol": instrument.symbol,
        "side": "buy",
        "trade_date": "2026-11-20",
        "group": group.pk,
        "fills": [{"quantity": "300", "price": "5", "executed_at": "2026-11-20T15:01:00Z"}],
    }
    # when: captured twice with one Idempotency-Key, then a second fill
    created = api.post(
        "/api/v1/allocations/blocks/",
        body,
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="b1",
    )
    again = api.post(
        "/api/v1/allocations/blocks/",
        body,
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="b1",
    )
    assert created.status_code == 201, created.content
    block_id = created.json()["id"]
    fill = api.post(
        f"/api/v1/allocations/blocks/{block_id}/fills/",
        {"quantity": "100", "price": "5", "executed_at": "2026-11-20T15:02:00Z"},
        content_type="application/json",
    )
    # then: one block of 400
    assert again.json() == created.json() and again["Idempotent-Replayed"] == "true"
    assert fill.status_code == 201 and D(fill.json()["quantity"]) == D(100)
    with tenant_context(tenant_a):
        assert Block.objects.filter(master_id=master.pk).count() == 1
    connection.set_schema_to_public()
    listed = api.get("/api/v1/allocations/blocks/").json()["results"]
    assert [(b["id"], D(b["filled"])) for b in listed] == [(block_id, D(400))]
    assert [g["id"] for g in api.get("/api/v1/allocations/groups/").json()["results"]] == [group.pk]
    # preview, book, FIXML
    preview = api.post(f"/api/v1/allocations/blocks/{block_id}/preview/", {"group": group.pk})
    assert [D(line["quantity"]) for line in preview.json()["lines"]] == [D(300), D(100)]
    allocation_id = preview.json()["id"]
    assert api.get(f"/api/v1/allocations/{allocation_id}/fixml/").status_code == 404
    assert api.post(f"/api/v1/allocations/{allocation_id}/book/").status_code == 200
    fixml = api.get(f"/api/v1/allocations/{allocation_id}/fixml/")
    assert fixml.status_code == 200
    text = b"".join(fixml.streaming_content).decode()
    assert "AllocInstrctn" in text and subs[0].number in text
    # another tenant's key sees none of it
    with tenant_context(tenant_b):
        stranger = advisor_make(tenant_b)
        stranger.is_superuser = stranger.is_staff = True
        stranger.save()
    connection.set_schema_to_public()
    other = key_client(tenant_b, key_for(tenant_b, stranger, scopes=ALL_SCOPES))
    assert other.get(f"/api/v1/allocations/{allocation_id}/fixml/").status_code == 404
    assert other.post(f"/api/v1/allocations/blocks/{block_id}/fills/", {}).status_code == 404


def test_a_viewer_cannot_capture_a_block_and_nothing_is_written(tenant_a):
    # given a user who may only view the master
    with tenant_context(tenant_a):
        viewer = advisor_make(tenant_a)
        viewer.is_staff = True
        viewer.save(update_fields=["is_staff"])
        master, _ = master_with_subs(tenant_a, 1)
        grant(viewer, tenant_a, [master], perms=("view",))
    connection.set_schema_to_public()
    instrument = instrument_make(f"APV{next(_n)}")
    api = key_client(tenant_a, key_for(tenant_a, viewer, scopes=ALL_SCOPES))
    # when
    answer = api.post(
        "/api/v1/allocations/blocks/",
        {
            "master": master.pk,
            "symbol": instrument.symbol,
            "side": "buy",
            "trade_date": "2026-11-20",
            "fills": [{"quantity": "1", "price": "5", "executed_at": "2026-11-20T15:01:00Z"}],
        },
        content_type="application/json",
    )
    # then
    assert answer.status_code == 403
    assert answer["Content-Type"] == "application/problem+json"
    with tenant_context(tenant_a):
        assert not Block.objects.filter(master_id=master.pk).exists()


def _csv(rows):
    header = "execution_id,account,symbol,side,quantity,price,trade_date,commission\n"
    return SimpleUploadedFile("trades.csv", (header + "".join(rows)).encode(), "text/csv")


def test_an_execution_file_is_booked_once_with_its_events_and_listed(tenant_a, tenant_b):
    # given staff with trade on one account of tenant A, and an account of tenant B
    staff = user_make(tenant=tenant_a, username=f"exec-staff{next(_n)}", is_staff=True)
    mine = account_open(tenant=tenant_a, title="Mine", account_type="individual")
    foreign = account_open(tenant=tenant_b, title="Foreign", account_type="individual")
    with tenant_context(tenant_a):
        grant(staff, tenant_a, [mine], perms=("view", "trade"))
    connection.set_schema_to_public()
    instrument = instrument_make(f"APE{next(_n)}")
    api = key_client(tenant_a, key_for(tenant_a, staff, scopes=ALL_SCOPES))
    n = next(_n)
    good = [
        f"APX{n}-1,{mine.number},{instrument.symbol},BUY,10,20.5,2026-11-20,1\n",
        f"APX{n}-2,{mine.number},{instrument.symbol},SELL,4,21,2026-11-20,1\n",
    ]
    # when: a file naming the other tenant's account
    refused = api.post(
        "/api/v1/executions/",
        {
            "file": _csv(
                [*good, f"APX{n}-3,{foreign.number},{instrument.symbol},BUY,1,1,2026-11-20,0\n"]
            )
        },
    )
    # then: refused with the row, nothing booked
    assert refused.status_code == 409
    assert "row 3: unknown or closed account" in refused.json()["detail"]
    assert not JournalEntry.objects.filter(execution_id__startswith=f"APX{n}-").exists()
    # when: the good file twice
    first = api.post("/api/v1/executions/", {"file": _csv(good)})
    second = api.post("/api/v1/executions/", {"file": _csv(good)})
    # then: booked once, an event per execution, listed newest first
    assert (first.status_code, first.json()["booked"], first.json()["skipped"]) == (201, 2, 0)
    assert (second.json()["booked"], second.json()["skipped"]) == (0, 2)
    with tenant_context(tenant_a):
        events = list(Event.objects.filter(kind="execution.booked").order_by("id"))
    connection.set_schema_to_public()
    assert [e.data["execution_id"] for e in events] == [f"APX{n}-1", f"APX{n}-2"]
    assert {e.account_id for e in events} == {mine.pk}
    listed = api.get("/api/v1/executions/").json()["results"]
    assert [(r["execution_id"], D(r["quantity"])) for r in listed] == [
        (f"APX{n}-2", D(-4)),
        (f"APX{n}-1", D(10)),
    ]
    # a client may not import
    client_user, _ = trader_make_in(tenant_a)
    client_api = key_client(tenant_a, key_for(tenant_a, client_user, scopes=ALL_SCOPES))
    assert client_api.post("/api/v1/executions/", {"file": _csv(good)}).status_code == 403


def trader_make_in(tenant, **kwargs):
    with tenant_context(tenant):
        made = trader_make(tenant, **kwargs)
    connection.set_schema_to_public()
    return made


def test_orders_are_previewed_submitted_listed_and_cancelled(tenant_a, tenant_b):
    # given a client with 10,000 USD on a paper-free cash account
    user, account = trader_make_in(tenant_a)
    with tenant_context(tenant_a):
        stock = stock_make("100")
    connection.set_schema_to_public()
    api = key_client(tenant_a, key_for(tenant_a, user, scopes=ALL_SCOPES))
    ticket = {
        "account": account.pk,
        "instrument": stock.pk,
        "side": "buy",
        "quantity": "5",
        "order_type": "limit",
        "limit_price": "90",
        "time_in_force": "gtc",
    }
    # when: the what-if
    preview = api.post("/api/v1/orders/preview/", ticket, content_type="application/json")
    # then: nothing stored, the cost shown
    assert preview.status_code == 200, preview.content
    assert D(preview.json()["value"]) == D("450.00")
    assert Order.objects.filter(account_id=account.pk).count() == 0
    # when: submitted (with any warning confirmed)
    codes = [c["code"] for c in preview.json()["checks"] if c["severity"] == "warn"]
    placed = api.post(
        "/api/v1/orders/",
        {**ticket, "confirm": codes},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="o1",
    )
    assert placed.status_code == 201, placed.content
    order = placed.json()
    assert order["status"] in ("accepted", "new") and order["account"] == account.number
    assert [o["id"] for o in api.get("/api/v1/orders/").json()["results"]] == [order["id"]]
    assert api.get(f"/api/v1/orders/{order['id']}/").json() == order
    # the other tenant cannot see or cancel it
    other_user, _ = trader_make_in(tenant_b)
    other = key_client(tenant_b, key_for(tenant_b, other_user, scopes=ALL_SCOPES))
    assert other.get(f"/api/v1/orders/{order['id']}/").status_code == 404
    assert other.post(f"/api/v1/orders/{order['id']}/cancel/").status_code == 404
    # when: cancelled, then cancelled again
    cancelled = api.post(f"/api/v1/orders/{order['id']}/cancel/")
    again = api.post(f"/api/v1/orders/{order['id']}/cancel/")
    assert cancelled.json()["status"] == "cancelled"
    assert again.status_code == 409 and "no longer be cancelled" in again.json()["detail"]
    # a read-only key cannot order
    reader = key_client(tenant_a, key_for(tenant_a, user, scopes=("read",)))
    assert (
        reader.post("/api/v1/orders/", ticket, content_type="application/json").status_code == 403
    )


def test_an_order_in_another_tenants_account_is_404_and_nothing_stored(tenant_a, tenant_b):
    user, _ = trader_make_in(tenant_a)
    _, foreign = trader_make_in(tenant_b)
    with tenant_context(tenant_a):
        stock = stock_make("100")
    connection.set_schema_to_public()
    api = key_client(tenant_a, key_for(tenant_a, user, scopes=ALL_SCOPES))
    answer = api.post(
        "/api/v1/orders/",
        {"account": foreign.pk, "instrument": stock.pk, "side": "buy", "quantity": "1"},
        content_type="application/json",
    )
    assert answer.status_code == 404
    assert not Order.objects.filter(account_id=foreign.pk).exists()


def test_the_desk_makes_and_approves_a_position_journal_and_uploads_a_batch(tenant_a):
    # given a maker and a checker, two accounts, one holding 20,000 USD; limit 5,000
    maker = user_make(tenant=tenant_a, username=f"apimaker{next(_n)}", roles=["Onboarding Officer"])
    checker = user_make(
        tenant=tenant_a, username=f"apicheck{next(_n)}", roles=["Compliance Officer"]
    )
    with tenant_context(tenant_a):
        settings = FundingSettings.load()
        settings.journal_approval_limit = D("5000.00")
        settings.save()
    connection.set_schema_to_public()
    one = account_open(tenant=tenant_a, title="One", account_type="individual")
    two = account_open(tenant=tenant_a, title="Two", account_type="individual")
    cash_deposit(account=one, amount=D("20000"), currency="USD", idempotency_key=f"apij:{one.pk}")
    make = key_client(tenant_a, key_for(tenant_a, maker, scopes=ALL_SCOPES))
    check = key_client(tenant_a, key_for(tenant_a, checker, scopes=ALL_SCOPES))
    journal = {
        "kind": "cash",
        "from_account": one.number,
        "to_account": two.number,
        "currency": "USD",
        "amount": "7500",
    }
    # when: made twice with one key (above the limit)
    made = make.post(
        "/api/v1/desk-journals/",
        journal,
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="j1",
    )
    twice = make.post(
        "/api/v1/desk-journals/",
        journal,
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="j1",
    )
    assert made.status_code == 201, made.content
    assert made.json()["status"] == "pending" and twice.json() == made.json()
    pk = made.json()["id"]
    # the maker may not approve; the checker books it
    assert make.post(f"/api/v1/desk-journals/{pk}/approve/").status_code == 403
    approved = check.post(f"/api/v1/desk-journals/{pk}/approve/")
    assert approved.json()["status"] == "booked" and approved.json()["approver"] == checker.username
    assert CashBalance.objects.get(account=two, currency="USD").quantity == D("7500")
    with tenant_context(tenant_a):
        assert Journal.objects.filter(from_account=one).count() == 1
    connection.set_schema_to_public()
    # a batch: all or nothing
    header = "kind,from_account,to_account,currency,amount,symbol,quantity,price,memo\n"
    bad = header + f"cash,{one.number},{two.number},USD,10,,,,\ncash,{one.number},NOPE,USD,5,,,,\n"
    refused = make.post(
        "/api/v1/journal-batches/",
        {"file": SimpleUploadedFile("j.csv", bad.encode(), "text/csv")},
    )
    assert refused.status_code == 409 and "row 2" in refused.json()["detail"]
    good = header + f"cash,{one.number},{two.number},USD,10,,,,\n"
    batch = make.post(
        "/api/v1/journal-batches/",
        {"file": SimpleUploadedFile("j.csv", good.encode(), "text/csv")},
    )
    assert batch.status_code == 201 and len(batch.json()["journals"]) == 1
    assert make.get(f"/api/v1/journal-batches/{batch.json()['id']}/").json() == batch.json()
    # a client gets 404 for a journal
    client_user, _ = trader_make_in(tenant_a)
    client_api = key_client(tenant_a, key_for(tenant_a, client_user, scopes=ALL_SCOPES))
    assert client_api.get(f"/api/v1/desk-journals/{pk}/").status_code == 404


def test_exceptions_are_listed_and_acknowledged_once(tenant_a):
    # given an account of tenant A below zero, and a Compliance Officer
    officer = user_make(tenant=tenant_a, username=f"apiexc{next(_n)}", roles=["Compliance Officer"])
    account = account_open(tenant=tenant_a, title="Short", account_type="individual")
    CashBalance.objects.create(account=account, currency="USD", quantity=D("-15"))
    api = key_client(tenant_a, key_for(tenant_a, officer, scopes=ALL_SCOPES))
    # when
    listed = api.get("/api/v1/exceptions/").json()["results"]
    mine = [i for i in listed if i["kind"] == "negative_cash" and account.number in i["subject"]]
    assert len(mine) == 1, listed
    item = mine[0]
    ack = api.post(
        "/api/v1/exceptions/acknowledge/",
        {"kind": item["kind"], "key": item["key"], "note": "Client wires the shortfall."},
        content_type="application/json",
    )
    # then
    assert ack.status_code == 201 and ack.json()["acknowledged_by"] == officer.username
    after = api.get("/api/v1/exceptions/").json()["results"]
    assert not [i for i in after if i["key"] == item["key"] and i["kind"] == "negative_cash"]
    shown = api.get("/api/v1/exceptions/?acknowledged=1").json()["results"]
    assert [i["acknowledged"]["note"] for i in shown if i["key"] == item["key"]] == [
        "Client wires the shortfall."
    ]
    missing = api.post(
        "/api/v1/exceptions/acknowledge/",
        {"kind": "negative_cash", "key": "nothing:USD", "note": "x"},
        content_type="application/json",
    )
    assert missing.status_code == 404
