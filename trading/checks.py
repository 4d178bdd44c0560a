"""Pre-trade checks. Each check is a function `(intent: OrderIntent) -> list[CheckResult]`
registered with `@pre_trade_check`; `run_checks` runs all of them in registration order.
Modules that define checks are imported by `run_checks` (see `CHECK_MODULES`)."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

from .intent import CheckResult, OrderIntent

Check = Callable[[OrderIntent], list[CheckResult]]
_CHECKS: list[Check] = []

# Modules whose import registers checks (orders and permissions; margin and day trades).
CHECK_MODULES: list[str] = [
    "trading.order_checks",
    "trading.margin",
    "trading.daytrades",
    "trading.group_orders",
    # Disclosures accepted (compliance.disclosures) before a client trades.
    "trading.disclosure_checks",
]


def pre_trade_check(func: Check) -> Check:
    _CHECKS.append(func)
    return func


def run_checks(intent: OrderIntent) -> list[CheckResult]:
    for module in CHECK_MODULES:
        import_module(module)
    results: list[CheckResult] = []
    for check in _CHECKS:
        results.extend(check(intent))
    return results
