"""Reads of the branding app. Each tenant's brand and pages live in its own schema, so the
current schema (set from the request's host) is the tenant scope. The brand and the current
announcements are read on every portal page, so they are cached (the cache key function is
tenant-aware) and dropped when they change (branding.receivers)."""

from django.core.cache import cache
from django.http import HttpRequest

from .brand import Brand
from .pages import AnnouncementPage, DisclosurePage, FAQPage

BRAND_CACHE_KEY = "branding:brand"
ANNOUNCEMENTS_CACHE_KEY = "branding:announcements"
CACHE_SECONDS = 300


def brand_current(*, request: HttpRequest | None = None) -> Brand:
    """The current tenant's brand (created with defaults on first use); cached per tenant and
    on the request."""
    attr = Brand.get_cache_attr_name()
    if request is not None and hasattr(request, attr):
        return getattr(request, attr)
    brand = cache.get(BRAND_CACHE_KEY)
    if brand is None:
        brand = Brand.load()
        cache.set(BRAND_CACHE_KEY, brand, CACHE_SECONDS)
    if request is not None:
        setattr(request, attr, brand)
    return brand


def brand_cache_clear() -> None:
    cache.delete(BRAND_CACHE_KEY)


def announcements_current(*, limit: int = 5) -> list[AnnouncementPage]:
    pages = cache.get(ANNOUNCEMENTS_CACHE_KEY)
    if pages is None:
        pages = list(
            AnnouncementPage.objects.live()
            .order_by("-pinned", "-first_published_at")
            .only("id", "title", "summary", "pinned", "first_published_at")[:20]
        )
        cache.set(ANNOUNCEMENTS_CACHE_KEY, pages, CACHE_SECONDS)
    return pages[:limit]


def announcements_cache_clear() -> None:
    cache.delete(ANNOUNCEMENTS_CACHE_KEY)


def disclosures_live(*, region: str | None = None) -> list[DisclosurePage]:
    pages = DisclosurePage.objects.live().order_by("title")
    if region:
        pages = pages.filter(region__in=["", region])
    return list(pages.only("id", "title", "region", "version"))


def faqs_live() -> list[FAQPage]:
    return list(FAQPage.objects.live().order_by("title").only("id", "title"))
