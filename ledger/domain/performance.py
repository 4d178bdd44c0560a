"""Performance: time-weighted and money-weighted returns. Pure functions, no Django import.

TWR (daily-linked; external flows at the start of the day, as with a deposit received before
the market opens): r_t = NAV_t / (NAV_{t−1} + F_t) − 1 and TWR = Π (1 + r_t) − 1
(CFA Institute, GIPS 2020 Provision 2.A.19 / "true" time-weighted return with valuation at
each external cash flow). Rules for the days this formula does not cover:
- a day whose start value NAV_{t−1} + F_t is zero or negative has no defined return: it is left
  out of the chain (listed in `TwrResult.excluded`), the chain carries on the next day;
- a day that loses more than its start value (NAV_t < 0 from a positive start, on margin) counts
  as −100 %: a unit invested at the start cannot lose more than everything (`TwrResult.floored`);
- a history is read by `history_points`: an account without NAV before the range starts from a
  NAV of 0, so its first deposit is the first day's flow and that day's return counts.

MWR is the internal rate of return of the investor's flows (XIRR convention, Actual/365):
Σ CF_i (1 + r)^(−(d_i − d_0)/365) = 0 with CF = −start NAV, −deposits, +withdrawals, +end NAV,
solved by pyxirr (`xnpv`, `xirr`) in period-rate space: R = (1 + r)^(D/365) − 1 over the D days
from the first to the last flow, Σ CF_i (1 + R)^(−(d_i − d_0)/D) = 0, so a short history never
goes through an annual rate of 1e24. When the flows' signs change more than once there may be
several rates or none. The rule: every rate is looked for whose growth 1 + R lies between
1e−6 and 1e4 a year (−99.9999 % to +999,900 %; for the period when it is shorter than a year;
at most 1e11 in all), by bracketing sign changes of the present value on a grid of log(1 + R)
(`_grid`) and letting pyxirr converge from a guess in each bracket (pyxirr's own answers from
its default guess are candidates too). The rate nearest zero for the period is shown (the lower
one on a tie), the others are listed. With all flows one way (no money put in against money
taken out), or no rate in that range, the MWR is "not meaningful" and the result says why.

Annualizing follows GIPS 2020 for Firms, Provision 2.A.12: "Returns for periods of less than one
year must not be annualized." Both results always carry the return for the period; the
annualized rate (1 + R)^(365 / days) − 1 only when the period is 365 days or more.

Both return the steps of the calculation so a page can show its work. Returns are Decimals
rounded to 12 places; they are ratios, not money.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any

import pyxirr

ZERO = Decimal(0)
PLACES = Decimal("0.000000000001")
YEAR_DAYS = 365
# A ratio beyond this (10^14 %) is not shown: it cannot be quantized to 12 places in 28 digits
# and no real history produces it.
RATIO_LIMIT = 1e12


def ratio_decimal(value: float) -> Decimal | None:
    """A float ratio as a Decimal of 12 places; None when it is not finite or out of bounds
    (never a Decimal InvalidOperation)."""
    if not math.isfinite(value) or abs(value) >= RATIO_LIMIT:
        return None
    return Decimal(repr(value)).quantize(PLACES)


def annualizes(days: int) -> bool:
    """GIPS 2020 for Firms 2.A.12: only a period of a year (365 days) or more is annualized."""
    return days >= YEAR_DAYS


@dataclass(frozen=True)
class DayPoint:
    """End-of-day NAV, with the external flow (deposit +, withdrawal −) of that day."""

    date: date
    nav: Decimal
    flow: Decimal = ZERO


def history_points(points: list[DayPoint], *, opening_known: bool = True) -> list[DayPoint]:
    """The points a return is computed on: `points[0]` is the opening close (its own flow is
    before the period and is dropped).

    - `opening_known=False` (no NAV on or before the start: the account opened inside the
      range): the opening is a NAV of 0 at the close before the first row, so the first row's
      deposit is the first day's flow and that day's return counts.
    - Leading days without value (NAV 0 and no flow) are not part of the history: it starts at
      the close before the first day with a flow or a value."""
    if not points:
        return []
    if opening_known:
        opening = DayPoint(points[0].date, points[0].nav)
        rest = points[1:]
    else:
        opening = DayPoint(points[0].date - timedelta(days=1), ZERO)
        rest = points
    out = [opening, *rest]
    first = 0
    while first + 1 < len(out) and not (out[first].nav or out[first + 1].nav):
        if out[first + 1].flow:
            break
        first += 1
    return [DayPoint(out[first].date, out[first].nav), *out[first + 1 :]]


@dataclass(frozen=True)
class TwrStep:
    date: date
    start_value: Decimal  # previous NAV + today's flow
    flow: Decimal
    end_value: Decimal
    daily_return: Decimal | None  # None: start value ≤ 0, no defined return, left out
    cumulative: Decimal | None  # None once the linked return is out of bounds

    @property
    def excluded(self) -> bool:
        return self.daily_return is None


@dataclass(frozen=True)
class TwrResult:
    start: date
    end: date
    cumulative: Decimal | None  # for the period; None when no day could be linked
    annualized: Decimal | None  # only for periods of 365 days or more (GIPS 2.A.12)
    steps: tuple[TwrStep, ...]
    excluded: tuple[date, ...] = ()  # days with a start value ≤ 0, left out of the chain
    floored: tuple[date, ...] = ()  # days that lost more than their start value: −100 %
    reason: str = ""  # why `cumulative` is None

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def shown(self) -> str:
        return "annualized" if self.annualized is not None else "for the period"


def twr(points: list[DayPoint]) -> TwrResult:
    """`points[0]` is the close before the period; its flow is not part of the period."""
    if len(points) < 2:
        raise ValueError("TWR needs the opening NAV and at least one day.")
    growth, linked, bounded = 1.0, 0, True
    steps, excluded, floored = [], [], []
    previous = points[0].nav
    for point in points[1:]:
        start_value = previous + point.flow
        daily: Decimal | None = None
        if start_value > 0:
            ratio = float(point.nav / start_value)
            if ratio < 0:
                floored.append(point.date)
                ratio = 0.0
            growth *= ratio
            linked += 1
            daily = ratio_decimal(ratio - 1.0)
            bounded = bounded and daily is not None and math.isfinite(growth)
        else:
            excluded.append(point.date)
        cumulative = ratio_decimal(growth - 1.0) if bounded else None
        bounded = cumulative is not None
        steps.append(TwrStep(point.date, start_value, point.flow, point.nav, daily, cumulative))
        previous = point.nav
    start, end = points[0].date, points[-1].date
    reason = ""
    if not linked:
        reason = "Not meaningful: no day has a positive start value (previous NAV + flow)."
    elif not bounded:
        reason = "Not meaningful: the linked return is out of bounds (a start value near zero)."
    total = ratio_decimal(growth - 1.0) if linked and bounded else None
    annualized = None
    if total is not None and annualizes((end - start).days):
        annualized = ratio_decimal(
            math.expm1(math.log(growth) * YEAR_DAYS / (end - start).days) if growth else -1.0
        )
    return TwrResult(
        start, end, total, annualized, tuple(steps), tuple(excluded), tuple(floored), reason
    )


SINGLE_RATE, NEAREST_ZERO, NOT_MEANINGFUL = "single rate", "nearest zero", "not meaningful"
# The range searched, per year of the period (a period shorter than a year counts as one):
# growth 1 + R from 1e-6 to 1e4 a year (−99.9999 % to +999,900 %), never beyond 1e11 in all.
LOWEST_GROWTH, HIGHEST_GROWTH, HIGHEST_TOTAL_GROWTH = 1e-6, 1e4, 1e11
# The grid of log(1 + R): 0, then |log(1 + R)| from 1e-7 growing by 5 % a point to both ends.
GRID_FIRST, GRID_RATIO = 1e-7, 1.05
CONVERGE_SCALE, POLISH_SCALE = 1e8, 1e11  # see `_PeriodAxis.solve`
ROOT_TOLERANCE = 1e-9  # |present value| over Σ |discounted flow| for a rate to count as a root


def mwr_range(days: int) -> tuple[float, float]:
    """The bounds of log(1 + R) searched for a period of `days`."""
    years = max(1.0, days / YEAR_DAYS)
    return (
        years * math.log(LOWEST_GROWTH),
        min(years * math.log(HIGHEST_GROWTH), math.log(HIGHEST_TOTAL_GROWTH)),
    )


def _grid(low: float, high: float) -> list[float]:
    points = [0.0]
    for bound in (low, high):
        step = GRID_FIRST
        while step < abs(bound):
            points.append(math.copysign(step, bound))
            step *= GRID_RATIO
        points.append(bound)
    return sorted(points)


@dataclass(frozen=True)
class MwrResult:
    period_return: Decimal | None  # for the period of `days`; None when not meaningful
    annualized: Decimal | None  # only for periods of 365 days or more (GIPS 2.A.12)
    days: int  # from the first to the last flow
    cash_flows: tuple[tuple[date, Decimal], ...]  # investor's view: − put in, + taken out
    rule: str  # SINGLE_RATE, NEAREST_ZERO or NOT_MEANINGFUL
    reason: str  # the rule in words, for the page
    rates: tuple[Decimal | None, ...] = ()  # every period rate found, lowest first
    sign_changes: int = 0
    log_growth: float | None = None  # log(1 + R) of the chosen rate, before rounding

    @property
    def meaningful(self) -> bool:
        return self.period_return is not None

    @property
    def shown(self) -> str:
        return "annualized" if self.annualized is not None else "for the period"


@dataclass(frozen=True)
class _PeriodAxis:
    """The flows for pyxirr, which discounts by (1 + ρ)^(−days/365) between calendar dates:
    the days are stretched by a whole factor k ≈ 365 / D so that the period spans about a
    year, and ρ = (1 + R)^(365 / (k·D)) − 1 with an exponent between 2/3 and 3/2. A rate of
    the period then stays a number of the same size for pyxirr however short the period
    (over 15 days, +100 % is 1e7 a year and −90 % is 1e−24 of growth a year, out of reach of a
    float's precision)."""

    dates: tuple[date, ...]
    amounts: tuple[float, ...]
    exponent: float
    low: float  # the range of log(1 + R) searched
    high: float

    @classmethod
    def of(cls, flows: list[tuple[date, Decimal]]) -> _PeriodAxis:
        first, days = flows[0][0], (flows[-1][0] - flows[0][0]).days
        stretch = max(1, round(YEAR_DAYS / days))
        return cls(
            tuple(first + timedelta(days=(d - first).days * stretch) for d, _ in flows),
            tuple(float(cf) for _, cf in flows),
            YEAR_DAYS / (days * stretch),
            *mwr_range(days),
        )

    def rho(self, u: float) -> float:
        return math.expm1(self.exponent * u)

    def present_values(self, us: list[float]) -> list[float | None]:
        rates = [self.rho(u) for u in us]
        return pyxirr.xnpv(rates, list(zip(self.dates, self.amounts, strict=True)), silent=True)

    def solve(self, guess_u: float) -> float | None:
        """log(1 + R) of the root pyxirr converges to from the guess, if any.

        pyxirr's Newton stops once the present value is small in absolute terms, so the flows
        are scaled to a present value of CONVERGE_SCALE at the guess (far enough from float
        noise for Newton to converge from afar), then, from the root found, of POLISH_SCALE
        (where "small" means a float's precision of the rate)."""
        rho = self._pyxirr_from(self.rho(guess_u), CONVERGE_SCALE)
        if rho is None:
            return None
        polished = self._pyxirr_from(rho, POLISH_SCALE)
        if polished is not None and abs(polished - rho) <= 1e-6 * (1 + abs(rho)):
            rho = polished
        return math.log1p(rho) / self.exponent

    def _pyxirr_from(self, guess: float, scale: float) -> float | None:
        weight = pyxirr.xnpv(guess, self.dates, [abs(a) for a in self.amounts], silent=True)
        if weight is None or not math.isfinite(weight) or weight <= 0:
            return None
        amounts = [a * (scale / weight) for a in self.amounts]
        rho = pyxirr.xirr(self.dates, amounts, guess=guess, silent=True)
        if rho is None or not math.isfinite(rho) or rho <= -1:
            return None
        return rho

    def is_root(self, u: float) -> bool:
        if not self.low <= u <= self.high:
            return False
        value = self.present_values([u])[0]
        scale = pyxirr.xnpv(self.rho(u), self.dates, [abs(a) for a in self.amounts], silent=True)
        return value is not None and scale is not None and abs(value) <= ROOT_TOLERANCE * scale


def _root_in(axis: _PeriodAxis, low: float, high: float, depth: int = 0) -> float | None:
    """A root in a bracket [low, high] of log(1 + R) where the present value changes sign:
    pyxirr from the middle or an end; failing that, from a narrower bracket of 16ths."""
    slack = (high - low) * 1e-6
    for guess in ((low + high) / 2, low, high):
        u = axis.solve(guess)
        if u is not None and low - slack <= u <= high + slack and axis.is_root(u):
            return u
    if depth == 3:
        return None
    cuts = [low + (high - low) * i / 16 for i in range(17)]
    values = axis.present_values(cuts)
    for (a, va), (b, vb) in pairwise(zip(cuts, values, strict=True)):
        if va is not None and vb is not None and va * vb < 0:
            return _root_in(axis, a, b, depth + 1)
    return None


def _roots(axis: _PeriodAxis, days: int, annual_guess: float | None) -> list[float]:
    """log(1 + R) of every rate found in the range, lowest first."""
    found = []
    grid = _grid(axis.low, axis.high)
    values = axis.present_values(grid)
    for (a, va), (b, vb) in pairwise(zip(grid, values, strict=True)):
        if va == 0:
            found.append(a)
        elif va is not None and vb is not None and va * vb < 0:
            u = _root_in(axis, a, b)
            if u is not None:
                found.append(u)
    if values[-1] == 0:
        found.append(grid[-1])
    # pyxirr's own answers (its default guess, on the stretched and on the calendar axis) are
    # candidates too: two roots closer than the grid show no sign change between them.
    guesses = [axis.solve(math.log1p(0.1) / axis.exponent)]
    if annual_guess is not None and annual_guess > -1:
        guesses.append(axis.solve(math.log1p(annual_guess) * days / YEAR_DAYS))
    found += [u for u in guesses if u is not None and axis.is_root(u)]
    unique: list[float] = []
    for u in sorted(found):
        if not unique or u - unique[-1] > 1e-9 * max(1.0, abs(u)):
            unique.append(u)
    return unique


def _sign_changes(amounts: list[Decimal]) -> int:
    return sum(1 for a, b in pairwise(amounts) if (a > 0) != (b > 0))


def mwr_of_flows(cash_flows: list[tuple[date, Decimal]]) -> MwrResult:
    """The money-weighted return of dated flows (investor's view: − put in, + taken out),
    by the rule in the module docstring."""
    merged: dict[date, Decimal] = {}
    for day, amount in cash_flows:
        merged[day] = merged.get(day, ZERO) + amount
    flows = [(d, cf) for d, cf in sorted(merged.items()) if cf]
    days = (flows[-1][0] - flows[0][0]).days if flows else 0
    amounts = [cf for _, cf in flows]
    known: dict[str, Any] = {
        "days": days,
        "cash_flows": tuple(flows),
        "sign_changes": _sign_changes(amounts),
    }
    if not (any(cf > 0 for cf in amounts) and any(cf < 0 for cf in amounts)):
        return MwrResult(
            None,
            None,
            rule=NOT_MEANINGFUL,
            reason="Not meaningful: the flows all go one way; a rate needs money put in "
            "(opening value, deposits) and money taken out (withdrawals, closing value).",
            **known,
        )
    axis = _PeriodAxis.of(flows)
    annual = pyxirr.xirr([d for d, _ in flows], [float(cf) for cf in amounts], silent=True)
    roots = _roots(axis, days, annual)
    if not roots:
        return MwrResult(
            None,
            None,
            rule=NOT_MEANINGFUL,
            reason="Not meaningful: no rate between −99.9999 % and +999,900 % a year (or for "
            "the period, when it is shorter) makes the present value of the flows zero.",
            **known,
        )
    chosen = min(roots, key=lambda u: (abs(math.expm1(u)), u))
    annualized = None
    if annualizes(days):
        annualized = ratio_decimal(math.expm1(chosen * YEAR_DAYS / days))
    if len(roots) == 1:
        rule, reason = SINGLE_RATE, "One rate solves the flows."
    else:
        rule = NEAREST_ZERO
        reason = (
            f"{len(roots)} rates solve the flows (their signs change "
            f"{known['sign_changes']} times); the one nearest zero is shown."
        )
    return MwrResult(
        ratio_decimal(math.expm1(chosen)),
        annualized,
        rule=rule,
        reason=reason,
        rates=tuple(ratio_decimal(math.expm1(u)) for u in roots),
        log_growth=chosen,
        **known,
    )


def mwr(points: list[DayPoint]) -> MwrResult:
    """Money-weighted return over the same day points as `twr`: the opening NAV is put in,
    deposits are put in and withdrawals taken out on their days, the closing NAV taken out."""
    if len(points) < 2:
        raise ValueError("MWR needs the opening NAV and at least one day.")
    flows = [(points[0].date, -points[0].nav)]
    flows += [(p.date, -p.flow) for p in points[1:] if p.flow]
    flows.append((points[-1].date, points[-1].nav))
    return mwr_of_flows(flows)


def benchmark_return(closes: list[tuple[date, Decimal]]) -> TwrResult:
    """A benchmark's price return over the same days (no flows)."""
    return twr([DayPoint(d, close) for d, close in closes])


def contribution(*, pnl_by_key: dict[str, Decimal], average_capital: Decimal) -> dict[str, Decimal]:
    """Each key's share of the return: its P&L over the average invested capital (Modified
    Dietz denominator), so the contributions add up to the period's Modified Dietz return."""
    if not average_capital:
        return dict.fromkeys(pnl_by_key, ZERO)
    return {key: (pnl / average_capital).quantize(PLACES) for key, pnl in pnl_by_key.items()}
