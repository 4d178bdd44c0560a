"""Platform accounts (no tenant) that take the other side of client postings."""

from ledger.models import Account

CLEARING = "P-CLEARING"  # the street: counterparty of trades
BANK = "P-BANK"  # the outside world: deposits and withdrawals
FEES = "P-FEES"  # commissions and fees earned
CORPORATE_ACTIONS = "P-CORPACT"  # dividends paid, split shares issued
TAX = "P-TAX"  # withholding tax
FX = "P-FX"  # currency conversions
INTEREST = "P-INTEREST"

TITLES = {
    CLEARING: "Clearing (street side of trades)",
    BANK: "Bank (external cash)",
    FEES: "Commissions and fees",
    CORPORATE_ACTIONS: "Corporate actions",
    TAX: "Withholding tax",
    FX: "FX conversion",
    INTEREST: "Interest",
}

_cache: dict[str, Account] = {}


def platform_account(number: str) -> Account:
    """Platform accounts are created by migration 0004 and never deleted, so they are cached
    for the life of the process."""
    account = _cache.get(number)
    if account is None:
        account, _ = Account.objects.get_or_create(
            number=number,
            defaults={"title": TITLES[number], "account_type": Account.Type.PLATFORM},
        )
        _cache[number] = account
    return account
