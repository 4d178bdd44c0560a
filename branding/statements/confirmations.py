"""Daily trade confirmations: every execution of an account on one trade date, in the brand.

Figures come from the journal postings of the account in each trade entry (read for the
tenant's own accounts only, via `ledger.selectors.accounts_for`), as signed cash effects on the
account: a buy's principal is negative (paid), a sale's positive (received); commission and fees
are charges (negative). Net amount = principal + commission + fees, the cash the execution moved.
A master account's confirmation covers the executions of its sub-accounts.

Sections and CSV columns (layout in `report_render`):
- "Account Information": Field, Value (Name, Account, Account title, Trade date, Executions).
- "Executions": Account, Execution ID, Symbol, Side, Quantity, Price, Currency, Principal,
  Commission, Fees, Net amount, Trade date, Settle date. Quantity is unsigned (Side says the
  direction); a Total row (principal, commission, fees, net amount) when all executions are in
  one currency.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F
from django.utils import timezone

from branding.statements.layout import DISPLAY, Column, Formats, Section
from branding.statements.report_render import Report
from ledger.models import Account, JournalEntry, Posting
from ledger.selectors import accounts_for, postings_for

ZERO = Decimal(0)
FEE_ROLES = (Posting.Role.FEE, Posting.Role.TAX)
EXECUTION_COLUMNS = (
    Column("Account"),
    Column("Execution ID"),
    Column("Symbol"),
    Column("Side"),
    Column("Quantity", True),
    Column("Price", True),
    Column("Currency"),
    Column("Principal", True),
    Column("Commission", True),
    Column("Fees", True),
    Column("Net amount", True),
    Column("Trade date"),
    Column("Settle date"),
)


@dataclass(frozen=True)
class Execution:
    account_number: str
    execution_id: str
    symbol: str
    description: str
    side: str  # BUY / SELL
    quantity: Decimal  # unsigned
    price: Decimal
    currency: str
    principal: Decimal  # signed cash effect
    commission: Decimal  # signed cash effect (a charge is negative)
    fees: Decimal  # signed cash effect
    trade_date: dt.date
    settle_date: dt.date
    cancelled_on: dt.date | None = None  # the trade date of the entry that reversed it

    @property
    def net_amount(self) -> Decimal:
        return self.principal + self.commission + self.fees


@dataclass(frozen=True)
class Confirmation:
    account_number: str
    account_title: str
    holder_name: str
    trade_date: dt.date
    executions: tuple[Execution, ...]
    generated_at: dt.datetime


def report_scope(*, tenant, account: Account) -> list[int]:
    """The account's ids a report covers: itself, and a master's sub-accounts (tenant-scoped)."""
    accounts = accounts_for(tenant=tenant)
    if account.account_type == Account.Type.MASTER:
        scoped = accounts.filter(pk=account.pk) | accounts.filter(parent_id=account.pk)
    else:
        scoped = accounts.filter(pk=account.pk)
    ids = list(scoped.values_list("pk", flat=True))
    if account.pk not in ids:
        raise Account.DoesNotExist("Not an account of this tenant.")
    return ids


def holder_name(account: Account) -> str:
    from branding.statements.data import _holder_name

    return _holder_name(account)


def executions_for(*, tenant, account_ids, trade_date: dt.date) -> list[Execution]:
    """The trade executions of the tenant's `account_ids` on `trade_date`, in booking order."""
    postings = (
        postings_for(tenant=tenant, account_ids=account_ids)
        .filter(entry__kind=JournalEntry.Kind.TRADE, entry__trade_date=trade_date)
        .select_related("entry", "entry__reversed_by", "instrument", "account")
        .order_by("entry_id", "account_id", "leg")
    )
    grouped: dict[tuple[int, int], list[Posting]] = defaultdict(list)
    for posting in postings:
        grouped[(posting.entry_id, posting.account_id)].append(posting)
    out = []
    for legs in grouped.values():
        leg = next((p for p in legs if p.instrument_id), None)
        if leg is None:
            continue
        cash = [p for p in legs if p.currency]
        entry = leg.entry

        def total(roles, cash=cash) -> Decimal:
            return sum((p.quantity for p in cash if p.role in roles), ZERO)

        out.append(
            Execution(
                account_number=leg.account.number,
                execution_id=entry.execution_id or f"#{entry.pk}",
                symbol=leg.instrument.symbol,
                description=leg.instrument.description,
                side="BUY" if leg.quantity > 0 else "SELL",
                quantity=abs(leg.quantity),
                price=leg.price or ZERO,
                currency=cash[0].currency if cash else leg.instrument.currency,
                principal=total((Posting.Role.PRINCIPAL,)),
                commission=total((Posting.Role.COMMISSION,)),
                fees=total(FEE_ROLES),
                trade_date=entry.trade_date,
                settle_date=entry.settle_date,
                cancelled_on=_reversal_date(entry),
            )
        )
    return out


def _reversal_date(entry: JournalEntry) -> dt.date | None:
    try:
        return entry.reversed_by.trade_date
    except JournalEntry.DoesNotExist:
        return None


def confirmation_gather(*, tenant, account: Account, trade_date: dt.date) -> Confirmation:
    ids = report_scope(tenant=tenant, account=account)
    return Confirmation(
        account_number=account.number,
        account_title=account.title,
        holder_name=holder_name(account),
        trade_date=trade_date,
        executions=tuple(executions_for(tenant=tenant, account_ids=ids, trade_date=trade_date)),
        generated_at=timezone.now(),
    )


def confirmation_dates_for(*, tenant, account_ids, limit: int = 30) -> list[dict]:
    """The latest trade dates with executions per account: `account_id`, `number`,
    `trade_date`, `executions`, newest first."""
    return list(
        postings_for(tenant=tenant, account_ids=account_ids)
        .filter(entry__kind=JournalEntry.Kind.TRADE, instrument__isnull=False)
        .values("account_id", number=F("account__number"), trade_date=F("entry__trade_date"))
        .annotate(executions=Count("entry_id", distinct=True))
        .order_by("-trade_date", "number")[:limit]
    )


def confirmation_report(confirmation: Confirmation, f: Formats = DISPLAY) -> Report:
    """The confirmation's tables, formatted by `f` (DISPLAY for the PDF, PLAIN for CSV)."""
    executions = confirmation.executions
    info = Section(
        "account",
        "Account Information",
        (Column("Field"), Column("Value")),
        [
            ("Name", confirmation.holder_name),
            ("Account", confirmation.account_number),
            ("Account title", confirmation.account_title),
            ("Trade date", confirmation.trade_date.isoformat()),
            ("Executions", str(len(executions))),
        ],
    )
    rows = [
        (
            e.account_number,
            e.execution_id,
            e.symbol,
            e.side,
            f.quantity(e.quantity),
            f.price(e.price),
            e.currency,
            f.money(e.principal),
            f.money(e.commission),
            f.money(e.fees),
            f.money(e.net_amount),
            e.trade_date.isoformat(),
            e.settle_date.isoformat(),
        )
        for e in executions
    ]
    total = None
    if executions and len({e.currency for e in executions}) == 1:

        def add(attr: str) -> str:
            return f.money(sum((getattr(e, attr) for e in executions), ZERO))

        total = (
            "Total",
            "",
            "",
            "",
            "",
            "",
            executions[0].currency,
            add("principal"),
            add("commission"),
            add("fees"),
            add("net_amount"),
            "",
            "",
        )
    return Report(
        kind="confirmation",
        title="Trade Confirmation",
        subject=f"{confirmation.account_number} · {confirmation.trade_date.isoformat()}",
        generated_at=confirmation.generated_at,
        sections=(info, Section("executions", "Executions", EXECUTION_COLUMNS, rows, total)),
        notes=(
            "Amounts are the cash each execution moved in the account: negative is paid, "
            "positive received. Net amount = principal + commission + fees.",
            *(
                f"Execution {e.execution_id} was cancelled on {e.cancelled_on.isoformat()}."
                for e in executions
                if e.cancelled_on
            ),
        ),
        empty_text="No executions on this trade date.",
    )
