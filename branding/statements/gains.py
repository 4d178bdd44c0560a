"""The annual realized gains and losses report, from the ledger's closed tax lots.

One row per `RealizedGain` (a lot, or the part of one, closed by a trade) of the account — and of
a master's sub-accounts — closed in the calendar year, read through `ledger.selectors.realized_for`
(tenant-scoped). Amounts are in the instrument's currency:

- gain/loss is the ledger's own `pnl` = (close price − open price) × quantity × multiplier, with
  the quantity signed like the lot (negative for a short sale);
- proceeds are what the disposal brought in: close price × |quantity| × multiplier for a long lot,
  open price × |quantity| × multiplier for a short sale (sold first, bought back at the close);
- cost basis = proceeds − gain/loss, so the three always reconcile;
- a lot is long-term when held more than one year: closed after the anniversary of its open date
  (IRS Publication 550, "Holding Period"; a lot opened on 29 February has its anniversary on
  28 February), else short-term;
- commissions and fees are in the lots: the cost basis includes the costs of purchase and the
  proceeds are net of the selling expenses (Pub. 550, "Basis of Investment Property" and "How
  To Figure Gain or Loss"), as the broker's 1099-B and `fifoPnlRealized` state them;
- wash sales (IRC §1091), for taxable accounts (not IRAs): a loss on a lot sold within 30 days
  before or after buying the same instrument is flagged with code W and its disallowed amount
  (`ledger.domain.wash_sales`); the "Wash sales" section names the replacement shares whose
  basis the disallowed loss is added to. Gain/loss stays the ledger's realized P&L, so the
  report, the statements and the ledger agree; the disallowed loss is shown beside it.

Sections and CSV columns (layout in `report_render`):
- "Account Information": Field, Value (Name, Account, Account title, Tax year).
- "Short-term" and "Long-term": Account, Symbol, Description, Currency, Quantity, Open date,
  Close date, Proceeds, Cost basis, Gain/loss; a Total row when the section is in one currency.
- "Summary": Currency, Term, Proceeds, Cost basis, Gain/loss; per currency a row for each term
  and a "Total" row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from decimal import Decimal

from django.db.models import F
from django.db.models.functions import ExtractYear
from django.utils import timezone

from branding.statements.confirmations import holder_name, report_scope
from branding.statements.layout import DISPLAY, Column, Formats, Section
from branding.statements.report_render import Report
from ledger.domain.wash_sales import WINDOW, Purchase, Sale, WashSale, wash_sales_find
from ledger.models import Account, RealizedGain
from ledger.selectors import acquisitions_for, realized_for

ZERO = Decimal(0)
AMOUNT_PLACES = Decimal("0.00000001")
SHORT_TERM, LONG_TERM = "Short-term", "Long-term"
LOT_COLUMNS = (
    Column("Account"),
    Column("Symbol"),
    Column("Description"),
    Column("Currency"),
    Column("Quantity", True),
    Column("Open date"),
    Column("Close date"),
    Column("Proceeds", True),
    Column("Cost basis", True),
    Column("Gain/loss", True),
    Column("Disallowed loss", True),
    Column("Code"),
)
WASH_COLUMNS = (
    Column("Account"),
    Column("Symbol"),
    Column("Sale date"),
    Column("Loss disallowed", True),
    Column("Replacement acquired"),
    Column("Replacement quantity", True),
    Column("Basis added", True),
)
SUMMARY_COLUMNS = (
    Column("Currency"),
    Column("Term"),
    Column("Proceeds", True),
    Column("Cost basis", True),
    Column("Gain/loss", True),
)


def anniversary(day: dt.date) -> dt.date:
    """The same day a year later (28 February for 29 February)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


def holding_term(open_date: dt.date, close_date: dt.date) -> str:
    return LONG_TERM if close_date > anniversary(open_date) else SHORT_TERM


@dataclass(frozen=True)
class ClosedLot:
    account_number: str
    symbol: str
    description: str
    currency: str
    quantity: Decimal  # signed like the lot: negative for a short sale
    open_date: dt.date
    close_date: dt.date
    proceeds: Decimal
    gain: Decimal
    wash_disallowed: Decimal = ZERO
    replacements: tuple = ()

    @property
    def code(self) -> str:
        return "W" if self.wash_disallowed else ""

    @property
    def cost_basis(self) -> Decimal:
        return self.proceeds - self.gain

    @property
    def term(self) -> str:
        return holding_term(self.open_date, self.close_date)


def closed_lot(gain: RealizedGain) -> ClosedLot:
    multiplier = gain.instrument.multiplier
    price = gain.close_price if gain.quantity > 0 else gain.open_price
    proceeds = (price * abs(gain.quantity) * multiplier).quantize(AMOUNT_PLACES)
    return ClosedLot(
        account_number=gain.account.number,
        symbol=gain.instrument.symbol,
        description=gain.instrument.description,
        currency=gain.instrument.currency,
        quantity=gain.quantity,
        open_date=gain.open_date,
        close_date=gain.close_date,
        proceeds=proceeds,
        gain=gain.pnl,
    )


@dataclass(frozen=True)
class GainsReport:
    account_number: str
    account_title: str
    holder_name: str
    year: int
    lots: tuple[ClosedLot, ...]
    generated_at: dt.datetime

    def by_term(self, term: str) -> list[ClosedLot]:
        return [lot for lot in self.lots if lot.term == term]


def _wash_sales(tenant, rows: list[RealizedGain], year: int) -> dict[int, WashSale]:
    """Wash sales among the year's long lots closed at a loss, per taxable account (IRC
    §1091): purchases of the same instrument by the same account within 30 days."""
    taxable = [
        r
        for r in rows
        if r.account.account_type != Account.Type.IRA and r.quantity > 0 and r.pnl < 0
    ]
    if not taxable:
        return {}
    purchases = acquisitions_for(
        tenant=tenant,
        account_ids={r.account_id for r in taxable},
        start=dt.date(year, 1, 1) - WINDOW,
        end=dt.date(year, 12, 31) + WINDOW,
    )
    out: dict[int, WashSale] = {}
    for account_id in {r.account_id for r in taxable}:
        out.update(
            wash_sales_find(
                [
                    Sale(r.pk, r.instrument_id, r.open_date, r.close_date, r.quantity, r.pnl)
                    for r in taxable
                    if r.account_id == account_id
                ],
                [
                    Purchase(p.entry_id, p.instrument_id, p.on, p.quantity)
                    for p in purchases
                    if p.account_id == account_id
                ],
            )
        )
    return out


def gains_gather(*, tenant, account: Account, year: int) -> GainsReport:
    ids = report_scope(tenant=tenant, account=account)
    rows = list(
        realized_for(
            tenant=tenant, account_ids=ids, start=dt.date(year, 1, 1), end=dt.date(year, 12, 31)
        ).order_by("close_date", "instrument__symbol", "open_date", "id")
    )
    washes = _wash_sales(tenant, rows, year)
    lots = []
    for row in rows:
        lot = closed_lot(row)
        wash = washes.get(row.pk)
        if wash is not None:
            lot = replace(lot, wash_disallowed=wash.disallowed, replacements=wash.replacements)
        lots.append(lot)
    return GainsReport(
        account_number=account.number,
        account_title=account.title,
        holder_name=holder_name(account),
        year=year,
        lots=tuple(lots),
        generated_at=timezone.now(),
    )


def gains_years_for(*, tenant, account_ids) -> list[dict]:
    """Per account, the years with realized gains or losses: `account_id`, `number`, `year`,
    newest first."""
    return list(
        realized_for(tenant=tenant, account_ids=account_ids)
        .annotate(year=ExtractYear("close_date"), number=F("account__number"))
        .values("account_id", "number", "year")
        .distinct()
        .order_by("-year", "number")
    )


def _sum(lots, attr: str) -> Decimal:
    return sum((getattr(lot, attr) for lot in lots), ZERO)


def _lots_section(key: str, title: str, lots: list[ClosedLot], f: Formats) -> Section:
    rows = [
        (
            lot.account_number,
            lot.symbol,
            lot.description,
            lot.currency,
            f.quantity(lot.quantity),
            lot.open_date.isoformat(),
            lot.close_date.isoformat(),
            f.money(lot.proceeds),
            f.money(lot.cost_basis),
            f.money(lot.gain),
            f.money(lot.wash_disallowed) if lot.wash_disallowed else "",
            lot.code,
        )
        for lot in lots
    ]
    total = None
    if lots and len({lot.currency for lot in lots}) == 1:
        total = (
            "Total",
            "",
            "",
            lots[0].currency,
            "",
            "",
            "",
            f.money(_sum(lots, "proceeds")),
            f.money(_sum(lots, "cost_basis")),
            f.money(_sum(lots, "gain")),
            f.money(_sum(lots, "wash_disallowed")) if _sum(lots, "wash_disallowed") else "",
            "",
        )
    return Section(key, title, LOT_COLUMNS, rows, total)


def _wash_section(lots: tuple[ClosedLot, ...], f: Formats) -> Section:
    rows = [
        (
            lot.account_number,
            lot.symbol,
            lot.close_date.isoformat(),
            f.money(lot.wash_disallowed),
            replacement.acquired.isoformat(),
            f.quantity(replacement.quantity),
            f.money(replacement.basis_added),
        )
        for lot in lots
        for replacement in lot.replacements
    ]
    return Section("wash_sales", "Wash sales", WASH_COLUMNS, rows)


def _summary_section(lots: tuple[ClosedLot, ...], f: Formats) -> Section:
    rows = []
    for currency in sorted({lot.currency for lot in lots}):
        mine = [lot for lot in lots if lot.currency == currency]
        for term in (SHORT_TERM, LONG_TERM, "Total"):
            part = mine if term == "Total" else [lot for lot in mine if lot.term == term]
            rows.append(
                (
                    currency,
                    term,
                    f.money(_sum(part, "proceeds")),
                    f.money(_sum(part, "cost_basis")),
                    f.money(_sum(part, "gain")),
                )
            )
    return Section("summary", "Summary", SUMMARY_COLUMNS, rows)


def gains_report(report: GainsReport, f: Formats = DISPLAY) -> Report:
    """The report's tables, formatted by `f` (DISPLAY for the PDF, PLAIN for CSV)."""
    info = Section(
        "account",
        "Account Information",
        (Column("Field"), Column("Value")),
        [
            ("Name", report.holder_name),
            ("Account", report.account_number),
            ("Account title", report.account_title),
            ("Tax year", str(report.year)),
        ],
    )
    return Report(
        kind="realized-gains",
        title="Realized Gains and Losses",
        subject=f"{report.account_number} · {report.year}",
        generated_at=report.generated_at,
        sections=(
            info,
            _summary_section(report.lots, f),
            _lots_section("short_term", SHORT_TERM, report.by_term(SHORT_TERM), f),
            _lots_section("long_term", LONG_TERM, report.by_term(LONG_TERM), f),
            *((_wash_section(report.lots, f),) if any(lot.code for lot in report.lots) else ()),
        ),
        notes=(
            "Lots are closed first-in, first-out. Long-term: held more than one year. "
            "Amounts are in the instrument's currency; cost basis = proceeds − gain/loss; "
            "commissions and fees are in the cost basis and the proceeds (IRS Pub. 550). "
            "W: a wash sale, the loss disallowed and added to the replacement shares' basis "
            "(IRC §1091). "
            "This report is not a tax form.",
        ),
        empty_text="No lots closed in this year.",
    )
