"""Reads of the compliance app (current tenant schema)."""

from django.core.cache import cache

from compliance.models import SecuritySettings

SECURITY_SETTINGS_CACHE_KEY = "compliance:security-settings"
# Read on every request of a tenant host; `security_settings_update` drops the entry. Bounds
# staleness where the cache is per process (no REDIS_URL) and another process changed them.
SECURITY_SETTINGS_CACHE_SECONDS = 60


def security_settings_get() -> SecuritySettings:
    """The tenant's security settings; the defaults when nobody has changed them yet. Cached
    per tenant (tenant-aware cache keys)."""
    found = cache.get(SECURITY_SETTINGS_CACHE_KEY)
    if found is None:
        found = SecuritySettings.objects.filter(singleton=True).first() or SecuritySettings()
        cache.set(SECURITY_SETTINGS_CACHE_KEY, found, SECURITY_SETTINGS_CACHE_SECONDS)
    return found


def security_settings_cache_clear() -> None:
    cache.delete(SECURITY_SETTINGS_CACHE_KEY)


def access_reviews_recent(limit: int = 20):
    from compliance.models import AccessReview

    return AccessReview.objects.all()[:limit]


def access_reviews_signed_between(*, start, end):
    """Signed access reviews of the current tenant signed in [start, end), oldest first."""
    from compliance.models import AccessReview

    return AccessReview.objects.filter(signed_at__gte=start, signed_at__lt=end).order_by(
        "signed_at", "pk"
    )


def access_reviews_overdue(*, today):
    """Reviews of the current tenant not signed by their due day: exceptions for the compliance
    officer's report (each with its period, due day and assignee)."""
    from compliance.models import AccessReview

    return AccessReview.objects.filter(signed_at__isnull=True, due_on__lt=today).order_by("due_on")
