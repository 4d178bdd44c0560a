"""Row-level security behind the selectors (migration 0008): a database role that is neither
superuser nor owner, with the search path django-tenants sets for tenant A, reads only A's
accounts and what hangs off them; on the public schema it reads everything."""

import uuid
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection, transaction

from ledger.models import Account
from ledger.platform import CLEARING, platform_account
from ledger.services import cash_deposit, trade_book
from ledger.tests.factories import account_make, instrument_make

D = Decimal
TABLES = (
    "ledger_account",
    "ledger_posting",
    "ledger_position",
    "ledger_cashbalance",
    "ledger_taxlot",
    "ledger_realizedgain",
    "ledger_navsnapshot",
)


@pytest.fixture
def books(tenant_a, tenant_b):
    stock = instrument_make()
    accounts = {}
    for tenant in (tenant_a, tenant_b):
        account = account_make(tenant, margin_type="reg_t")
        cash_deposit(
            account=account, amount=D(5000), currency="USD", idempotency_key=f"rls-{account.pk}"
        )
        trade_book(
            account=account,
            instrument=stock,
            side="buy",
            quantity=D(10),
            price=D(100),
            trade_date=date(2026, 3, 2),
            idempotency_key=f"rls-t-{account.pk}",
        )
        accounts[tenant.schema_name] = account
    return accounts


@pytest.fixture
def app_role(db):
    """A role like production's: not superuser, not the tables' owner. Created inside the
    test's transaction, so it is gone afterwards."""
    role = f"bp_rls_{uuid.uuid4().hex[:10]}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} NOLOGIN")
        cursor.execute(f"GRANT USAGE ON SCHEMA public, tenant_a, tenant_b TO {role}")
        cursor.execute(f"GRANT SELECT ON public.tenants_tenant TO {role}")
        cursor.execute(f"GRANT SELECT, INSERT ON {', '.join(TABLES)} TO {role}")
        cursor.execute(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role}")
    return role


def _as_role(role, search_path, sql, params=()):
    """Run `sql` as `role` in a savepoint: on an error the savepoint's rollback takes the role
    and search path back with it."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL ROLE {role}")
        cursor.execute(f"SET LOCAL search_path = {search_path}")
        cursor.execute(sql, params)
        rows = cursor.fetchall()
        cursor.execute("RESET ROLE")
        return rows


def test_tenant_search_path_reads_only_its_own_ledger_rows(books, app_role):
    # given
    mine, theirs = books["tenant_a"], books["tenant_b"]
    ids = [mine.pk, theirs.pk]
    # when
    visible = {
        table: {
            row[0]
            for row in _as_role(
                app_role,
                "tenant_a, public",
                f"SELECT {'id' if table == 'ledger_account' else 'account_id'} "  # noqa: S608
                f"FROM public.{table} WHERE {'id' if table == 'ledger_account' else 'account_id'}"
                " = ANY(%s)",
                [ids],
            )
        }
        for table in TABLES
        if table != "ledger_navsnapshot"
    }
    everything = _as_role(
        app_role, "public", "SELECT count(*) FROM ledger_account WHERE id = ANY(%s)", [ids]
    )
    # then
    for table, accounts in visible.items():
        assert theirs.pk not in accounts, table
    assert visible["ledger_account"] == {mine.pk}
    assert visible["ledger_posting"] == {mine.pk}
    assert visible["ledger_position"] == {mine.pk}
    assert visible["ledger_cashbalance"] == {mine.pk}
    assert visible["ledger_taxlot"] == {mine.pk}
    assert everything == [(2,)]


def test_tenant_context_sees_platform_accounts_but_cannot_book_to_another_tenant(books, app_role):
    # given
    clearing = platform_account(CLEARING)
    theirs = books["tenant_b"]
    # when
    seen = _as_role(
        app_role, "tenant_a, public", "SELECT id FROM ledger_account WHERE id = %s", [clearing.pk]
    )
    # then: the other side of every booking stays visible ...
    assert seen == [(clearing.pk,)]
    # ... but a posting to tenant B's account from tenant A's context is refused
    with pytest.raises(Exception, match="row-level security"):
        _as_role(
            app_role,
            "tenant_a, public",
            "INSERT INTO ledger_posting (entry_id, leg, account_id, currency, quantity, role) "
            "VALUES (1, 0, %s, 'USD', 1, 'principal') RETURNING entry_id",
            [theirs.pk],
        )


def test_unknown_schema_sees_no_client_accounts(books, app_role):
    # when
    rows = _as_role(
        app_role,
        "tenant_template_missing, public",
        "SELECT count(*) FROM ledger_account WHERE tenant_id IS NOT NULL",
    )
    # then
    assert rows == [(0,)]
    assert Account.objects.filter(tenant__isnull=False).count() >= 2
