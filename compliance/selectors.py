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
