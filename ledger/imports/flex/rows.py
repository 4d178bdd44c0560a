"""Flex rows into bookings to make: pure reading of each section's attributes into events the
booking module books in date order. Field names and codes are IBKR's (Flex reference; the
`ibflex` package's `Types.py` and `enums.py`): `notes` codes (Ca cancelled, Co corrected, Ex
exercise, A assignment, Ep expired, O opening, C closing), `CashTransaction/@type`,
`CorporateAction/@type` (FS forward split, RS reverse split, IC issue change, TC merger, SO
spin-off, SD stock dividend, DW delisted worthless) and `OptionEAE/@transactionType`."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from ledger.imports.flex.reader import flex_date, flex_decimal
from ledger.services.instruments import InstrumentData, asset_class_of

ZERO = Decimal(0)

# Ranks of a day's events: reorganisations take effect at the open, trades during the day,
# option exercises, assignments and expiries after the close, cash last.
RANK_OPENING, RANK_CORPORATE, RANK_TRANSFER, RANK_TRADE, RANK_OPTION, RANK_CASH = range(6)

CASH_KINDS = {
    "DEPOSITS/WITHDRAWALS": "deposit",
    "DEPOSITS & WITHDRAWALS": "deposit",
    "DIVIDENDS": "dividend",
    "PAYMENT IN LIEU OF DIVIDENDS": "payment_in_lieu",
    "WITHHOLDING TAX": "withholding_tax",
    "BROKER INTEREST PAID": "interest",
    "BROKER INTEREST RECEIVED": "interest",
    "BOND INTEREST PAID": "interest",
    "BOND INTEREST RECEIVED": "interest",
    "OTHER FEES": "fee",
    "COMMISSION ADJUSTMENTS": "fee",
    "ADVISOR FEES": "fee",
}
EAE_TYPES = {"ASSIGNMENT", "EXERCISE", "EXPIRATION", "BUY", "SELL", "CASH SETTLEMENT"}
EAE_NOTES = {"A", "Ex", "Ep"}

# The attributes a Trade row without any id is known by (`row_hash`).
HASHED = (
    "accountId",
    "conid",
    "symbol",
    "tradeDate",
    "tradeTime",
    "dateTime",
    "buySell",
    "quantity",
    "tradePrice",
    "ibCommission",
    "currency",
    "orderTime",
)


def row_hash(attrs: dict, occurrence: int) -> str:
    """The documented stable key of a row without ibExecID, transactionID or tradeID: SHA-256
    of the `HASHED` attributes as given (joined by `|`) and the row's occurrence among
    identical rows of its statement (two identical fills in one second stay two), 32 hex
    digits, prefixed `h:`."""
    text = "|".join(attrs.get(name, "") for name in HASHED) + f"|{occurrence}"
    return "h:" + hashlib.sha256(text.encode()).hexdigest()[:32]


_NO_NOTES: frozenset[str] = frozenset()


def notes_of(attrs: dict) -> frozenset[str] | set[str]:
    raw = attrs.get("notes")
    if not raw:
        return _NO_NOTES
    return {code.strip() for code in raw.split(";") if code.strip()}


def instrument_data(attrs: dict) -> InstrumentData:
    """The instrument master's fields of a Flex row (SecurityInfo, Trade, OpenPosition, ...)."""
    conid = (attrs.get("conid") or "").strip()
    if not conid.isdigit():
        raise ValueError(f"conid {conid!r} is not a contract id")
    asset_class = asset_class_of(
        attrs.get("assetCategory", ""), sub_category=attrs.get("subCategory", "")
    )
    multiplier = flex_decimal(attrs, "multiplier", default=ZERO) or None
    if asset_class == "BOND" and multiplier is None:
        multiplier = Decimal("0.01")  # bond prices are in percent of the face amount
    underlying = (attrs.get("underlyingConid") or "").strip()
    strike = flex_decimal(attrs, "strike", default=ZERO) if attrs.get("strike") else None
    right = (attrs.get("putCall") or "").strip().upper()[:1]
    return InstrumentData(
        symbol=(attrs.get("symbol") or "").strip(),
        currency=(attrs.get("currency") or "").strip(),
        asset_class=asset_class,
        conid=int(conid),
        exchange=(attrs.get("listingExchange") or "").strip(),
        listing_exchange=(attrs.get("listingExchange") or "").strip(),
        isin=(attrs.get("isin") or "").strip(),
        cusip=(attrs.get("cusip") or "").strip(),
        figi=(attrs.get("figi") or "").strip(),
        description=(attrs.get("description") or "").strip()[:200],
        multiplier=multiplier,
        underlying_conid=int(underlying) if underlying.isdigit() else None,
        underlying_symbol=(attrs.get("underlyingSymbol") or "").strip(),
        expiry=flex_date(attrs, "expiry", optional=True),
        strike=strike,
        right=right if right in ("P", "C") else "",
    )


@dataclass(slots=True)
class Event:
    """One thing to book, in the order (on, rank, sequence)."""

    on: date
    rank: int
    sequence: int
    kind: str  # trade, fx, cancel, cash, corporate, option, transfer
    section: str
    number: int
    key: str
    account: str  # Flex accountId
    attrs: dict = field(repr=False)
    rows: list = field(default_factory=list, repr=False)  # corporate actions: the action's rows
    eae_note: bool = False


def trade_key(attrs: dict, occurrence: int) -> str:
    """ibExecID, else transactionID, else tradeID, else `row_hash`."""
    for name in ("ibExecID", "transactionID", "tradeID"):
        value = (attrs.get(name) or "").strip()
        if value:
            return value if name == "ibExecID" else f"{name}:{value}"
    return row_hash(attrs, occurrence)


def trade_event(attrs: dict, *, sequence: int, number: int, account: str, occurrence: int) -> Event:
    notes = notes_of(attrs)
    kind = "trade"
    transaction_type = attrs.get("transactionType") or ""
    buy_sell = attrs.get("buySell") or ""
    if "Ca" in notes or transaction_type.upper().endswith("CANCEL") or "(CA.)" in buy_sell.upper():
        kind = "cancel"
    elif attrs.get("assetCategory") in ("CASH", "cash", "Cash"):
        kind = "fx"
    on = flex_date(attrs, "tradeDate", optional=True) or flex_date(attrs, "dateTime")
    return Event(
        on=on,
        rank=RANK_TRADE,
        sequence=sequence,
        kind=kind,
        section="Trades",
        number=number,
        key=trade_key(attrs, occurrence),
        account=account,
        attrs=attrs,
        eae_note=bool(notes & EAE_NOTES),
    )


def cash_event(attrs: dict, *, sequence: int, number: int, account: str, occurrence: int) -> Event:
    kind = CASH_KINDS.get((attrs.get("type") or "").strip().upper())
    if kind is None:
        raise ValueError(f"cash transaction type {attrs.get('type')!r} is not one the ledger books")
    flex_decimal(attrs, "amount")
    on = flex_date(attrs, "dateTime", optional=True) or flex_date(attrs, "reportDate")
    tid = (attrs.get("transactionID") or "").strip()
    key = (
        f"transactionID:{tid}"
        if tid
        else row_hash(attrs | {"tradeDate": attrs.get("type", "")}, occurrence)
    )
    return Event(on, RANK_CASH, sequence, "cash", "CashTransactions", number, key, account, attrs)


def option_event(
    attrs: dict, *, sequence: int, number: int, account: str, occurrence: int
) -> Event:
    transaction_type = (attrs.get("transactionType") or "").strip().upper()
    if transaction_type not in EAE_TYPES:
        raise ValueError(f"option event {attrs.get('transactionType')!r} is not known")
    flex_decimal(attrs, "quantity")
    on = flex_date(attrs, "date")
    tid = (attrs.get("tradeID") or "").strip()
    key = (
        f"eae:{tid}"
        if tid
        else "eae:" + row_hash(attrs | {"tradeDate": attrs.get("date", "")}, occurrence)
    )
    return Event(on, RANK_OPTION, sequence, "option", "OptionEAE", number, key, account, attrs)


def transfer_event(
    attrs: dict, *, sequence: int, number: int, account: str, occurrence: int
) -> Event:
    direction = (attrs.get("direction") or "").strip().upper()
    if direction not in ("IN", "OUT"):
        raise ValueError(f"direction {attrs.get('direction')!r} is neither IN nor OUT")
    on = flex_date(attrs, "date", optional=True) or flex_date(attrs, "reportDate")
    tid = (attrs.get("transactionID") or "").strip()
    key = (
        f"transfer:{tid}"
        if tid
        else "transfer:" + row_hash(attrs | {"tradeDate": attrs.get("date", "")}, occurrence)
    )
    return Event(on, RANK_TRANSFER, sequence, "transfer", "Transfers", number, key, account, attrs)
