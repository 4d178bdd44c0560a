"""Concurrent withdrawals and idempotent bookings with real commits."""

import threading
from decimal import Decimal

from django.db import connection

from ledger.errors import InsufficientFunds
from ledger.models import CashBalance, JournalEntry
from ledger.services import cash_deposit, cash_withdraw
from ledger.tests.factories import account_make
from tests.support.ledger import ledger_purge

D = Decimal


def _in_threads(count, work):
    barrier = threading.Barrier(count)
    results = [None] * count

    def run(index):
        try:
            barrier.wait()
            results[index] = ("ok", work(index))
        except InsufficientFunds as refused:
            results[index] = ("refused", str(refused.message))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_20_concurrent_withdrawals_never_overdraw(django_db_setup, committed_db):
    # given: 1,000 USD and 20 withdrawals of 75 (1,500 in all)
    from tenants.models import Tenant

    tenant = Tenant.objects.get(schema_name="tenant_a")
    account = account_make(tenant)
    try:
        cash_deposit(
            account=account, amount=D(1000), currency="USD", idempotency_key=f"c{account.pk}"
        )
        # when
        results = _in_threads(
            20,
            lambda i: cash_withdraw(
                account=account,
                amount=D(75),
                currency="USD",
                idempotency_key=f"cw{account.pk}-{i}",
            ),
        )
        # then
        done = [r for r in results if r[0] == "ok"]
        refused = [r for r in results if r[0] == "refused"]
        assert len(done) == 13 and len(refused) == 7
        assert all("withdrawable cash; 75.00 USD were requested" in msg for _, msg in refused)
        balance = CashBalance.objects.get(account=account, currency="USD").quantity
        assert balance == D(25)
        assert (
            JournalEntry.objects.filter(kind="withdrawal", postings__account=account).count() == 13
        )
    finally:
        ledger_purge(account_ids=[account.pk])


def test_same_idempotency_key_concurrently_books_once(django_db_setup, committed_db):
    # given
    from tenants.models import Tenant

    tenant = Tenant.objects.get(schema_name="tenant_a")
    account = account_make(tenant)
    try:
        # when: 8 threads deposit with one key
        results = _in_threads(
            8,
            lambda i: (
                cash_deposit(
                    account=account,
                    amount=D(10),
                    currency="USD",
                    idempotency_key=f"same{account.pk}",
                ).pk
            ),
        )
        # then
        assert len({entry_id for _, entry_id in results}) == 1
        assert CashBalance.objects.get(account=account, currency="USD").quantity == D(10)
    finally:
        ledger_purge(account_ids=[account.pk])
