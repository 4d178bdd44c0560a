"""Which disclosure documents a client must accept, by the region of the account holder's
address (not the tenant's): EU/EEA and UK clients get MiFID II costs-and-charges (Art. 24(4),
Delegated Regulation 2017/565 Art. 50) and appropriateness (Art. 25(3)) texts, US clients the
margin disclosure (FINRA Rule 2264), the options disclosure document (FINRA Rule 2360(b)(11))
and the day-trading risk disclosure (FINRA Rule 2270); a tenant adds its own pages for any
region or all. Reading is free; funding and trading wait for the acceptance of the version in
force (compliance.services.disclosures)."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from dataclasses import dataclass

from django.utils.html import strip_tags

from branding.pages import DisclosurePage
from compliance.models import DisclosureAcceptance

# EU member states and the other EEA countries (Iceland, Liechtenstein, Norway).
EEA = frozenset(
    "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE "
    "IS LI NO".split()
)


def regions_of(country: str) -> set[str]:
    """The region codes a page may name that cover a client with an address in `country`."""
    country = (country or "").upper()
    found = {country} if country else set()
    if country in EEA:
        found.add("EU")
    if country in ("GB", "UK"):
        found |= {"UK", "GB"}
    if country == "US":
        found.add("US")
    return found


def disclosure_content_hash(page: DisclosurePage) -> str:
    """SHA-256 of what the client reads: title, version and the text of the body."""
    return _text_hash(page.title, page.version, str(page.body))


@functools.lru_cache(maxsize=256)
def _text_hash(title: str, version: str, body: str) -> str:
    text = f"{title}\n{version}\n{strip_tags(body).strip()}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def disclosures_for(*, country: str, today: dt.date) -> list[DisclosurePage]:
    """The live disclosure pages in force on `today` for a client in `country`."""
    regions = regions_of(country) | {""}
    pages = DisclosurePage.objects.live().filter(region__in=regions).order_by("region", "title")
    return [p for p in pages if p.effective_date is None or p.effective_date <= today]


def disclosures_pending(*, user, country: str, today: dt.date) -> list[DisclosurePage]:
    """Those of `disclosures_for` whose current text `user` has not accepted."""
    pages = disclosures_for(country=country, today=today)
    accepted = set(
        DisclosureAcceptance.objects.filter(
            user_id=user.pk, page_id__in=[p.pk for p in pages]
        ).values_list("page_id", "content_sha256")
    )
    return [p for p in pages if (p.pk, disclosure_content_hash(p)) not in accepted]


@dataclass(frozen=True)
class DisclosureText:
    """A live disclosure page as `disclosure_statements` read it (what its hash covers)."""

    pk: int
    title: str
    region: str
    version: str
    effective_date: dt.date | None
    body: str


def disclosure_statements(*, user_id: int) -> list[tuple[str, list]]:
    """The statements that read what `disclosures_pending_from` needs, for a caller that sends
    them with its own in one round trip: the client's acceptances and the live disclosure
    pages."""
    page = DisclosurePage._meta
    base = page.get_field("page_ptr").related_model._meta.db_table
    return [
        (
            f"SELECT page_id, content_sha256 FROM {DisclosureAcceptance._meta.db_table} "  # noqa: S608
            "WHERE user_id = %s",
            [user_id],
        ),
        (
            f"SELECT p.id, p.title, d.region, d.version, d.effective_date, d.body "  # noqa: S608
            f"FROM {base} p JOIN {page.db_table} d ON d.page_ptr_id = p.id "
            "WHERE p.live ORDER BY d.region, p.title",
            [],
        ),
    ]


def disclosures_pending_from(
    rows: list[list[tuple]], *, country: str, today: dt.date
) -> list[DisclosureText]:
    """`disclosures_pending` for a client in `country` from the rows of
    `disclosure_statements`."""
    accepted_rows, page_rows = rows
    regions = regions_of(country) | {""}
    accepted = set(accepted_rows)
    pages = [DisclosureText(*row) for row in page_rows]
    return [
        p
        for p in pages
        if p.region in regions
        and (p.effective_date is None or p.effective_date <= today)
        and (p.pk, _text_hash(p.title, p.version, p.body)) not in accepted
    ]


def disclosure_coverage(*, clients: list[tuple[object, str]], today: dt.date) -> list[dict]:
    """Per live disclosure page: the clients it applies to (given as (user, country) pairs),
    who accepted its current text and who is missing, for the staff's chase list."""
    pages = list(DisclosurePage.objects.live().order_by("region", "title"))
    accepted = set(
        DisclosureAcceptance.objects.filter(page_id__in=[p.pk for p in pages]).values_list(
            "user_id", "page_id", "content_sha256"
        )
    )
    rows = []
    for page in pages:
        digest = disclosure_content_hash(page)
        applies = [
            user
            for user, country in clients
            if page.region == "" or page.region in regions_of(country)
        ]
        done = [u for u in applies if (u.pk, page.pk, digest) in accepted]
        rows.append(
            {
                "page": page,
                "in_force": page.effective_date is None or page.effective_date <= today,
                "required": len(applies),
                "accepted": len(done),
                "missing": sorted(u.get_username() for u in applies if u not in done),
            }
        )
    return rows


def disclosures_shown(*, country: str, today: dt.date) -> list[dict]:
    """What an applicant without a login yet reads and accepts for `country` (the address they
    gave): each page in force with its version and the SHA-256 of its text, as the onboarding
    form shows it and the submission stores it (`onboarding.services.application_submit`).
    Approval turns these into the client's acceptances (`disclosures_accept_recorded`)."""
    return [
        {
            "page": page.pk,
            "title": page.title,
            "version": page.version,
            "sha256": disclosure_content_hash(page),
            "url": page.url,
        }
        for page in disclosures_for(country=country, today=today)
    ]


def disclosures_set_label(acknowledged: list[dict]) -> str:
    """A short name for the set of texts accepted (32 characters at most): the first 24 hex
    digits of the SHA-256 over their (page, text hash) pairs. The same texts give the same
    name; which texts they were is in the list itself."""
    pairs = sorted(f"{d['page']}:{d['sha256']}" for d in acknowledged)
    return "sha256:" + hashlib.sha256(",".join(pairs).encode()).hexdigest()[:24]
