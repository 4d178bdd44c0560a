"""Whether each account of an allocation can pay for its share, before anything is booked.

The ledger refuses a journal entry that leaves a cash account (not a master) with negative
withdrawable cash in a currency: settled cash less pending debits, with credits that settle
later not counted (`ledger.journal.post._cash_check`). The same rule is applied here line by
line, so the preview shows who cannot pay and booking refuses with the accounts named before
the database is asked. Reg T margin accounts are not refused by the ledger: their line shows
the buying power left after the allocation (`ledger.domain.valuation`: twice the excess
equity, 12 CFR 220.12), and a shortfall is shown as a margin call to expect, not refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from allocations.models import Block
from ledger.domain.fx import fx_factor
from ledger.models import Account
from ledger.selectors import cash_balances_for, usd_rates_as_of, valuations_for_accounts

ZERO = Decimal(0)


@dataclass(frozen=True)
class LineFunding:
    account_id: int
    basis: str  # "cash" (withdrawable cash, checked by the ledger) or "buying power"
    currency: str
    before: Decimal
    cost: Decimal  # what the line takes from the account (negative: what it brings in)
    after: Decimal

    @property
    def ok(self) -> bool:
        return self.after >= 0

    @property
    def refused(self) -> bool:
        """The ledger would refuse this line: a cash account without the cash."""
        return self.basis == "cash" and not self.ok


def _funds_checked(account: Account) -> bool:
    return (
        account.margin_type == Account.MarginType.CASH
        and account.account_type != Account.Type.MASTER
    )


def allocation_funding(*, tenant, block: Block, lines) -> dict[int, LineFunding]:
    """account id → its funding, for `lines` (rows with account, quantity, principal,
    commission and fees) of an allocation of `block`. Three or four queries for any number of
    lines."""
    currency = block.instrument.currency
    sign = Decimal(1) if block.side == Block.Side.BUY else Decimal(-1)
    costs = {
        line.account.pk: sign * line.principal + line.commission + line.fees
        for line in lines
        if line.quantity
    }
    accounts = {line.account.pk: line.account for line in lines if line.account.pk in costs}
    cash_ids = [pk for pk, a in accounts.items() if _funds_checked(a)]
    margin_ids = [pk for pk in accounts if pk not in cash_ids]
    out: dict[int, LineFunding] = {}
    if cash_ids:
        withdrawable = dict.fromkeys(cash_ids, ZERO)
        for row in cash_balances_for(tenant=tenant, account_ids=cash_ids):
            if row.currency == currency:
                withdrawable[row.account_id] += row.withdrawable
        for pk in cash_ids:
            before, cost = withdrawable[pk], costs[pk]
            out[pk] = LineFunding(pk, "cash", currency, before, cost, before - cost)
    if margin_ids:
        valuations = valuations_for_accounts(
            tenant=tenant, account_ids=margin_ids, with_positions=False
        )
        rates = usd_rates_as_of(as_of=timezone.localdate())
        for pk in margin_ids:
            base = accounts[pk].base_currency
            before = valuations[pk].buying_power
            cost = costs[pk] * fx_factor(rates, currency=currency, base=base)
            out[pk] = LineFunding(pk, "buying power", base, before, cost, before - cost)
    return out


def allocation_shortfalls(funding: dict[int, LineFunding], numbers: dict[int, str]) -> list[str]:
    """One sentence per account that the ledger would refuse, in account number order."""
    return [
        f"{numbers[pk]} has {f.before:,.2f} {f.currency} of withdrawable cash and needs "
        f"{f.cost:,.2f} {f.currency}"
        for pk, f in sorted(funding.items(), key=lambda kv: numbers[kv[0]])
        if f.refused
    ]
