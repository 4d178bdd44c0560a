"""Every read of the shared ledger, one public API; import from here.

Each function takes `tenant=` (keyword-only) and returns only that tenant's accounts and what
they hold: a platform account or another tenant's account is as if it did not exist. Accounts
are passed as ids, or as `Account` objects already obtained through `ledger.access` (scoped
then without a query). The modules split by subdomain: `accounts`, `holdings`, `activity`,
`valuation`, `performance`, `market`, `state`."""

from ledger.selectors.accounts import (
    account_by_number,
    account_get,
    accounts_for,
    masters_for,
)
from ledger.selectors.activity import (
    Activity,
    Execution,
    RecentEntry,
    activity_for,
    entries_recent_for,
    execution_entries_for,
    execution_entry_for,
    executions_in_range_for,
    postings_for,
)
from ledger.selectors.holdings import (
    Acquisition,
    CashReport,
    CashRow,
    acquisitions_for,
    cash_as_of_for,
    cash_balances_for,
    cash_for,
    lots_for,
    pair_events_for,
    position_quantities_for,
    positions_for,
    realized_for,
)
from ledger.selectors.market import (
    MissingPrice,
    benchmark_closes_for,
    fx_usd_rates_for,
    instruments_by_symbol,
    missing_prices_count,
    missing_prices_for,
    usd_rates_as_of,
)
from ledger.selectors.oversight import (
    DormantAccount,
    MarginDeficit,
    NegativeCash,
    accounts_with_negative_cash,
    dormant_accounts_for,
    margin_deficits_for,
    negative_cash_for,
)
from ledger.selectors.performance import (
    PERIODS,
    PerformanceReport,
    nav_history_for,
    nav_points_by_account,
    nav_points_for,
    performance_for,
    period_range,
)
from ledger.selectors.state import ledger_state_for
from ledger.selectors.valuation import (
    PortfolioValuation,
    account_valuation,
    account_valuation_consolidated,
    portfolio_valuation,
    valuations_for_accounts,
)

__all__ = [
    "Execution",
    "executions_in_range_for",
    "Acquisition",
    "acquisitions_for",
    "PERIODS",
    "Activity",
    "CashReport",
    "CashRow",
    "DormantAccount",
    "MarginDeficit",
    "NegativeCash",
    "PerformanceReport",
    "MissingPrice",
    "PortfolioValuation",
    "RecentEntry",
    "account_by_number",
    "account_get",
    "account_valuation",
    "account_valuation_consolidated",
    "accounts_for",
    "accounts_with_negative_cash",
    "activity_for",
    "benchmark_closes_for",
    "cash_as_of_for",
    "cash_balances_for",
    "cash_for",
    "dormant_accounts_for",
    "entries_recent_for",
    "execution_entries_for",
    "execution_entry_for",
    "fx_usd_rates_for",
    "instruments_by_symbol",
    "ledger_state_for",
    "lots_for",
    "margin_deficits_for",
    "masters_for",
    "missing_prices_count",
    "missing_prices_for",
    "nav_history_for",
    "nav_points_by_account",
    "nav_points_for",
    "negative_cash_for",
    "pair_events_for",
    "performance_for",
    "period_range",
    "portfolio_valuation",
    "position_quantities_for",
    "positions_for",
    "postings_for",
    "realized_for",
    "usd_rates_as_of",
    "valuations_for_accounts",
]
