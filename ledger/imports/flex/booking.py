"""Booking an IBKR Flex activity statement file: every `FlexStatement` in it, all or nothing.

For each statement the account is found by its Flex `accountId` (`BrokerAccountMapping`, else
the account whose external reference or number is that id); a `Trade` without its own
`accountId` takes the statement's. Instruments are created or updated from `SecuritiesInfo`
and from the attributes of every row that names a contract (`ledger.services.instruments`);
`OpenPositions/@markPrice` become closes and `ConversionRates` FX rates.

Events are booked per statement in date order (reorganisations at the open, trades, option
exercises, assignments and expiries after the close, cash last), each idempotent by its key:
trades by `ibExecID`, else `transactionID`, else `tradeID`, else `rows.row_hash`; cash
transactions by `transactionID`; so the same file imported again books nothing. Trades go
through the bulk path of `ledger.imports.executions_bulk`; the other events through
`journal_post` as facts the broker reported (no buying-power or short-sale check).

- Trades: the instrument leg carries the trade's costs (commission converted to the trade's
  currency where `ibCommissionCurrency` differs, plus taxes) into the lots (IRS Pub. 550); the
  commission is booked in its own currency, taxes to the tax account. FX conversions
  (`assetCategory="CASH"`, `EUR.USD`) move two currencies. A cancellation (`notes` Ca, a
  `TradeCancel`, `BUY (Ca.)`) reverses the trade named by `origTradeID`/`relatedTradeID`;
  a correction (Co) reverses it and books the corrected row.
- Cash transactions: deposits, withdrawals, dividends, payments in lieu, withholding tax,
  interest and fees, each to its entry kind and contra account.
- Corporate actions (`ledger.imports.flex.reorganisations`) and `OptionEAE`.
- The first statement of an account (nothing booked before its `fromDate`): the opening
  balance from `CashReport/@startingCash` and, per contract, `OpenPositions` less what the
  statement's own rows changed, at the position's cost basis per unit.

A bad row is listed by (statement, section, row, reason) — all of them at once — and nothing is
booked (`FlexImportRefused`); warnings (a trade dated on a closed market day, a spin-off without
a basis allocation) are listed and do not refuse.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ledger import platform
from ledger.domain.lots import PX, QTY
from ledger.errors import LedgerError
from ledger.imports.executions_bulk import ExecutionBooking, chunk_book
from ledger.imports.flex import reorganisations
from ledger.imports.flex.reader import (
    FlexFileRefused,
    FlexRow,
    flex_date,
    flex_decimal,
    flex_rows_read,
)
from ledger.imports.flex.rows import (
    CASH_KINDS,
    RANK_OPENING,
    Event,
    cash_event,
    instrument_data,
    notes_of,
    option_event,
    trade_event,
    transfer_event,
)
from ledger.journal.post import PostingLine, journal_post
from ledger.journal.versions import market_touch
from ledger.models import (
    Account,
    BrokerAccountMapping,
    BrokerStatement,
    BrokerStatementLine,
    FxRate,
    Instrument,
    JournalEntry,
    Posting,
    Price,
)
from ledger.services.instruments import instrument_new, instrument_upsert, instruments_create
from ledger.services.market import RateRow, usd_rates_from
from ledger.services.trades import instrument_settlement_rule

Kind = JournalEntry.Kind
Role = Posting.Role
ZERO = Decimal(0)
# Trades booked together (`chunk_book`), across statements: a fixed number of statements per
# chunk, and memory bounded by the chunk however long the file.
CHUNK = 25_000
STORES_CHUNK = 1000  # statements' broker figures stored together
WARNINGS_KEPT = 1000


class FlexImportRefused(LedgerError):
    """A Flex file with bad rows: `rows` lists (statement number, section, row, reason)."""

    def __init__(self, rows: list[tuple[int, str, int, str]]):
        self.rows = rows
        shown = "; ".join(f"statement {s} {sec} row {n}: {why}" for s, sec, n, why in rows[:20])
        more = f" (and {len(rows) - 20} more)" if len(rows) > 20 else ""
        super().__init__(f"Import refused, nothing booked: {shown}{more}")


@dataclass
class FlexImportResult:
    statements: int = 0
    booked: int = 0
    skipped: int = 0
    instruments_written: int = 0
    closes: int = 0
    rates: int = 0
    account_ids: list[int] = field(default_factory=list)
    warnings: list[tuple[int, str, int, str]] = field(default_factory=list)
    warning_count: int = 0


@dataclass
class _Statement:
    number: int  # from 1
    attrs: dict
    account: Account | None = None
    base_currency: str = ""
    events: list[Event] = field(default_factory=list)
    positions: dict = field(default_factory=dict)  # conid → OpenPosition attrs
    cash: dict = field(default_factory=dict)  # currency → CashReportCurrency attrs
    rates: list = field(default_factory=list)
    corporate: dict = field(default_factory=dict)  # action id → Event
    occurrences: dict = field(default_factory=lambda: defaultdict(int))
    realized: dict = field(default_factory=dict)  # entry key → (label, currency, value)
    has_eae: bool = False
    lots: dict = field(default_factory=lambda: defaultdict(list))  # conid → LOT rows

    def release(self) -> None:
        """Drop the rows of a statement booked (its number and attributes stay)."""
        self.events = []
        self.positions, self.cash, self.rates, self.corporate = {}, {}, [], {}
        self.occurrences, self.realized, self.lots = defaultdict(int), {}, defaultdict(list)


class _Import:
    def __init__(self):
        self.errors: list[tuple[int, str, int, str]] = []
        self.result = FlexImportResult()
        self.statements: list[_Statement] = []
        self.instruments: dict[int, Instrument] = {}
        self.accounts: dict[str, Account | None] = {}
        self.sequence = 0
        self.rules: dict = {}
        self.mapped: dict[str, int] | None = None  # Flex accountId → account id (mapping table)
        self.chunk: list[ExecutionBooking] = []  # trades to book, of statements read so far
        self.pending_accounts: set[int] = set()  # the accounts of those trades
        self.stores: list[tuple] = []  # statements' broker figures to store
        self.account_seen: set[int] = set()
        self.market_changed = False
        self.digest = ""
        self.allowed: set[int] | None = None  # the accounts the import may book to, if limited
        self.known_conids: set[int] | None = None  # the master's conids, read once
        self.known_keys: set[tuple] = set()  # (symbol, exchange, currency) without a conid
        self.unsaved: list[Instrument] = []  # new instruments met, saved before booking

    # -- reading ---------------------------------------------------------------------------

    def error(self, statement: int, section: str, number: int, reason: str) -> None:
        self.errors.append((statement, section, number, reason))

    def warn(self, statement: int, section: str, number: int, reason: str) -> None:
        self.result.warning_count += 1
        if len(self.result.warnings) < WARNINGS_KEPT:
            self.result.warnings.append((statement, section, number, reason))

    def account_of(self, flex_id: str) -> Account | None:
        """The ledger account of a Flex accountId, resolved once per file: the operator's
        mapping table (read whole, once), else the account whose external reference or
        number is that id."""
        if flex_id in self.accounts:
            return self.accounts[flex_id]
        if self.mapped is None:
            self.mapped = dict(
                BrokerAccountMapping.objects.values_list("broker_account_id", "account_id")
            )
        account = None
        if flex_id in self.mapped:
            account = Account.objects.filter(pk=self.mapped[flex_id]).first()
        elif flex_id:
            candidates = (
                Account.objects.exclude(account_type=Account.Type.PLATFORM)
                .filter(Q(external_ref=flex_id) | Q(number=flex_id))
                .order_by("number")
            )
            found = list(candidates[:3])
            account = next((a for a in found if a.external_ref == flex_id), None) or next(
                (a for a in found if a.number == flex_id), None
            )
        if account is not None and self.allowed is not None and account.pk not in self.allowed:
            account = None  # reported like an unknown one: nothing of it is shown
        self.accounts[flex_id] = account
        return account

    def _unknown(self, flex_id: str) -> str:
        if self.allowed is not None:
            return f"Flex account {flex_id!r} is no account you may import to"
        return f"no ledger account for Flex account {flex_id!r}"

    def instrument(self, attrs: dict) -> Instrument:
        """The instrument of a row's contract, resolved once per file. A contract the master
        cannot hold yet (its conid and its (symbol, exchange, currency) unknown, no underlying
        to link) is made in memory and saved with the others before anything books
        (`_instruments_save`); any other goes through `instrument_upsert`."""
        conid = int(attrs["conid"]) if (attrs.get("conid") or "").isdigit() else None
        if conid is not None and conid in self.instruments:
            return self.instruments[conid]
        data = instrument_data(attrs)
        if self.known_conids is None:
            self.known_conids = set(
                Instrument.objects.filter(conid__isnull=False).values_list("conid", flat=True)
            )
            self.known_keys = set(
                Instrument.objects.filter(conid__isnull=True).values_list(
                    "symbol", "exchange", "currency"
                )
            )
        try:
            if (
                data.conid not in self.known_conids
                and (data.symbol, data.exchange, data.currency) not in self.known_keys
                and data.underlying_conid is None
                and not data.underlying_symbol
            ):
                instrument, written = instrument_new(data), True
                self.unsaved.append(instrument)
            else:
                self._instruments_save()
                instrument, written = instrument_upsert(data=data, source="flex", touch=False)
        except (ValidationError, LedgerError) as exc:
            messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
            raise ValueError("; ".join(messages)) from None
        self.known_conids.add(data.conid)
        self.result.instruments_written += written
        self.instruments[data.conid] = instrument
        return instrument

    def _instruments_save(self) -> None:
        if self.unsaved:
            instruments_create(self.unsaved, source="flex")
            self.unsaved = []

    def take(self, row: FlexRow) -> None:
        if row.statement >= len(self.statements):
            self.statements.append(_Statement(row.statement + 1, row.statement_attrs))
        st = self.statements[row.statement]
        a = row.attrs
        self.sequence += 1
        account = a.get("accountId") or st.attrs.get("accountId", "")
        if row.section == "AccountInformation":
            st.base_currency = a.get("currency", "")
            return
        if row.section == "SecuritiesInfo":
            self.instrument(a)
        elif row.section == "Trades":
            has_id = a.get("ibExecID") or a.get("transactionID") or a.get("tradeID")
            occurrence = 0 if has_id else self._occurrence(st, a)
            event = trade_event(
                a, sequence=self.sequence, number=row.number, account=account, occurrence=occurrence
            )
            if event.kind != "fx":
                event.rows = [self.instrument(a)]
            st.events.append(event)
            if (
                event.kind == "trade"
                and a.get("fifoPnlRealized")
                and "C" in notes_of(a) | set((a.get("openCloseIndicator") or "").split(";"))
            ):
                st.realized[f"exec:{event.key}"] = (
                    f"{a.get('symbol', '')} {a.get('tradeDate', '')}",
                    a.get("currency", ""),
                    flex_decimal(a, "fifoPnlRealized"),
                )
        elif row.section == "CashTransactions":
            event = cash_event(
                a,
                sequence=self.sequence,
                number=row.number,
                account=account,
                occurrence=self._occurrence(st, a),
            )
            if (a.get("conid") or "").isdigit():
                event.rows = [self.instrument(a)]
            st.events.append(event)
        elif row.section == "CorporateActions":
            flex_decimal(a, "quantity", default=ZERO)
            action = (
                a.get("actionID") or a.get("transactionID") or ""
            ) or f"{a.get('dateTime')}|{a.get('type')}|{a.get('description')}"
            event = st.corporate.get(action)
            if event is None:
                on = flex_date(a, "dateTime", optional=True) or flex_date(a, "reportDate")
                event = st.corporate[action] = Event(
                    on,
                    reorganisations.RANK,
                    self.sequence,
                    "corporate",
                    "CorporateActions",
                    row.number,
                    f"ca:{action}",
                    account,
                    a,
                )
                st.events.append(event)
            event.rows.append((row.number, a, self.instrument(a)))
        elif row.section == "OptionEAE":
            event = option_event(
                a,
                sequence=self.sequence,
                number=row.number,
                account=account,
                occurrence=self._occurrence(st, a),
            )
            event.rows = [self.instrument(a)]
            if flex_decimal(a, "realizedPnl", default=ZERO):
                st.realized[f"flex:{event.key}"] = (
                    f"{a.get('symbol', '')} {a.get('transactionType', '')} {a.get('date', '')}",
                    a.get("currency", ""),
                    flex_decimal(a, "realizedPnl"),
                )
            st.has_eae = True
            st.events.append(event)
        elif row.section == "Transfers":
            event = transfer_event(
                a,
                sequence=self.sequence,
                number=row.number,
                account=account,
                occurrence=self._occurrence(st, a),
            )
            if (a.get("conid") or "").isdigit():
                event.rows = [self.instrument(a)]
            st.events.append(event)
        elif row.section == "OpenPositions":
            instrument = self.instrument(a)
            flex_decimal(a, "position")
            if (a.get("levelOfDetail") or "").upper() == "LOT":
                st.lots[instrument.conid].append(a)
            else:
                st.positions[instrument.conid] = a
        elif row.section == "CashReport":
            currency = (a.get("currency") or "").strip()
            if currency and currency != "BASE_SUMMARY":
                flex_decimal(a, "endingCash")
                st.cash[currency] = a
        elif row.section == "ConversionRates":
            st.rates.append(
                RateRow(
                    flex_date(a, "reportDate"),
                    a.get("fromCurrency", "").strip(),
                    a.get("toCurrency", "").strip(),
                    flex_decimal(a, "rate"),
                )
            )

    def _occurrence(self, st: _Statement, attrs: dict) -> int:
        key = tuple(sorted(attrs.items()))
        st.occurrences[key] += 1
        return st.occurrences[key]

    # -- booking ---------------------------------------------------------------------------

    def book(self, st: _Statement, digest: str) -> None:
        """Book one statement's events; its trades join the chunk of the file's pending trades
        (booked together, `_flush`), every other event is booked in its place after the
        pending trades (a cancellation finds the trade it cancels)."""
        flex_id = st.attrs.get("accountId", "")
        account = self.account_of(flex_id)
        if account is None:
            self.error(st.number, "FlexStatement", 0, self._unknown(flex_id))
            return
        self._instruments_save()
        st.account = account
        from_date = flex_date(st.attrs, "fromDate")
        to_date = flex_date(st.attrs, "toDate")
        if st.has_eae:
            # The Trades rows of exercises, assignments and expiries repeat what OptionEAE books.
            st.events = [e for e in st.events if not (e.kind == "trade" and e.eae_note)]
        touched = {account.pk}
        for event in st.events:
            if event.account and event.account != flex_id:
                other = self.account_of(event.account)
                if other is None:
                    self.error(
                        st.number,
                        event.section,
                        event.number,
                        self._unknown(event.account),
                    )
                else:
                    touched.add(other.pk)
        if touched & self.pending_accounts:
            # An earlier statement of the same account: its trades are booked first.
            self._flush()
        if (st.positions or st.lots or st.cash) and not (
            JournalEntry.objects.filter(
                trade_date__lt=from_date, postings__account=account
            ).exists()
        ):
            # A first statement (nothing booked before its fromDate) opens the account.
            self._opening(st, account, from_date)
        st.events.sort(key=_event_order)
        chunk = self.chunk
        for event in st.events:
            event_account = (
                account
                if not event.account or event.account == flex_id
                else self.account_of(event.account)
            )
            if event_account is None:
                continue
            try:
                if event.kind == "trade":
                    booking = self._trade_booking(st, event, event_account)
                    if not self.errors:
                        chunk.append(booking)
                        self.pending_accounts.add(booking.account_id)
                        if len(chunk) >= CHUNK:
                            self._flush()
                    continue
                if self.errors:
                    continue
                self._flush()
                with transaction.atomic():
                    self._book_other(st, event, event_account)
            except (ValueError, ValidationError, InvalidOperation, KeyError) as exc:
                message = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
                self.error(st.number, event.section, event.number, message)
        if not self.errors:
            self._market(st, to_date)
            self.stores.append(self._statement_lines(st, account, from_date, to_date))
            if len(self.stores) >= STORES_CHUNK:
                self._flush()
        if account.pk not in self.account_seen:
            self.account_seen.add(account.pk)
            self.result.account_ids.append(account.pk)

    def _flush(self) -> None:
        """Book the pending trades (one set-based chunk, `chunk_book`) and store the pending
        statements' broker figures."""
        if self.chunk:
            booked = chunk_book(self.chunk)
            self.result.booked += booked.booked
            self.result.skipped += booked.skipped
            self.chunk.clear()  # in place: `book` holds the list
            self.pending_accounts.clear()
        if self.stores:
            _statements_store(self.stores, self.digest)
            self.stores = []

    def _count(self, entry: JournalEntry, before: int) -> None:
        if entry.pk > before:
            self.result.booked += 1
        else:
            self.result.skipped += 1

    def _settle(self, instrument: Instrument, on: date, st: _Statement, event: Event) -> date:
        rule = self.rules.get(instrument.pk)
        if rule is None:
            rule = self.rules[instrument.pk] = instrument_settlement_rule(instrument)
        closed = rule.closed_reason(on)
        if closed:
            self.warn(
                st.number, event.section, event.number, f"trade date {closed}; booked all the same"
            )
        return rule.settle_date(on)

    def _trade_booking(self, st: _Statement, event: Event, account: Account) -> ExecutionBooking:
        a = event.attrs
        instrument = event.rows[0]
        quantity = flex_decimal(a, "quantity")
        price = flex_decimal(a, "tradePrice")
        if quantity == 0:
            raise ValueError("quantity is zero")
        if price < 0 and instrument.asset_class not in ("FUT", "FOP"):
            raise ValueError("price must not be negative")
        if quantity != quantity.quantize(QTY) or price != price.quantize(PX):
            raise ValueError("quantity has more than 8 or price more than 10 decimals")
        currency = a.get("currency") or instrument.currency
        if currency != instrument.currency:
            currency = currency.strip()
            if currency != instrument.currency:
                raise ValueError(
                    f"currency {currency} differs from the instrument's {instrument.currency}"
                )
        commission = -flex_decimal(a, "ibCommission", default=ZERO)
        commission_ccy = a.get("ibCommissionCurrency") or currency
        if commission_ccy != currency:
            commission_ccy = commission_ccy.strip()
        taxes = -flex_decimal(a, "taxes", default=ZERO)
        cost = commission + taxes
        if commission and commission_ccy != currency:
            cost = self._converted(commission, commission_ccy, currency, a, st) + taxes
        on = event.on
        settle = flex_date(a, "settleDateTarget", optional=True) or self._settle(
            instrument, on, st, event
        )
        if settle < on:
            raise ValueError("settle date is before the trade date")
        trade_id = a.get("tradeID")
        memo = f"{'BUY' if quantity > 0 else 'SELL'} {abs(quantity)} {instrument.symbol} @ {price}"
        if trade_id and trade_id.strip():
            memo += f" · trade {trade_id.strip()}"
        return ExecutionBooking(
            event.key,
            account.id,
            instrument.id,
            currency,
            instrument.multiplier,
            quantity,
            price,
            on,
            settle,
            commission,
            ZERO,
            cost.quantize(QTY),
            commission_ccy if commission_ccy != currency else "",
            taxes,
            memo,
        )

    def _converted(
        self, amount: Decimal, from_ccy: str, to_ccy: str, a: dict, st: _Statement
    ) -> Decimal:
        """`amount` of the commission's currency in the trade's: through the row's
        `fxRateToBase` (trade currency → base) when the commission is in the base currency."""
        rate = flex_decimal(a, "fxRateToBase", default=ZERO)
        if from_ccy == st.base_currency and rate:
            return (amount / rate).quantize(QTY)
        raise ValueError(f"commission in {from_ccy}: no rate to the trade's {to_ccy}")

    def _book_other(self, st: _Statement, event: Event, account: Account) -> None:
        last = JournalEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        if event.kind == "fx":
            entry = self._fx(event, account)
        elif event.kind == "cancel":
            entry = self._cancel(event, account)
        elif event.kind == "cash":
            entry = self._cash(event, account)
        elif event.kind == "option":
            entry = self._option(event, account)
        elif event.kind == "transfer":
            entry = self._transfer(event, account)
        elif event.kind == "corporate":
            entry = reorganisations.corporate_action_book(
                event=event,
                account=account,
                warn=lambda why: self.warn(st.number, event.section, event.number, why),
            )
        elif event.kind == "opening":
            entry = journal_post(
                kind=Kind.OPENING_BALANCE,
                lines=event.rows,
                idempotency_key=event.key,
                trade_date=event.on,
                memo="Opening balance from the broker's statement",
                broker_reported=True,
            )
        else:
            raise ValueError(f"nothing books {event.kind}")
        if entry is not None:
            self._count(entry, last)

    def _fx(self, event: Event, account: Account) -> JournalEntry:
        """An FX conversion `BASE.QUOTE`: `quantity` of the base currency bought (sold when
        negative) for `proceeds` of the quote currency; commission in its own currency."""
        a = event.attrs
        symbol = (a.get("symbol") or "").strip()
        if "." not in symbol:
            raise ValueError(f"FX symbol {symbol!r} is not BASE.QUOTE")
        base, quote = symbol.split(".", 1)
        quantity = flex_decimal(a, "quantity")
        proceeds = flex_decimal(a, "proceeds", default=ZERO) or -(
            quantity * flex_decimal(a, "tradePrice")
        ).quantize(QTY)
        fx = platform.platform_account(platform.FX)
        lines = [
            PostingLine(account=account, currency=base, quantity=quantity),
            PostingLine(account=fx, currency=base, quantity=-quantity),
            PostingLine(account=account, currency=quote, quantity=proceeds),
            PostingLine(account=fx, currency=quote, quantity=-proceeds),
        ]
        commission = -flex_decimal(a, "ibCommission", default=ZERO)
        if commission:
            ccy = (a.get("ibCommissionCurrency") or quote).strip()
            fees = platform.platform_account(platform.FEES)
            lines += [
                PostingLine(
                    account=account, currency=ccy, quantity=-commission, role=Role.COMMISSION
                ),
                PostingLine(account=fees, currency=ccy, quantity=commission, role=Role.COMMISSION),
            ]
        return journal_post(
            kind=Kind.FX_CONVERSION,
            lines=lines,
            idempotency_key=f"exec:{event.key}",
            execution_id=event.key,
            trade_date=event.on,
            settle_date=flex_date(a, "settleDateTarget", optional=True) or event.on,
            memo=f"FX {symbol} {quantity} @ {a.get('tradePrice', '')}",
            broker_reported=True,
        )

    def _cancel(self, event: Event, account: Account) -> JournalEntry:
        a = event.attrs
        original_id = next(
            (
                (a.get(name) or "").strip()
                for name in ("origTradeID", "relatedTradeID")
                if (a.get(name) or "").strip() and (a.get(name) or "").strip() != "0"
            ),
            "",
        )
        if not original_id:
            raise ValueError("a cancellation names no origTradeID or relatedTradeID")
        original = (
            JournalEntry.objects.filter(
                memo__endswith=f" · trade {original_id}", postings__account=account
            )
            .exclude(kind=Kind.REVERSAL)
            .distinct()
            .first()
        )
        if original is None:
            raise ValueError(f"the cancelled trade {original_id} is not booked")
        lines = [
            PostingLine(
                account=p.account,
                instrument=p.instrument,
                currency=p.currency,
                quantity=-p.quantity,
                price=p.price,
                role=p.role,
                cost=p.cost,
                acquired=p.acquired,
            )
            for p in original.postings.select_related("account", "instrument").order_by("leg")
        ]
        return journal_post(
            kind=Kind.REVERSAL,
            lines=lines,
            idempotency_key=f"exec:{event.key}",
            execution_id=event.key,
            trade_date=max(event.on, original.trade_date),
            settle_date=max(event.on, original.settle_date),
            reverses=original,
            memo=f"Cancellation of trade {original_id}",
            broker_reported=True,
        )

    def _cash(self, event: Event, account: Account) -> JournalEntry:
        a = event.attrs
        kind = CASH_KINDS[(a.get("type") or "").strip().upper()]
        amount = flex_decimal(a, "amount")
        if amount == 0:
            raise ValueError("amount is zero")
        currency = (a.get("currency") or "").strip()
        if kind == Kind.DEPOSIT and amount < 0:
            kind = Kind.WITHDRAWAL
        contra, role = {
            Kind.DEPOSIT: (platform.BANK, Role.PRINCIPAL),
            Kind.WITHDRAWAL: (platform.BANK, Role.PRINCIPAL),
            Kind.DIVIDEND: (platform.CORPORATE_ACTIONS, Role.PRINCIPAL),
            Kind.PAYMENT_IN_LIEU: (platform.CORPORATE_ACTIONS, Role.PRINCIPAL),
            Kind.WITHHOLDING_TAX: (platform.TAX, Role.TAX),
            Kind.INTEREST: (platform.INTEREST, Role.PRINCIPAL),
            Kind.FEE: (platform.FEES, Role.FEE),
        }[kind]
        return journal_post(
            kind=kind,
            lines=[
                PostingLine(account=account, currency=currency, quantity=amount, role=role),
                PostingLine(
                    account=platform.platform_account(contra),
                    currency=currency,
                    quantity=-amount,
                    role=role,
                ),
            ],
            idempotency_key=f"flex:{event.key}",
            trade_date=event.on,
            settle_date=flex_date(a, "settleDate", optional=True) or event.on,
            memo=(a.get("description") or kind)[:300],
            broker_reported=True,
        )

    def _option(self, event: Event, account: Account) -> JournalEntry:
        """An option's exercise, assignment or expiry closes the option at zero (its premium
        realized, as the broker's `realizedPnl` and `fifoPnlRealized` show); the delivery of
        the underlying (the row's Buy or Sell) is booked at the strike like a trade."""
        a = event.attrs
        instrument = event.rows[0]
        quantity = flex_decimal(a, "quantity")
        price = flex_decimal(a, "tradePrice", default=ZERO)
        clearing = platform.platform_account(platform.CLEARING)
        costs = -flex_decimal(a, "commisionsAndTax", default=ZERO)
        lines = [
            PostingLine(
                account=account,
                instrument=instrument,
                quantity=quantity,
                price=price,
                cost=costs or None,
            ),
            PostingLine(account=clearing, instrument=instrument, quantity=-quantity, price=price),
        ]
        principal = (quantity * price * instrument.multiplier).quantize(QTY)
        ccy = instrument.currency
        if principal:
            lines += [
                PostingLine(account=account, currency=ccy, quantity=-principal),
                PostingLine(account=clearing, currency=ccy, quantity=principal),
            ]
        if costs:
            fees = platform.platform_account(platform.FEES)
            lines += [
                PostingLine(account=account, currency=ccy, quantity=-costs, role=Role.COMMISSION),
                PostingLine(account=fees, currency=ccy, quantity=costs, role=Role.COMMISSION),
            ]
        return journal_post(
            kind=Kind.OPTION_EVENT,
            lines=lines,
            idempotency_key=f"flex:{event.key}",
            trade_date=event.on,
            memo=f"{a.get('transactionType', '')} {quantity} {instrument.symbol}"[:300],
            broker_reported=True,
        )

    def _transfer(self, event: Event, account: Account) -> JournalEntry:
        """A position delivered in (or out) at its transfer price as cost basis, or cash."""
        a = event.attrs
        sign = 1 if a.get("direction", "").strip().upper() == "IN" else -1
        lines = []
        if event.rows:
            instrument = event.rows[0]
            quantity = sign * abs(flex_decimal(a, "quantity"))
            price = flex_decimal(a, "transferPrice", default=ZERO)
            if not price and flex_decimal(a, "positionAmount", default=ZERO):
                price = (
                    abs(flex_decimal(a, "positionAmount")) / abs(quantity) / instrument.multiplier
                ).quantize(PX)
            clearing = platform.platform_account(platform.CLEARING)
            lines += [
                *reorganisations.carried_in(
                    account=account,
                    contra=clearing,
                    instrument=instrument,
                    quantity=quantity,
                    price=price,
                    acquired=event.on,
                ),
            ]
        cash = flex_decimal(a, "cashTransfer", default=ZERO)
        if cash:
            bank = platform.platform_account(platform.BANK)
            ccy = (a.get("currency") or "").strip()
            lines += [
                PostingLine(account=account, currency=ccy, quantity=cash),
                PostingLine(account=bank, currency=ccy, quantity=-cash),
            ]
        if not lines:
            raise ValueError("a transfer of neither a position nor cash")
        return journal_post(
            kind=Kind.POSITION_TRANSFER
            if event.rows
            else Kind.DEPOSIT
            if cash > 0
            else Kind.WITHDRAWAL,
            lines=lines,
            idempotency_key=f"flex:{event.key}",
            trade_date=event.on,
            memo=f"Transfer {a.get('type', '')} {a.get('direction', '')} {a.get('symbol', '')}"[
                :300
            ],
            broker_reported=True,
        )

    def _opening(self, st: _Statement, account: Account, from_date: date) -> None:
        """The opening balance of a first statement: cash from `startingCash`; per contract,
        the end position less what the statement's own rows moved, at its cost per unit."""
        moved: dict[int, Decimal] = defaultdict(Decimal)
        for event in st.events:
            if event.kind in ("trade", "option") and event.rows:
                moved[event.rows[0].conid] += flex_decimal(event.attrs, "quantity", default=ZERO)
            elif event.kind == "transfer" and event.rows:
                sign = 1 if event.attrs.get("direction", "").upper() == "IN" else -1
                moved[event.rows[0].conid] += sign * abs(
                    flex_decimal(event.attrs, "quantity", default=ZERO)
                )
            elif event.kind == "corporate":
                for _, attrs, instrument in event.rows:
                    moved[instrument.conid] += flex_decimal(attrs, "quantity", default=ZERO)
        lines = []
        clearing = platform.platform_account(platform.CLEARING)
        bank = platform.platform_account(platform.BANK)
        for conid, lots in st.lots.items():
            if conid not in st.positions:  # lots without their summary row
                total = sum((flex_decimal(lot, "position") for lot in lots), ZERO)
                st.positions[conid] = lots[0] | {"position": str(total)}
        for conid, attrs in sorted(st.positions.items()):
            instrument = self.instruments[conid]
            opening = flex_decimal(attrs, "position") - moved.get(conid, ZERO)
            if not opening:
                continue
            # The lots opened before the statement give the opening's basis per unit and
            # acquisition date; without lot rows, the position's own cost basis.
            before = [
                lot
                for lot in st.lots.get(conid, [])
                if (flex_date(lot, "openDateTime", optional=True) or from_date) < from_date
            ]
            if before:
                held = sum((flex_decimal(lot, "position") for lot in before), ZERO)
                basis = sum(
                    (
                        flex_decimal(lot, "position") * flex_decimal(lot, "costBasisPrice")
                        for lot in before
                    ),
                    ZERO,
                )
                price = (basis / held).quantize(PX)
                acquired = min(flex_date(lot, "openDateTime") for lot in before)
            else:
                price = flex_decimal(attrs, "costBasisPrice", default=ZERO)
                acquired = flex_date(attrs, "openDateTime", optional=True) or from_date
            lines += [
                PostingLine(
                    account=account,
                    instrument=instrument,
                    quantity=opening,
                    price=price,
                    role=Role.CARRY,
                    acquired=min(acquired, from_date),
                ),
                PostingLine(
                    account=clearing,
                    instrument=instrument,
                    quantity=-opening,
                    price=price,
                    role=Role.CARRY,
                ),
            ]
        for currency, attrs in sorted(st.cash.items()):
            starting = flex_decimal(attrs, "startingCash", default=ZERO)
            if starting:
                lines += [
                    PostingLine(account=account, currency=currency, quantity=starting),
                    PostingLine(account=bank, currency=currency, quantity=-starting),
                ]
        if lines:
            st.events.append(
                Event(
                    from_date,
                    RANK_OPENING,
                    0,
                    "opening",
                    "OpenPositions",
                    0,
                    f"flex:opening:{st.attrs.get('accountId')}:{from_date}",
                    st.attrs.get("accountId", ""),
                    {},
                    rows=lines,
                )
            )

    def _market(self, st: _Statement, to_date: date) -> None:
        closes = {}
        for conid, attrs in st.positions.items():
            mark = flex_decimal(attrs, "markPrice", default=ZERO)
            if mark > 0:
                on = flex_date(attrs, "reportDate", optional=True) or to_date
                closes[(self.instruments[conid].pk, on)] = mark.quantize(PX)
        if closes:
            Price.objects.bulk_create(
                [Price(instrument_id=i, date=d, close=c) for (i, d), c in sorted(closes.items())],
                update_conflicts=True,
                unique_fields=["instrument", "date"],
                update_fields=["close"],
            )
        rates = usd_rates_from(st.rates) if st.rates else {}
        if rates:
            FxRate.objects.bulk_create(
                [FxRate(currency=c, date=d, usd_per_unit=r) for (c, d), r in sorted(rates.items())],
                update_conflicts=True,
                unique_fields=["currency", "date"],
                update_fields=["usd_per_unit"],
            )
        if closes or rates:
            self.market_changed = True
        self.result.closes += len(closes)
        self.result.rates += len(rates)

    def _statement_lines(
        self, st: _Statement, account: Account, from_date: date, to_date: date
    ) -> tuple:
        """What the statement says the account holds at its end (`BrokerStatement`): its
        positions, ending cash and realized P&L of each closing trade, stored by `_flush`."""
        lines = [
            (
                "position",
                str(conid),
                self.instruments[conid].symbol,
                self.instruments[conid].currency,
                flex_decimal(attrs, "position"),
            )
            for conid, attrs in st.positions.items()
        ]
        lines += [
            ("cash", currency, currency, currency, flex_decimal(attrs, "endingCash"))
            for currency, attrs in st.cash.items()
        ]
        lines += [
            ("realized", key, label[:100], currency, value)
            for key, (label, currency, value) in st.realized.items()
        ]
        return (account.pk, st.attrs.get("accountId", ""), from_date, to_date, lines)


def _statements_store(stores: list[tuple], digest: str) -> None:
    """Store statements' broker figures: each `BrokerStatement` created or updated (one per
    account and period), its lines replaced; a fixed number of statements for any number."""
    now = timezone.now()
    unique: dict[tuple, tuple] = {}
    for store in stores:
        unique[(store[0], store[2], store[3])] = store  # the same period again: the last wins
    statements = BrokerStatement.objects.bulk_create(
        [
            BrokerStatement(
                account_id=account_id,
                broker_account_id=flex_id,
                from_date=from_date,
                to_date=to_date,
                file_sha256=digest,
                imported_at=now,
            )
            for account_id, flex_id, from_date, to_date, _ in unique.values()
        ],
        update_conflicts=True,
        unique_fields=["account", "from_date", "to_date"],
        update_fields=["broker_account_id", "file_sha256", "imported_at"],
    )
    ids = [statement.pk for statement in statements]
    BrokerStatementLine.objects.filter(statement_id__in=ids).delete()
    BrokerStatementLine.objects.bulk_create(
        [
            BrokerStatementLine(
                statement_id=pk,
                kind=kind,
                key=key,
                label=label,
                currency=currency,
                value=value,
            )
            for pk, store in zip(ids, unique.values(), strict=True)
            for kind, key, label, currency, value in store[4]
        ],
        batch_size=5000,
    )


def _event_order(event: Event) -> tuple:
    return (event.on, event.rank, event.sequence)


@contextlib.contextmanager
def _cyclic_gc_paused():
    """As in `ledger.imports.executions`: the import's many short-lived objects hold no cycles."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@transaction.atomic
def flex_import(
    *, source: bytes | str | Path, account_ids: set[int] | None = None
) -> FlexImportResult:
    """Import every statement of a Flex file (its bytes or its path), or nothing
    (`FlexImportRefused` lists every bad row). With `account_ids`, a statement or row booking
    to any other account is a bad row (an upload by a firm's staff books only to the firm's
    accounts they may act on)."""
    if isinstance(source, Path):
        source = str(source)
    if isinstance(source, bytes):
        digest = hashlib.sha256(source).hexdigest()
    else:
        with open(source, "rb") as stream:
            digest = hashlib.file_digest(stream, "sha256").hexdigest()
    run = _Import()
    run.digest = digest
    run.allowed = account_ids
    with _cyclic_gc_paused():
        try:
            for row in flex_rows_read(source):
                if row.statement >= len(run.statements) and run.statements:
                    # Statements are booked one by one as the file is read, so memory holds
                    # one statement's rows at most.
                    if not run.errors:
                        run.book(run.statements[-1], digest)
                    run.statements[-1].release()
                try:
                    # Rows only read; the instrument upserts of `take` are atomic themselves.
                    run.take(row)
                except (ValueError, ValidationError, InvalidOperation) as exc:
                    message = (
                        "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
                    )
                    run.error(row.statement + 1, row.section, row.number, message)
        except FlexFileRefused as exc:
            raise FlexImportRefused([(0, "FlexQueryResponse", 0, str(exc))]) from None
        if not run.statements:
            raise FlexImportRefused(
                [(0, "FlexQueryResponse", 0, "the file holds no FlexStatement")]
            )
        if not run.errors and run.statements:
            run.book(run.statements[-1], digest)
        if not run.errors:
            run._flush()
            if run.market_changed or run.result.instruments_written:
                market_touch()
    if run.errors:
        raise FlexImportRefused(run.errors)
    run.result.statements = len(run.statements)
    return run.result
