"""Wash sales (IRC §1091): pure functions, no Django import.

A loss on a sale of stock or securities is not deductible when, within 30 days before or after
the sale, the taxpayer acquired substantially identical stock or securities (§1091(a)); the
disallowed loss is added to the basis of the replacement shares (§1091(d); IRS Publication 550,
"Wash Sales"). When fewer replacement shares were acquired than sold, only the loss on as many
shares as were replaced is disallowed, and replacement shares are matched to sales in the order
they were acquired (Treas. Reg. §1.1091-1(b), (c)); a replacement share serves one sale only.

Here "substantially identical" is the same instrument; the shares sold are not their own
replacement (an acquisition on the sold lot's open date is taken to be the lot itself).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

ZERO = Decimal(0)
WINDOW = timedelta(days=30)
Q8 = Decimal("0.00000001")


@dataclass(frozen=True, slots=True)
class Sale:
    ref: int
    instrument: int
    open_date: date
    close_date: date
    quantity: Decimal  # shares sold, positive
    gain: Decimal  # negative: a loss


@dataclass(frozen=True, slots=True)
class Purchase:
    ref: int
    instrument: int
    on: date
    quantity: Decimal  # positive


@dataclass(frozen=True, slots=True)
class Replacement:
    purchase_ref: int
    acquired: date
    quantity: Decimal
    basis_added: Decimal  # the part of the disallowed loss added to this replacement


@dataclass(frozen=True, slots=True)
class WashSale:
    sale_ref: int
    disallowed: Decimal  # positive: the loss not allowed
    replacements: tuple[Replacement, ...]


def wash_sales_find(sales: list[Sale], purchases: list[Purchase]) -> dict[int, WashSale]:
    """sale ref → its wash sale, for the sales at a loss with replacement shares acquired within
    30 days before or after the sale."""
    left = {p.ref: p.quantity for p in purchases}
    ordered = sorted(purchases, key=lambda p: (p.on, p.ref))
    out: dict[int, WashSale] = {}
    for sale in sorted(sales, key=lambda s: (s.close_date, s.ref)):
        if sale.gain >= 0 or sale.quantity <= 0:
            continue
        need = sale.quantity
        matched: list[tuple[Purchase, Decimal]] = []
        for purchase in ordered:
            if need == 0:
                break
            if (
                purchase.instrument != sale.instrument
                or purchase.on == sale.open_date
                or abs(purchase.on - sale.close_date) > WINDOW
                or left[purchase.ref] <= 0
            ):
                continue
            take = min(need, left[purchase.ref])
            left[purchase.ref] -= take
            need -= take
            matched.append((purchase, take))
        if not matched:
            continue
        loss_per_share = -sale.gain / sale.quantity
        replacements = tuple(
            Replacement(p.ref, p.on, take, (loss_per_share * take).quantize(Q8))
            for p, take in matched
        )
        out[sale.ref] = WashSale(
            sale.ref, sum((r.basis_added for r in replacements), ZERO), replacements
        )
    return out
