"""Random sequences of deposits, trades, transfers, withdrawals, splits and reversals. After
every step: each entry balances per asset, the projections equal a rebuild from the journal,
and no cash account has negative settled (or withdrawable) cash — such operations are refused
with a clear error and change nothing."""

import datetime as dt
import os
from decimal import Decimal

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

from ledger.errors import InsufficientFunds, LedgerError, ShortSaleRefused
from ledger.journal.verify import ledger_verify
from ledger.models import JournalEntry
from ledger.selectors.holdings import cash_rows_for_ids
from ledger.services import (
    cash_deposit,
    cash_transfer,
    cash_withdraw,
    entry_reverse,
    split_book,
    trade_book,
)
from ledger.tests.factories import account_make, instrument_make

amounts = st.integers(min_value=1, max_value=5000).map(Decimal)
quantities = st.integers(min_value=1, max_value=60).map(Decimal)
prices = st.integers(min_value=100, max_value=20000).map(lambda c: Decimal(c) / 100)


class LedgerMachine(RuleBasedStateMachine):
    entries = Bundle("entries")

    # Accounts and instruments are made once per test (FIXTURE); each example books inside a
    # savepoint that is rolled back in teardown, so every example starts from empty books.
    def __init__(self):
        super().__init__()
        self.savepoint = transaction.savepoint()
        self.today = timezone.localdate()
        self.accounts, self.instruments = FIXTURE["accounts"], FIXTURE["instruments"]
        self.ids = [a.pk for a in self.accounts]
        FIXTURE["run"] += 1
        self.prefix = f"sm-{self.ids[0]}-{FIXTURE['run']}"
        self.keys = 0

    def teardown(self):
        transaction.savepoint_rollback(self.savepoint)

    def _key(self) -> str:
        self.keys += 1
        return f"{self.prefix}-{self.keys}"

    def _refusable(self, operation):
        """Run a booking; a refusal must say why and leave the journal as it was."""
        before = JournalEntry.objects.count()
        try:
            return [operation()]
        except (InsufficientFunds, ShortSaleRefused) as refused:
            assert refused.message
            assert JournalEntry.objects.count() == before
            return []

    @rule(target=entries, account=st.integers(0, 2), amount=amounts)
    def deposit(self, account, amount):
        return cash_deposit(
            account=self.accounts[account],
            amount=amount,
            currency="USD",
            idempotency_key=self._key(),
        )

    @rule(target=entries, account=st.integers(0, 2), amount=amounts)
    def withdraw(self, account, amount):
        done = self._refusable(
            lambda: cash_withdraw(
                account=self.accounts[account],
                amount=amount,
                currency="USD",
                idempotency_key=self._key(),
            )
        )
        return done[0] if done else JournalEntry.objects.none().first()

    @rule(target=entries, source=st.integers(0, 2), to=st.integers(0, 2), amount=amounts)
    def transfer(self, source, to, amount):
        if source == to:
            return None
        done = self._refusable(
            lambda: cash_transfer(
                from_account=self.accounts[source],
                to_account=self.accounts[to],
                amount=amount,
                currency="USD",
                idempotency_key=self._key(),
            )
        )
        return done[0] if done else None

    @rule(
        target=entries,
        account=st.integers(0, 2),
        instrument=st.integers(0, 1),
        side=st.sampled_from(["BUY", "SELL"]),
        quantity=quantities,
        price=prices,
        commission=st.sampled_from([Decimal(0), Decimal(1)]),
    )
    def trade(self, account, instrument, side, quantity, price, commission):
        done = self._refusable(
            lambda: trade_book(
                account=self.accounts[account],
                instrument=self.instruments[instrument],
                side=side,
                quantity=quantity,
                price=price,
                trade_date=self.today,
                idempotency_key=self._key(),
                commission=commission,
            )
        )
        return done[0] if done else None

    @rule(target=entries, instrument=st.integers(0, 1), ratio=st.sampled_from([2, 3]))
    def split(self, instrument, ratio):
        try:
            return split_book(
                instrument=self.instruments[instrument],
                ratio=Decimal(ratio),
                trade_date=self.today,
                idempotency_key=self._key(),
            )
        except LedgerError as refused:
            assert "nothing to split" in str(refused.message)
            return None

    @rule(entry=entries)
    def reverse(self, entry):
        if entry is None:
            return
        before = JournalEntry.objects.count()
        try:
            entry_reverse(entry=entry, idempotency_key=self._key())
        except LedgerError as refused:
            assert refused.message
            assert JournalEntry.objects.count() == before

    @invariant()
    def books_agree_and_cash_accounts_stay_funded(self):
        assert ledger_verify(account_ids=self.ids) == []
        # withdrawable ≥ 0 means settled cash stays ≥ 0 on every later day; the trade-date
        # balance is the settled cash once everything has settled.
        for row in cash_rows_for_ids(self.ids[:2], as_of=self.today):
            assert row.settled >= 0 and row.withdrawable >= 0 and row.balance >= 0, row


FIXTURE: dict = {}


@pytest.mark.django_db
def test_ledger_state_machine(tenant_a):
    FIXTURE.update(
        run=0,
        accounts=[
            account_make(tenant_a, title="cash 1"),
            account_make(tenant_a, title="cash 2"),
            account_make(tenant_a, title="margin", margin_type="reg_t"),
        ],
        instruments=[instrument_make(), instrument_make()],
    )
    LedgerMachine.TestCase.settings = settings(
        max_examples=int(os.environ.get("LEDGER_STATEFUL_EXAMPLES", "500")),
        stateful_step_count=6,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    # A fixed trading day (the day before Thanksgiving: trades settle over the holiday), so
    # the machine's trades are never refused for a closed market, whatever day the suite runs.
    with time_machine.travel(dt.datetime(2026, 11, 25, 15, 0, tzinfo=dt.UTC), tick=True):
        LedgerMachine.TestCase().runTest()
