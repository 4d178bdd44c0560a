"""Trades: the legs of one execution and its booking, with the settle date of the instrument's
market (`ledger.domain.settlement`) unless the executing broker gave one."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ledger import platform
from ledger.domain.settlement import SettlementRule, settlement_rule
from ledger.errors import LedgerError
from ledger.journal.post import PostingLine, journal_post
from ledger.models import Account, Instrument, JournalEntry

Kind = JournalEntry.Kind


def instrument_settlement_rule(instrument: Instrument) -> SettlementRule:
    """The market calendars and cycle the instrument settles by (`ledger.domain.settlement`)."""
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
    # Commission and fees enter the lot (IRS Pub. 550: basis includes the costs of purchase;
    # the amount realized is the proceeds less selling expenses), in the instrument's currency.
    costs = abs(Decimal(commission)) + abs(Decimal(fees))
    lines = [
        PostingLine(
            account=account,
            instrument=instrument,
            quantity=signed,
            price=price,
            cost=costs or None,
        ),
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
        # no trade to settle (imports of broker files only warn, see ledger.imports.executions).
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
