"""Writes to the shared ledger. Every function books through `journal_post` (one balanced,
immutable entry, idempotent by key) and so keeps the projections in step."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from ledger import platform
from ledger.errors import LedgerError
from ledger.journal import PostingLine, journal_post
from ledger.models import Account, Instrument, JournalEntry
from ledger.reference import validate_currency
from ledger.settlement import SettlementRule, settlement_rule

Kind = JournalEntry.Kind
Role = "principal"


def account_number_next(*, prefix: str, count: int = 1) -> list[str]:
    """Readable account numbers: `U` + 7 digits (clients, subs), `F` + 7 digits (masters)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval('ledger_account_number_seq') FROM generate_series(1, %s)", [count]
        )
        return [f"{prefix}{value:07d}" for (value,) in cursor.fetchall()]


@transaction.atomic
def account_open(
    *,
    tenant,
    title: str,
    account_type: str,
    base_currency: str = "USD",
    margin_type: str = Account.MarginType.CASH,
    parent: Account | None = None,
    external_ref: str = "",
) -> Account:
    validate_currency(base_currency)
    if account_type == Account.Type.PLATFORM:
        raise LedgerError("Platform accounts are not opened for tenants.")
    if parent is not None:
        if parent.account_type != Account.Type.MASTER:
            raise LedgerError(f"Account {parent.number} is not an advisor master.")
        if parent.tenant_id != tenant.pk:
            raise LedgerError("A sub-account belongs to its master's tenant.")
        account_type = Account.Type.SUB
    elif account_type == Account.Type.SUB:
        raise LedgerError("A sub-account needs its master.")
    prefix = "F" if account_type == Account.Type.MASTER else "U"
    account = Account(
        tenant=tenant,
        number=account_number_next(prefix=prefix)[0],
        title=title,
        account_type=account_type,
        base_currency=base_currency,
        margin_type=margin_type,
        parent=parent,
        external_ref=external_ref,
    )
    account.full_clean()
    account.save()
    return account


def _positive(amount: Decimal) -> Decimal:
    amount = Decimal(amount)
    if amount <= 0:
        raise LedgerError("The amount must be positive.")
    return amount


def cash_deposit(
    *,
    account: Account,
    amount: Decimal,
    currency: str,
    idempotency_key: str,
    value_date: date | None = None,
    memo: str = "",
) -> JournalEntry:
    amount = _positive(amount)
    on = value_date or timezone.localdate()
    return journal_post(
        kind=Kind.DEPOSIT,
        lines=[
            PostingLine(account=account, currency=currency, quantity=amount),
            PostingLine(
                account=platform.platform_account(platform.BANK),
                currency=currency,
                quantity=-amount,
            ),
        ],
        idempotency_key=idempotency_key,
        trade_date=on,
        memo=memo or "Deposit",
    )


def cash_withdraw(
    *,
    account: Account,
    amount: Decimal,
    currency: str,
    idempotency_key: str,
    value_date: date | None = None,
    memo: str = "",
) -> JournalEntry:
    """Refused with `InsufficientFunds` when withdrawable cash is short; concurrent withdrawals
    queue on the account's cash balance row."""
    amount = _positive(amount)
    on = value_date or timezone.localdate()
    return journal_post(
        kind=Kind.WITHDRAWAL,
        lines=[
            PostingLine(account=account, currency=currency, quantity=-amount),
            PostingLine(
                account=platform.platform_account(platform.BANK),
                currency=currency,
                quantity=amount,
            ),
        ],
        idempotency_key=idempotency_key,
        trade_date=on,
        memo=memo or "Withdrawal",
    )


def cash_transfer(
    *,
    from_account: Account,
    to_account: Account,
    amount: Decimal,
    currency: str,
    idempotency_key: str,
    memo: str = "",
) -> JournalEntry:
    amount = _positive(amount)
    if from_account.pk == to_account.pk:
        raise LedgerError("A transfer needs two different accounts.")
    return journal_post(
        kind=Kind.CASH_TRANSFER,
        lines=[
            PostingLine(account=from_account, currency=currency, quantity=-amount),
            PostingLine(account=to_account, currency=currency, quantity=amount),
        ],
        idempotency_key=idempotency_key,
        trade_date=timezone.localdate(),
        memo=memo or f"Transfer {from_account.number} → {to_account.number}",
    )


def instrument_settlement_rule(instrument: Instrument) -> SettlementRule:
    """The market calendars and cycle the instrument settles by (`ledger.settlement`)."""
    return settlement_rule(
        asset_class=instrument.asset_class,
        currency=instrument.currency,
        exchange=instrument.exchange,
        symbol=instrument.symbol,
        override=instrument.settlement_days,
    )


def trade_settle_date(*, instrument: Instrument, trade_date: date) -> date:
    return instrument_settlement_rule(instrument).settle_date(trade_date)


def trade_lines(
    *,
    account: Account,
    instrument: Instrument,
    side: str,
    quantity: Decimal,
    price: Decimal,
    commission: Decimal = Decimal(0),
    fees: Decimal = Decimal(0),
) -> list[PostingLine]:
    """The legs of one execution: shares against the street, cash against the street,
    commission and fees to the platform."""
    if side.upper() not in ("BUY", "SELL"):
        raise LedgerError(f"Side must be BUY or SELL, not {side!r}.")
    quantity, price = Decimal(quantity), Decimal(price)
    if quantity <= 0 or price < 0:
        raise LedgerError("Quantity must be positive and price not negative.")
    signed = quantity if side.upper() == "BUY" else -quantity
    principal = (signed * price * instrument.multiplier).quantize(Decimal("0.00000001"))
    clearing = platform.platform_account(platform.CLEARING)
    ccy = instrument.currency
    lines = [
        PostingLine(account=account, instrument=instrument, quantity=signed, price=price),
        PostingLine(account=clearing, instrument=instrument, quantity=-signed, price=price),
    ]
    if principal:
        lines += [
            PostingLine(account=account, currency=ccy, quantity=-principal),
            PostingLine(account=clearing, currency=ccy, quantity=principal),
        ]
    fees_account = platform.platform_account(platform.FEES)
    for amount, role in ((commission, "commission"), (fees, "fee")):
        amount = abs(Decimal(amount))
        if amount:
            lines += [
                PostingLine(account=account, currency=ccy, quantity=-amount, role=role),
                PostingLine(account=fees_account, currency=ccy, quantity=amount, role=role),
            ]
    return lines


def trade_book(
    *,
    account: Account,
    instrument: Instrument,
    side: str,
    quantity: Decimal,
    price: Decimal,
    trade_date: date,
    idempotency_key: str,
    commission: Decimal = Decimal(0),
    fees: Decimal = Decimal(0),
    execution_id: str | None = None,
    settle_date: date | None = None,
) -> JournalEntry:
    if account.account_type == Account.Type.PLATFORM:
        raise LedgerError("Platform accounts do not trade.")
    if settle_date is None:
        # Without the executing broker's settle date, a closed day is a typing error: there is
        # no trade to settle (imports of broker files only warn, see ledger.executions).
        rule = instrument_settlement_rule(instrument)
        closed = rule.closed_reason(trade_date)
        if closed:
            raise LedgerError(
                f"Trade date {closed}: {instrument.symbol} does not trade that day. "
                "Book it on a trading day, or give the settle date the broker confirmed."
            )
        settle_date = rule.settle_date(trade_date)
    lines = trade_lines(
        account=account,
        instrument=instrument,
        side=side,
        quantity=quantity,
        price=price,
        commission=commission,
        fees=fees,
    )
    return journal_post(
        kind=Kind.TRADE,
        lines=lines,
        idempotency_key=idempotency_key,
        trade_date=trade_date,
        settle_date=settle_date,
        execution_id=execution_id,
        memo=f"{side.upper()} {quantity} {instrument.symbol} @ {price}",
    )


def entry_reverse(*, entry: JournalEntry, idempotency_key: str) -> JournalEntry:
    """Book the mirror image of `entry`. Lots and realized gains of the instruments it touched
    are rebuilt as if the entry had never been booked."""
    if entry.kind == Kind.REVERSAL:
        raise LedgerError("A reversal cannot itself be reversed; book the entry again.")
    if (
        JournalEntry.objects.filter(reverses=entry)
        .exclude(idempotency_key=idempotency_key)
        .exists()
    ):
        raise LedgerError(f"Entry #{entry.pk} is already reversed.")
    instrument_ids = {p.instrument_id for p in entry.postings.all() if p.instrument_id}
    later_split = (
        JournalEntry.objects.filter(
            kind=Kind.STOCK_SPLIT,
            pk__gt=entry.pk,
            postings__instrument_id__in=instrument_ids,
            reversed_by__isnull=True,
        )
        .exclude(pk=entry.pk)
        .first()
    )
    if later_split is not None:
        raise LedgerError(
            f"Entry #{entry.pk} was followed by a split (#{later_split.pk}) of the same "
            "instrument; book a correcting entry at split-adjusted quantities instead."
        )
    lines = [
        PostingLine(
            account=p.account,
            instrument=p.instrument,
            currency=p.currency,
            quantity=-p.quantity,
            price=p.price,
            role=p.role,
        )
        for p in entry.postings.select_related("account", "instrument").order_by("leg")
    ]
    return journal_post(
        kind=Kind.REVERSAL,
        lines=lines,
        idempotency_key=idempotency_key,
        trade_date=max(entry.trade_date, timezone.localdate()),
        settle_date=max(entry.settle_date, timezone.localdate()),
        reverses=entry,
        memo=f"Reversal of #{entry.pk} ({entry.get_kind_display()})",
    )
