"""Settlement dates: the trade date plus a number of business days of the instrument's market.

Business days come from the published exchange calendars of the `exchange-calendars` package:
the instrument's `exchange` (an IBKR exchange code such as NYSE, IBIS or SEHK, or a MIC such as
XNYS) names the calendar; when it is blank or unknown, the currency's main market does (XNYS for
USD, XLON for GBP, XETR for EUR, ...); without either, weekdays count. An exchange's trading
calendar stands in for its settlement system's (DTC, CREST, T2S), which closes on the same
public holidays; the few days where they differ (XETR closes on 24 and 31 December, T2S does
not) are not worth a second data source.

Cycles, in business days after the trade date (`CYCLES`):
- US equities and ETFs T+1 for trades from 28 May 2024 (SEC Rule 15c6-1, 17 CFR 240.15c6-1, as
  amended in 2023), T+2 from 5 September 2017 (as amended in 2017), T+3 before; Canadian
  equities the same steps, T+1 from 27 May 2024 (NI 24-101 as amended).
- UK and EU equities T+2 (CSDR, Regulation (EU) No 909/2014, art. 5(2); the UK kept it), T+1
  for trades from 11 October 2027 (art. 5(2) as amended in 2025; the UK moves the same day).
  The T+3 of some markets before October 2014 is not modelled.
- Other equities T+2; listed options T+1 (OCC); futures and crypto T+0; bonds and funds T+1.
- FX spot T+2, USD/CAD T+1 (market convention); a day counts only when the markets of both
  currencies are open (EUR.USD skips US and XETR holidays alike).
`Instrument.settlement_days` overrides the cycle and counts on the same calendars.

Calendars are built over a fixed window (2000 – 2045, or the package's default range where a
calendar records fewer years), once per process and kept in a cache file for the next;
outside the window a calendar's weekmask decides, so no date raises. No Django import."""

from __future__ import annotations

import array
import functools
import importlib.metadata
import os
import tempfile
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

# IBKR exchange codes, common names and MICs → exchange_calendars calendar. Another MIC the
# package knows (four letters: XWAR, XKLS, ...) is taken as it is.
EXCHANGE_CALENDARS = {
    # MICs of the main markets (XNAS, XASE and ARCX keep the NYSE's holidays).
    **{mic: mic for mic in (
        "XNYS", "XLON", "XETR", "XFRA", "XPAR", "XAMS", "XBRU", "XLIS", "XMIL", "XMAD", "XSWX",
        "XTSE", "XHKG", "XASX", "XTKS", "XNZE", "XSES", "XKRX", "XTAI", "XBOM",
    )},
    **dict.fromkeys(("XNAS", "XASE", "ARCX", "BATY", "IEXG", "OOTC"), "XNYS"),
    # United States: one holiday calendar for every equity and option venue.
    **dict.fromkeys(
        (
            "NYSE", "NASDAQ", "ISLAND", "ARCA", "NYSEARCA", "BATS", "BYX", "EDGX", "EDGEA",
            "IEX", "MEMX", "LTSE", "AMEX", "NYSEAMERICAN", "NYSEMKT", "NYSENAT", "CHX", "PSX",
            "BEX", "PINK", "OTC", "OTCMKTS", "CBOE", "CBOE2", "C2", "ISE", "PHLX", "BOX",
            "MIAX", "PEARL", "EMERALD", "GEMINI", "MERCURY", "NASDAQOM", "NASDAQBX", "PSE",
        ),
        "XNYS",
    ),
    **dict.fromkeys(("GLOBEX", "ECBOT", "NYBOT", "CME", "CBOT", "NYMEX", "COMEX"), "CMES"),
    **dict.fromkeys(("ICE", "ICEUS"), "IEPA"),
    "CFE": "XCBF",
    **dict.fromkeys(("EUREX", "DTB"), "XEUR"),
    # Canada
    **dict.fromkeys(("TSE", "TSX", "TSXE"), "XTSE"),
    **dict.fromkeys(("VENTURE", "TSXV", "XTSX"), "XTSE"),  # one holiday calendar
    # Europe
    **dict.fromkeys(("LSE", "LSEETF", "LSEIOB1"), "XLON"),
    **dict.fromkeys(("IBIS", "IBIS2", "XETRA", "GETTEX", "TGATE", "SWB", "SWB2"), "XETR"),
    **dict.fromkeys(("FWB", "FWB2"), "XFRA"),
    **dict.fromkeys(("SBF", "EURONEXT", "ENEXT.PA"), "XPAR"),
    **dict.fromkeys(("AEB", "ENEXT.AS"), "XAMS"),
    **dict.fromkeys(("ENEXT.BE", "EBR"), "XBRU"),
    **dict.fromkeys(("BVL", "ENEXT.LS"), "XLIS"),
    **dict.fromkeys(("BVME", "BIT", "MIL"), "XMIL"),
    **dict.fromkeys(("BM", "BME", "SIBE"), "XMAD"),
    **dict.fromkeys(("SIX", "SWX", "EBS", "VIRTX"), "XSWX"),
    "VSE": "XWBO",
    "SFB": "XSTO",
    "OSE": "XOSL",
    **dict.fromkeys(("CPH", "KFB"), "XCSE"),
    **dict.fromkeys(("HEX", "HMB"), "XHEL"),
    "ISEQ": "XDUB",
    "WSE": "XWAR",
    "PRA": "XPRA",
    "BUX": "XBUD",
    # Asia-Pacific and elsewhere
    **dict.fromkeys(("TSEJ", "TSE.JPN", "JPX"), "XTKS"),
    **dict.fromkeys(("SEHK", "HKEX", "HKFE"), "XHKG"),
    **dict.fromkeys(("ASX", "SNFE"), "XASX"),
    **dict.fromkeys(("NZX", "NZE"), "XNZE"),
    "SGX": "XSES",
    **dict.fromkeys(("KSE", "KRX"), "XKRX"),
    "TWSE": "XTAI",
    **dict.fromkeys(("NSE", "BSE"), "XBOM"),
    "JSE": "XJSE",
    **dict.fromkeys(("MEXI", "BMV"), "XMEX"),
    **dict.fromkeys(("BOVESPA", "B3"), "BVMF"),
    "TASE": "XTAE",
    **dict.fromkeys(("PAXOS", "ZEROHASH"), "24/7"),
}  # fmt: skip

# The currency's main market, for an instrument without a known exchange and for FX.
CURRENCY_CALENDARS = {
    "USD": "XNYS",
    "GBP": "XLON",
    "EUR": "XETR",
    "CAD": "XTSE",
    "CHF": "XSWX",
    "JPY": "XTKS",
    "HKD": "XHKG",
    "AUD": "XASX",
    "NZD": "XNZE",
    "SGD": "XSES",
    "SEK": "XSTO",
    "NOK": "XOSL",
    "DKK": "XCSE",
    "PLN": "XWAR",
    "CZK": "XPRA",
    "HUF": "XBUD",
    "KRW": "XKRX",
    "TWD": "XTAI",
    "INR": "XBOM",
    "ZAR": "XJSE",
    "MXN": "XMEX",
    "BRL": "BVMF",
    "ILS": "XTAE",
}

# Asset class → ((first trade date, business days), ...), latest rule last; per currency first.
_ALWAYS = date.min
CYCLES: dict[tuple[str, str], tuple[tuple[date, int], ...]] = {
    ("EQUITY", "USD"): ((_ALWAYS, 3), (date(2017, 9, 5), 2), (date(2024, 5, 28), 1)),
    ("EQUITY", "CAD"): ((_ALWAYS, 3), (date(2017, 9, 5), 2), (date(2024, 5, 27), 1)),
    ("EQUITY", "GBP"): ((_ALWAYS, 2), (date(2027, 10, 11), 1)),
    ("EQUITY", "EUR"): ((_ALWAYS, 2), (date(2027, 10, 11), 1)),
    ("EQUITY", ""): ((_ALWAYS, 2),),
    ("OPT", ""): ((_ALWAYS, 1),),
    ("FUT", ""): ((_ALWAYS, 0),),
    ("CRYPTO", ""): ((_ALWAYS, 0),),
    ("BOND", ""): ((_ALWAYS, 1),),
    ("FUND", ""): ((_ALWAYS, 1),),
    ("CASH", ""): ((_ALWAYS, 2),),
    ("CASH", "USD/CAD"): ((_ALWAYS, 1),),
}
_CYCLE_CLASS = {"STK": "EQUITY", "ETF": "EQUITY"}

# Calendars are built over this window (building one costs ~0.2 s, after 2-3 s of imports).
CALENDAR_START, CALENDAR_END = date(2000, 1, 1), date(2045, 12, 31)
_SEARCH_LIMIT = 366  # days searched for a business day before giving up on a calendar


@dataclass(frozen=True, slots=True)
class _Sessions:
    first: date
    last: date
    days: frozenset[date]
    weekmask: tuple[bool, ...]  # Monday first; decides outside first..last

    def is_open(self, day: date) -> bool:
        if self.first <= day <= self.last:
            return day in self.days
        return self.weekmask[day.weekday()]


_WEEKDAYS = _Sessions(date.max, date.min, frozenset(), (True,) * 5 + (False,) * 2)


def _build(name: str, **window: str) -> Any:
    """An exchange_calendars calendar, or None when the package cannot build it over `window`
    (an unknown name, holidays not recorded that far, a start before the calendar's first)."""
    import exchange_calendars
    from exchange_calendars.errors import CalendarError

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas deprecation notices from inside the package
        try:
            return exchange_calendars.get_calendar(name, **window)
        except (CalendarError, ValueError, KeyError):
            return None


def _sessions(days: Iterable[date], weekmask: str) -> _Sessions:
    days = frozenset(days)
    return _Sessions(min(days), max(days), days, tuple(flag == "1" for flag in weekmask))


def _cache_file(name: str) -> Path | None:
    """Where the sessions of a calendar over the fixed window are kept between processes:
    importing exchange_calendars (and pandas) costs 2-3 s and 50 MB, loading the file 5 ms.
    Keyed by the package version, whose releases update holidays."""
    try:
        version = importlib.metadata.version("exchange-calendars")
    except importlib.metadata.PackageNotFoundError:
        return None
    root = os.environ.get("SETTLEMENT_CALENDAR_CACHE") or Path(
        os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache", "brokerportal", "calendars"
    )
    window = f"{CALENDAR_START:%Y%m%d}-{CALENDAR_END:%Y%m%d}"
    return Path(root, f"{name.replace('/', '_')}-{version}-{window}.bin")


def _cache_read(path: Path) -> _Sessions | None:
    """The file holds the weekmask (7 bytes of 0/1) and the sessions' ordinals (uint32)."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    ordinals = array.array("I")
    weekmask, body = data[:7].decode("ascii", "replace"), data[7:]
    if len(weekmask) != 7 or set(weekmask) - {"0", "1"} or not body or len(body) % 4:
        return None
    ordinals.frombytes(body)
    return _sessions(map(date.fromordinal, ordinals), weekmask)


def _cache_write(path: Path, sessions: frozenset[date], weekmask: str) -> None:
    body = array.array("I", sorted(day.toordinal() for day in sessions)).tobytes()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as out:
            out.write(weekmask.encode("ascii") + body)
        os.replace(out.name, path)  # atomic: a concurrent reader sees all of it or nothing
    except OSError:
        pass  # a read-only home: build the calendar again next time


@functools.cache
def sessions_of(name: str) -> _Sessions:
    """The trading days of the calendar `name`, as a set built once per process (and kept in a
    file for the next); weekdays when the package cannot build it (an unknown name, holidays
    not recorded that far)."""
    path = _cache_file(name)
    cached = _cache_read(path) if path else None
    if cached is not None:
        return cached
    window = {"start": CALENDAR_START.isoformat(), "end": CALENDAR_END.isoformat()}
    calendar = _build(name, **window)
    if calendar is not None:
        days = frozenset(calendar.sessions.date)
        if path:
            _cache_write(path, days, calendar.weekmask)
        return _sessions(days, calendar.weekmask)
    # The package's default range (today's date minus 20 years to plus 1), for calendars
    # that record fewer years; not kept, as it moves with the date.
    calendar = _build(name)
    if calendar is not None:
        return _sessions(calendar.sessions.date, calendar.weekmask)
    return _WEEKDAYS


@functools.cache
def _known_calendar_names() -> frozenset[str]:
    import exchange_calendars

    return frozenset(exchange_calendars.get_calendar_names(include_aliases=True))


def calendar_for_exchange(exchange: str) -> str | None:
    """The calendar of an exchange code or MIC, or None when it is blank or unknown."""
    code = exchange.strip().upper()
    if code in EXCHANGE_CALENDARS:
        return EXCHANGE_CALENDARS[code]
    # Only a MIC-shaped code is looked up in the package: importing it costs seconds, and
    # routing codes such as SMART name no market.
    if len(code) == 4 and code.isalpha() and code in _known_calendar_names():
        return code
    return None


def fx_pair(symbol: str) -> tuple[str, str] | None:
    """The two currencies of an FX symbol: EUR.USD, EUR/USD or EURUSD."""
    text = symbol.strip().upper().replace("/", ".")
    base, _, quote = text.partition(".") if "." in text else (text[:3], "", text[3:])
    if len(base) == len(quote) == 3 and base.isalpha() and quote.isalpha():
        return base, quote
    return None


@dataclass(frozen=True, slots=True)
class SettlementRule:
    """How an instrument settles: cycles by trade date, counted on days when every calendar
    in `calendars` is open (weekdays when there is none)."""

    cycle: tuple[tuple[date, int], ...]
    calendars: tuple[str, ...]

    def days_for(self, trade_date: date) -> int:
        """The cycle in force for trades of `trade_date`."""
        days = self.cycle[0][1]
        for since, n in self.cycle:
            if trade_date >= since:
                days = n
        return days

    def closed_reason(self, day: date) -> str | None:
        """Why `day` is no business day ("2026-11-26 (Thursday) is a closed day of XNYS"), or
        None when it is one."""
        if self.is_business_day(day):
            return None
        label = f"{day.isoformat()} ({day.strftime('%A')})"
        if not self.calendars:
            return f"{label} is a weekend day"
        closed = [name for name in self.calendars if not sessions_of(name).is_open(day)]
        return f"{label} is a closed day of {' and '.join(closed)}"

    def is_business_day(self, day: date) -> bool:
        if not self.calendars:
            return day.weekday() < 5
        return all(sessions_of(name).is_open(day) for name in self.calendars)

    def next_business_day(self, day: date) -> date:
        """The first business day after `day`."""
        for _ in range(_SEARCH_LIMIT):
            day += timedelta(days=1)
            if self.is_business_day(day):
                return day
        return day  # no business day within a year: a calendar that never opens

    def last_business_day(self, day: date) -> date:
        """`day` when it is a business day, else the business day before it."""
        return day if self.is_business_day(day) else self.previous_business_day(day)

    def previous_business_day(self, day: date) -> date:
        """The last business day before `day`."""
        for _ in range(_SEARCH_LIMIT):
            day -= timedelta(days=1)
            if self.is_business_day(day):
                return day
        return day

    def settle_date(self, trade_date: date, *, explicit: date | None = None) -> date:
        """The settle date of a trade. An explicit date (the executing broker's) wins. A trade
        dated on a closed day counts from the next business day, as if booked on it."""
        if explicit is not None:
            return explicit
        day = trade_date
        if not self.is_business_day(day):
            day = self.next_business_day(day)
        for _ in range(self.days_for(trade_date)):
            day = self.next_business_day(day)
        return day


def settlement_rule(
    *,
    asset_class: str,
    currency: str,
    exchange: str = "",
    symbol: str = "",
    override: int | None = None,
) -> SettlementRule:
    """The settlement rule of an instrument, from its fields."""
    pair = fx_pair(symbol) if asset_class == "CASH" else None
    if asset_class == "CRYPTO":
        calendars: tuple[str, ...] = ("24/7",)
    elif asset_class == "CASH":
        currencies = pair or (currency,)
        calendars = tuple(
            dict.fromkeys(CURRENCY_CALENDARS[c] for c in currencies if c in CURRENCY_CALENDARS)
        )
    else:
        name = calendar_for_exchange(exchange) or CURRENCY_CALENDARS.get(currency)
        calendars = (name,) if name else ()
    if override is not None:
        cycle: tuple[tuple[date, int], ...] = ((_ALWAYS, override),)
    else:
        cycle_class = _CYCLE_CLASS.get(asset_class, asset_class)
        keys = (f"{pair[0]}/{pair[1]}", f"{pair[1]}/{pair[0]}") if pair else (currency,)
        cycle = next(
            (CYCLES[cycle_class, key] for key in keys if (cycle_class, key) in CYCLES),
            CYCLES.get((cycle_class, ""), ((_ALWAYS, 2),)),
        )
    return SettlementRule(cycle=cycle, calendars=calendars)
