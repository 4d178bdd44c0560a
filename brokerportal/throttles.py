"""API throttles (ASVS 5.0 V2.4.1): per user for tokens and sessions, per client address for
anonymous calls, in the `default` cache (whose tenant-aware key function keeps each tenant's
counts apart). A throttled call gets DRF's 429 with `Retry-After`.

DRF reads `DEFAULT_THROTTLE_RATES` once, when its throttle module is imported; these read the
rates on every request, so a settings change (and a test's override) takes effect.
"""

from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle


class _RatesFromSettings:
    scope: str

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class ApiAnonThrottle(_RatesFromSettings, AnonRateThrottle):
    pass


class ApiUserThrottle(_RatesFromSettings, UserRateThrottle):
    pass


class ApiKeyThrottle(_RatesFromSettings, SimpleRateThrottle):
    """Per API key, on top of the user's own limit: one program cannot use up its login's."""

    scope = "key"

    def get_cache_key(self, request, view):
        digest = getattr(request.auth, "digest", None)
        if not digest:
            return None
        return self.cache_format % {"scope": self.scope, "ident": digest[:32]}
