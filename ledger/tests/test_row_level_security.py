"""Row-level security behind the selectors (ledger migration 0014), as production's application
role sees it: a role that is neither superuser nor owner (tests.support.db_roles).

The tenant is the one the application selected (`tenant_context`, which makes the database
backend set `brokerportal.tenant` with the search path). Each probe then moves the search path
to the other tenant's schema by SQL, as an attacker's or a careless query would: the policies do
not follow it.
"""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django_tenants.utils import schema_context, tenant_context

from ledger.models import Account, JournalEntry, Position, Posting, TaxLot
from ledger.platform import BANK, CLEARING, platform_account
from ledger.services import account_open, cash_deposit, cash_withdraw, trade_book
from ledger.tests.factories import account_make, instrument_make
from tests.support.db_roles import acting_as, app_role_create

D = Decimal
ACCOUNT_TABLES = (
    "ledger_posting",
    "ledger_position",
    "ledger_cashbalance",
    "ledger_taxlot",
    "ledger_realizedgain",
    "ledger_navsnapshot",
)
BYPASS = "tenant_b, public"  # what SQL sets in tenant A's context to reach tenant B


@pytest.fixture
def books(tenant_a, tenant_b):
    """Per tenant: an account with a deposit, a buy and a withdrawal whose memo names its
    destination; and the ids of the entries that touch it."""
    stock = instrument_make()
    accounts, entries = {}, {}
    for tenant in (tenant_a, tenant_b):
        account = account_make(tenant, margin_type="reg_t")
        booked = [
            cash_deposit(
                account=account, amount=D(5000), currency="USD", idempotency_key=f"rls-{account.pk}"
            ),
            trade_book(
                account=account,
                instrument=stock,
                side="buy",
                quantity=D(10),
                price=D(100),
                trade_date=date(2026, 3, 2),
                idempotency_key=f"rls-t-{account.pk}",
            ),
            cash_withdraw(
                account=account,
                amount=D(100),
                currency="USD",
                idempotency_key=f"rls-w-{account.pk}",
                memo=f"To IBAN DE89 {tenant.schema_name} destination",
            ),
        ]
        accounts[tenant.schema_name] = account
        entries[tenant.schema_name] = sorted(entry.pk for entry in booked)
    return {"accounts": accounts, "entries": entries}


@pytest.fixture
def app_role(db):
    return app_role_create(schemas=("public", "tenant_a", "tenant_b"))


@pytest.fixture
def platform_role(db):
    return app_role_create(schemas=("public", "tenant_a", "tenant_b"), platform=True)


def _probe(role, tenant, sql, params=(), *, search_path=BYPASS):
    """`sql` as `role` in `tenant`'s context, after SQL moved the search path."""
    with tenant_context(tenant), acting_as(role) as cursor:
        if search_path:
            cursor.execute(f"SET LOCAL search_path TO {search_path}")
        cursor.execute(sql, params)
        return cursor.fetchall()


def _refused(role, tenant, sql, params=()):
    with pytest.raises(Exception, match="row-level security") as refusal:
        _probe(role, tenant, sql, params)
    return refusal


def test_v8_4_1_rls_journal_entries_scoped_to_tenant(tenant_a, books, app_role):
    # given
    mine, theirs = books["entries"]["tenant_a"], books["entries"]["tenant_b"]
    # when
    seen = _probe(
        app_role,
        tenant_a,
        "SELECT id, memo FROM ledger_journalentry WHERE id = ANY(%s) ORDER BY id",
        [mine + theirs],
    )
    # then: its own three entries, none of B's (whose memo names B's withdrawal destination)
    assert [entry_id for entry_id, _ in seen] == mine
    assert not [memo for _, memo in seen if "tenant_b" in memo]


def test_v8_4_1_rls_platform_postings_only_of_entries_that_touch_the_tenant(
    tenant_a, books, app_role
):
    # given: every entry has contra legs on platform accounts (bank, clearing)
    mine, theirs = books["entries"]["tenant_a"], books["entries"]["tenant_b"]
    platform_ids = [platform_account(BANK).pk, platform_account(CLEARING).pk]
    contra = set(
        Posting.objects.filter(entry_id__in=mine + theirs, account_id__in=platform_ids)
        .values_list("entry_id", "account_id")
        .distinct()
    )
    assert {entry for entry, _ in contra} == set(mine + theirs)
    # when
    seen = _probe(
        app_role,
        tenant_a,
        "SELECT DISTINCT entry_id, account_id FROM ledger_posting "
        "WHERE entry_id = ANY(%s) AND account_id = ANY(%s)",
        [mine + theirs, platform_ids],
    )
    # then: the platform legs of its own entries only
    assert set(seen) == {(entry, account) for entry, account in contra if entry in mine}


def test_v8_4_1_rls_ledger_rows_follow_the_tenant_setting_not_the_search_path(
    tenant_a, books, app_role
):
    # given
    mine, theirs = books["accounts"]["tenant_a"], books["accounts"]["tenant_b"]
    ids = [mine.pk, theirs.pk]
    # when
    accounts = _probe(app_role, tenant_a, "SELECT id FROM ledger_account WHERE id = ANY(%s)", [ids])
    by_table = {
        table: {
            row[0]
            for row in _probe(
                app_role,
                tenant_a,
                f"SELECT account_id FROM {table} WHERE account_id = ANY(%s)",  # noqa: S608
                [ids],
            )
        }
        for table in ACCOUNT_TABLES
    }
    # then
    assert accounts == [(mine.pk,)]
    assert by_table == {
        "ledger_posting": {mine.pk},
        "ledger_position": {mine.pk},
        "ledger_cashbalance": {mine.pk},
        "ledger_taxlot": {mine.pk},
        "ledger_realizedgain": set(),
        "ledger_navsnapshot": set(),
    }


def test_v8_4_1_rls_tenant_cannot_write_for_another_tenant_or_the_platform(
    tenant_a, tenant_b, books, app_role
):
    # given
    clearing = platform_account(CLEARING)
    theirs_entry = books["entries"]["tenant_b"][0]
    accounts_before = Account.objects.count()
    postings_before = Posting.objects.filter(entry_id=theirs_entry).count()
    # when / then: an account for tenant B, and one without a tenant, are refused
    _refused(
        app_role,
        tenant_a,
        "INSERT INTO ledger_account (tenant_id, number, title, account_type, base_currency, "
        "margin_type, status, opened_at, external_ref) "
        "VALUES (%s, 'URLS0001', 'x', 'individual', 'USD', 'cash', 'open', now(), '')",
        [tenant_b.pk],
    )
    _refused(
        app_role,
        tenant_a,
        "INSERT INTO ledger_account (tenant_id, number, title, account_type, base_currency, "
        "margin_type, status, opened_at, external_ref) "
        "VALUES (NULL, 'P-RLS', 'x', 'platform', 'USD', 'cash', 'open', now(), '')",
    )
    # ... a platform account cannot be changed from a tenant context ...
    changed = _probe(
        app_role,
        tenant_a,
        "UPDATE ledger_account SET title = 'changed' WHERE id = %s RETURNING id",
        [clearing.pk],
    )
    # ... and no leg, not even on a platform account, goes onto an entry of tenant B
    _refused(
        app_role,
        tenant_a,
        "INSERT INTO ledger_posting (entry_id, leg, account_id, currency, quantity, role) "
        "VALUES (%s, 90, %s, 'USD', 1, 'principal')",
        [theirs_entry, clearing.pk],
    )
    # then: nothing changed
    assert changed == []
    assert Account.objects.count() == accounts_before
    assert Account.objects.get(pk=clearing.pk).title == clearing.title
    assert Posting.objects.filter(entry_id=theirs_entry).count() == postings_before


def test_v8_4_1_rls_application_role_books_in_its_tenant(tenant_a, app_role):
    # given
    stock = instrument_make()
    account = account_make(tenant_a, margin_type="reg_t")
    entries_before = JournalEntry.objects.count()
    # when: the application's role books a deposit and a trade in tenant A's context (the lots
    # cannot go in by COPY under row-level security)
    with tenant_context(tenant_a), acting_as(app_role):
        opened = account_open(tenant=tenant_a, title="Opened by the app role", account_type="ira")
        cash_deposit(account=account, amount=D(2000), currency="USD", idempotency_key="rls-app-d")
        trade_book(
            account=account,
            instrument=stock,
            side="buy",
            quantity=D(3),
            price=D(50),
            trade_date=date(2026, 3, 2),
            idempotency_key="rls-app-t",
        )
    # then
    assert Account.objects.get(pk=opened.pk).tenant_id == tenant_a.pk
    assert JournalEntry.objects.count() == entries_before + 2
    assert Position.objects.get(account=account, instrument=stock).quantity == D(3)
    assert list(
        TaxLot.objects.filter(account=account, instrument=stock).values_list("quantity", "price")
    ) == [(D(3), D(50))]


def test_v8_4_1_rls_platform_context_only_for_the_platform_role(books, app_role, platform_role):
    # given
    ids = [account.pk for account in books["accounts"].values()]
    entries = books["entries"]["tenant_a"] + books["entries"]["tenant_b"]
    sql = (
        "SELECT (SELECT count(*) FROM ledger_account WHERE id = ANY(%s)), "
        "(SELECT count(*) FROM ledger_journalentry WHERE id = ANY(%s))"
    )
    # when: the public schema's context (operator, imports, nightly NAV)
    with schema_context("public"):
        as_app = _probe(app_role, connection.tenant, sql, [ids, entries], search_path=None)
        as_platform = _probe(
            platform_role, connection.tenant, sql, [ids, entries], search_path=None
        )
    # then: everything for the platform's role, nothing for any other
    assert as_app == [(0, 0)]
    assert as_platform == [(2, 6)]


def test_v8_4_1_rls_unknown_schema_sees_nothing(books, app_role):
    # when
    with schema_context("tenant_template_missing"), acting_as(app_role) as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM public.ledger_account), "
            "(SELECT count(*) FROM public.ledger_journalentry), "
            "(SELECT count(*) FROM public.ledger_posting)"
        )
        rows = cursor.fetchall()
    # then
    assert rows == [(0, 0, 0)]
    assert Account.objects.filter(tenant__isnull=False).count() >= 2
