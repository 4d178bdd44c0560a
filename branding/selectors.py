"""Reads of the branding app. Each tenant's brand and pages live in its own schema, so the
current schema (set from the request's host) is the tenant scope."""

from django.http import HttpRequest

from .brand import Brand
from .pages import AnnouncementPage, DisclosurePage, FAQPage


def brand_current(*, request: HttpRequest | None = None) -> Brand:
    """The current tenant's brand (created with defaults on first use); cached on the request."""
    return Brand.load(request_or_site=request)


def announcements_current(*, limit: int = 5) -> list[AnnouncementPage]:
    return list(
        AnnouncementPage.objects.live()
        .order_by("-pinned", "-first_published_at")
        .only("id", "title", "summary", "pinned", "first_published_at")[:limit]
    )


def disclosures_live(*, region: str | None = None) -> list[DisclosurePage]:
    pages = DisclosurePage.objects.live().order_by("title")
    if region:
        pages = pages.filter(region__in=["", region])
    return list(pages.only("id", "title", "region", "version"))


def faqs_live() -> list[FAQPage]:
    return list(FAQPage.objects.live().order_by("title").only("id", "title"))
