"""The pre-trade check of disclosures (`trading.checks`): a client whose region requires a
disclosure in force that it has not accepted in its current version may read it, but may not
trade until it does (MiFID II Art. 24(4) and 25(3) texts for EU/EEA and UK clients; FINRA Rules
2264, 2360(b)(11) and 2270 for US clients; compliance.disclosures). Staff placing an order for a
client's account are not held to the client's own acceptance, nor are orders on paper
accounts."""

from __future__ import annotations

from .checks import pre_trade_check
from .facts import facts
from .intent import CheckResult, OrderIntent


@pre_trade_check
def disclosures_accepted_check(intent: OrderIntent) -> list[CheckResult]:
    f = facts(intent)
    user = f.user
    if user is None or user.is_staff:
        return []
    if f.account is not None and f.account.is_paper:
        return []  # paper trading moves no money and places nothing at a market
    pending = f.book.disclosures_pending
    if not pending:
        return []
    names = ", ".join(f"{p.title} (version {p.version or '-'})" for p in pending)
    return [
        CheckResult(
            "disclosures_pending",
            CheckResult.BLOCK,
            f"Please read and accept first: {names}. Open Disclosures in the portal.",
            {"pages": ", ".join(str(p.pk) for p in pending)},
        )
    ]
