"""Performance: time-weighted and money-weighted returns. Pure functions, no Django import.

TWR (daily-linked; external flows at the start of the day, as with a deposit received before
the market opens): r_t = NAV_t / (NAV_{t−1} + F_t) − 1 and TWR = Π (1 + r_t) − 1
(CFA Institute, GIPS 2020 Provision 2.A.19 / "true" time-weighted return with valuation at
each external cash flow).

MWR is the internal rate of return of the investor's flows (XIRR convention, Actual/365):
Σ CF_i / (1 + r)^((d_i − d_0)/365) = 0 with CF = −start NAV, −deposits, +withdrawals,
+end NAV. Solved by Newton's method, falling back to bisection.

Both return the steps of the calculation so a page can show its work. Returns are Decimals
rounded to 12 places; they are ratios, not money.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

ZERO = Decimal(0)
PLACES = Decimal("0.000000000001")


def _d(value: float) -> Decimal:
    return Decimal(repr(value)).quantize(PLACES)


@dataclass(frozen=True)
class DayPoint:
    """End-of-day NAV, with the external flow (deposit +, withdrawal −) of that day."""

    date: date
    nav: Decimal
    flow: Decimal = ZERO


@dataclass(frozen=True)
class TwrStep:
    date: date
    start_value: Decimal  # previous NAV + today's flow
    flow: Decimal
    end_value: Decimal
    daily_return: Decimal
    cumulative: Decimal


@dataclass(frozen=True)
class TwrResult:
    start: date
    end: date
    cumulative: Decimal
    annualized: Decimal | None  # only for periods longer than a year
    steps: tuple[TwrStep, ...]


def twr(points: list[DayPoint]) -> TwrResult:
    """`points[0]` is the close before the period; its flow is not part of the period."""
    if len(points) < 2:
        raise ValueError("TWR needs the opening NAV and at least one day.")
    growth = 1.0
    steps = []
    previous = points[0].nav
    for point in points[1:]:
        start_value = previous + point.flow
        daily = float(point.nav / start_value) - 1.0 if start_value else 0.0
        growth *= 1.0 + daily
        steps.append(
            TwrStep(point.date, start_value, point.flow, point.nav, _d(daily), _d(growth - 1.0))
        )
        previous = point.nav
    days = (points[-1].date - points[0].date).days
    annualized = _d(growth ** (365.0 / days) - 1.0) if days > 365 and growth > 0 else None
    return TwrResult(points[0].date, points[-1].date, _d(growth - 1.0), annualized, tuple(steps))


@dataclass(frozen=True)
class MwrResult:
    annual_rate: Decimal
    period_return: Decimal
    cash_flows: tuple[tuple[date, Decimal], ...]  # investor's view
    iterations: int


def xirr(cash_flows: list[tuple[date, Decimal]], *, guess: float = 0.1) -> tuple[float, int]:
    """The annual rate r with Σ CF_i (1 + r)^−t_i = 0, t_i = (d_i − d_0)/365."""
    if not any(cf > 0 for _, cf in cash_flows) or not any(cf < 0 for _, cf in cash_flows):
        raise ValueError("XIRR needs at least one positive and one negative cash flow.")
    d0 = cash_flows[0][0]
    flows = [((d - d0).days / 365.0, float(cf)) for d, cf in cash_flows]

    def npv(rate: float) -> float:
        return sum(cf / (1.0 + rate) ** t for t, cf in flows)

    def slope(rate: float) -> float:
        return sum(-t * cf / (1.0 + rate) ** (t + 1.0) for t, cf in flows)

    rate = guess
    for iteration in range(1, 60):
        try:
            value, derivative = npv(rate), slope(rate)
        except (OverflowError, ZeroDivisionError):
            break
        if abs(value) < 1e-10:
            return rate, iteration
        if derivative == 0:
            break
        step = rate - value / derivative
        if step <= -1.0 or math.isnan(step):
            break
        if abs(step - rate) < 1e-13:
            return step, iteration
        rate = step
    return _bisect(npv)


def _bisect(npv) -> tuple[float, int]:
    low, high = -0.999999, 1.0
    while npv(high) > 0 and high < 1e9:
        high *= 2.0
    if (npv(low) > 0) == (npv(high) > 0):
        raise ValueError("No money-weighted return exists for these flows.")
    iterations = 0
    while high - low > 1e-14 and iterations < 500:
        iterations += 1
        middle = (low + high) / 2.0
        if (npv(middle) > 0) == (npv(low) > 0):
            low = middle
        else:
            high = middle
    return (low + high) / 2.0, iterations


def mwr(points: list[DayPoint]) -> MwrResult:
    """Money-weighted return over the same day points as `twr`."""
    if len(points) < 2:
        raise ValueError("MWR needs the opening NAV and at least one day.")
    flows = [(points[0].date, -points[0].nav)]
    flows += [(p.date, -p.flow) for p in points[1:] if p.flow]
    flows.append((points[-1].date, points[-1].nav))
    merged: dict[date, Decimal] = {}
    for day, amount in flows:
        merged[day] = merged.get(day, ZERO) + amount
    cash_flows = [(d, cf) for d, cf in sorted(merged.items()) if cf]
    rate, iterations = xirr(cash_flows)
    days = (points[-1].date - points[0].date).days
    period = (1.0 + rate) ** (days / 365.0) - 1.0
    return MwrResult(_d(rate), _d(period), tuple(cash_flows), iterations)


def benchmark_return(closes: list[tuple[date, Decimal]]) -> TwrResult:
    """A benchmark's price return over the same days (no flows)."""
    return twr([DayPoint(d, close) for d, close in closes])


def contribution(*, pnl_by_key: dict[str, Decimal], average_capital: Decimal) -> dict[str, Decimal]:
    """Each key's share of the return: its P&L over the average invested capital (Modified
    Dietz denominator), so the contributions add up to the period's Modified Dietz return."""
    if not average_capital:
        return dict.fromkeys(pnl_by_key, ZERO)
    return {key: (pnl / average_capital).quantize(PLACES) for key, pnl in pnl_by_key.items()}
