"""Settlement dates: trade date plus a number of business days (weekends skipped) that depends
on the asset class and market. US equities settle T+1 since 28 May 2024 (SEC Rule 15c6-1 as
amended); UK and EU equities T+2 (CSDR art. 5(2)); futures and crypto the same day.
No Django import."""

from datetime import date, timedelta

DEFAULT_DAYS = {
    "STK": 2,
    "ETF": 2,
    "OPT": 1,
    "FUT": 0,
    "BOND": 1,
    "FUND": 1,
    "CASH": 2,
    "CRYPTO": 0,
}
US_EQUITY_DAYS = 1


def settlement_days(*, asset_class: str, currency: str, override: int | None = None) -> int:
    if override is not None:
        return override
    if asset_class in ("STK", "ETF") and currency == "USD":
        return US_EQUITY_DAYS
    return DEFAULT_DAYS.get(asset_class, 2)


def business_days_add(start: date, days: int) -> date:
    current = start
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current
