"""The automatic checks of an application, as pure functions over plain values (no Django):
the services gather the facts (documents present, duplicates found, the watch list) and these
decide. Each check answers passed + a message the reviewer reads."""

import datetime as dt
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from rapidfuzz import fuzz, process

ADULT_AGE = 18
REQUIRED_DOCUMENTS = {"identity": "proof of identity", "proof_of_address": "proof of address"}
# A name alone must be very close to count as a hit; with an equal date of birth, less so.
WATCHLIST_SCORE_NAME_ONLY = 92.0
WATCHLIST_SCORE_WITH_DOB = 85.0
# Reg T: a margin account needs at least USD 2,000 of equity (FINRA Rule 4210(b)).
MARGIN_MINIMUM_EQUITY = Decimal("2000")
# Which stated experience and objectives make a trading permission suitable.
SUITABILITY = {
    "options": (1, {"growth", "speculation", "hedging"}),
    "futures": (2, {"speculation", "hedging"}),
    "forex": (1, {"speculation", "hedging", "growth"}),
}
CHECK_NAMES = ("age", "documents", "duplicate", "watchlist", "suitability")


@dataclass(frozen=True)
class CheckResult:
    name: str
    passed: bool
    message: str

    def as_dict(self) -> dict:
        return {"passed": self.passed, "message": self.message}


@dataclass(frozen=True)
class WatchListName:
    name: str
    date_of_birth: dt.date | None


class WatchList:
    """Watch-list entries with their names normalised once, for screening many applicants."""

    def __init__(self, entries: Iterable[WatchListName]):
        self.entries = tuple(entries)
        # Tokens sorted once here, so each screening is a plain ratio (= token_sort_ratio).
        self.names = tuple(_tokens_sorted(e.name) for e in self.entries)

    def __len__(self) -> int:
        return len(self.entries)


def age_years(date_of_birth: dt.date, today: dt.date) -> int:
    before_birthday = (today.month, today.day) < (date_of_birth.month, date_of_birth.day)
    return today.year - date_of_birth.year - int(before_birthday)


def age_check(date_of_birth: dt.date | None, *, today: dt.date) -> CheckResult:
    if date_of_birth is None:
        return CheckResult("age", False, "The date of birth is missing.")
    age = age_years(date_of_birth, today)
    if age < ADULT_AGE:
        return CheckResult("age", False, f"The applicant is {age}, under {ADULT_AGE}.")
    return CheckResult("age", True, f"The applicant is {age}.")


def documents_check(kinds_present: Iterable[str]) -> CheckResult:
    present = set(kinds_present)
    missing = [label for kind, label in REQUIRED_DOCUMENTS.items() if kind not in present]
    if missing:
        return CheckResult("documents", False, f"Missing document: {', '.join(missing)}.")
    return CheckResult("documents", True, "Proof of identity and of address are present.")


def duplicate_check(duplicates: Sequence[str]) -> CheckResult:
    """`duplicates` describes other applications or logins of this tenant with the same tax id
    or e-mail address."""
    if duplicates:
        return CheckResult("duplicate", False, f"Possible duplicate of {'; '.join(duplicates)}.")
    return CheckResult("duplicate", True, "No other applicant with this tax id or e-mail.")


def name_normalise(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name)
    letters = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return " ".join("".join(ch if ch.isalnum() else " " for ch in letters.lower()).split())


def _tokens_sorted(name: str) -> str:
    return " ".join(sorted(name_normalise(name).split()))


def watchlist_hits(
    name: str, date_of_birth: dt.date | None, watchlist: WatchList
) -> list[tuple[WatchListName, float]]:
    """Entries whose name is close to `name` (token-sorted ratio, so "Smith John" matches
    "John Smith") and whose date of birth, when both are known, is the same."""
    if not len(watchlist) or not name.strip():
        return []
    candidates = process.extract(
        _tokens_sorted(name),
        watchlist.names,
        scorer=fuzz.ratio,
        score_cutoff=WATCHLIST_SCORE_WITH_DOB,
        limit=None,
    )
    hits = []
    for _, score, index in candidates:
        entry = watchlist.entries[index]
        if entry.date_of_birth is not None and date_of_birth is not None:
            if entry.date_of_birth != date_of_birth:
                continue
        elif score < WATCHLIST_SCORE_NAME_ONLY:
            continue
        hits.append((entry, score))
    return hits


def watchlist_check(name: str, date_of_birth: dt.date | None, watchlist: WatchList) -> CheckResult:
    hits = watchlist_hits(name, date_of_birth, watchlist)
    if hits:
        described = "; ".join(
            f"{e.name} ({e.date_of_birth.isoformat() if e.date_of_birth else 'no date of birth'}"
            f", similarity {score:.0f}%)"
            for e, score in sorted(hits, key=lambda hit: -hit[1])[:5]
        )
        return CheckResult("watchlist", False, f"Watch-list match: {described}.")
    return CheckResult("watchlist", True, "No match on the watch list.")


def suitability_check(
    *,
    trading_permissions: Iterable[str],
    margin_type: str,
    experience: dict[str, int],
    objectives: Iterable[str],
    liquid_net_worth: Decimal | None,
) -> CheckResult:
    objectives = set(objectives)
    problems = []
    for permission in trading_permissions:
        if permission not in SUITABILITY:
            continue
        years, fitting = SUITABILITY[permission]
        if experience.get(permission, 0) < years:
            problems.append(
                f"{permission} need at least {years} year(s) of {permission} experience"
            )
        if not objectives & fitting:
            problems.append(f"{permission} need an objective among {', '.join(sorted(fitting))}")
    if margin_type == "reg_t":
        if experience.get("stocks", 0) < 1:
            problems.append("margin needs at least 1 year of stock trading experience")
        if liquid_net_worth is None or liquid_net_worth < MARGIN_MINIMUM_EQUITY:
            problems.append(f"margin needs a liquid net worth of at least {MARGIN_MINIMUM_EQUITY}")
    if problems:
        return CheckResult("suitability", False, "Not suitable: " + "; ".join(problems) + ".")
    return CheckResult("suitability", True, "Requested permissions fit experience and objectives.")
