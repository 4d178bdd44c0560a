"""Whether an instrument's market is open at a moment, and its next session, from
`exchange-calendars` (regular trading hours, holidays and early closes of each exchange).

The calendar is the instrument's settlement calendar (`ledger.domain.settlement`): its exchange,
else its currency's main market. Calendars are built once per process over a short window
around today (building one costs tens of milliseconds; importing the package seconds)."""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from ledger.domain.settlement import CURRENCY_CALENDARS, calendar_for_exchange

# Crypto and FX trade around the clock (or on weekdays around the clock for FX): no session.
ALWAYS_OPEN = frozenset({"CRYPTO", "CASH"})


@dataclass(frozen=True)
class MarketState:
    calendar: str | None
    is_open: bool
    # The session a DAY order submitted now works in, its open and close (aware, UTC).
    session: date | None = None
    opens_at: datetime | None = None
    closes_at: datetime | None = None


def calendar_name(*, exchange: str, currency: str) -> str | None:
    return calendar_for_exchange(exchange) or CURRENCY_CALENDARS.get(currency)


@functools.lru_cache(maxsize=64)
def _calendar(name: str, around: date):
    import exchange_calendars
    from exchange_calendars.errors import CalendarError

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return exchange_calendars.get_calendar(
                name,
                start=(around - timedelta(days=10)).isoformat(),
                end=(around + timedelta(days=40)).isoformat(),
            )
        except (CalendarError, ValueError, KeyError):
            return None


@functools.lru_cache(maxsize=4096)
def _state_at_minute(name: str, minute: datetime) -> MarketState:
    import pandas as pd

    calendar = _calendar(name, minute.date())
    if calendar is None:
        return MarketState(name, True)
    ts = pd.Timestamp(minute)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas deprecation notices from inside the package
        is_open = bool(calendar.is_open_on_minute(ts))
        if is_open:
            session = calendar.minute_to_session(ts)
        else:
            session = calendar.minute_to_future_session(ts)
        return MarketState(
            calendar=name,
            is_open=is_open,
            session=session.date(),
            opens_at=calendar.session_open(session).to_pydatetime(),
            closes_at=calendar.session_close(session).to_pydatetime(),
        )


def market_state(*, asset_class: str, exchange: str, currency: str, at: datetime) -> MarketState:
    """The market of an instrument at `at` (aware)."""
    if asset_class in ALWAYS_OPEN:
        return MarketState(None, True, at.date())
    name = calendar_name(exchange=exchange, currency=currency)
    if name is None:
        return MarketState(None, True, at.date())
    minute = at.replace(second=0, microsecond=0)
    return _state_at_minute(name, minute)
