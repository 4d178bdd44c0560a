"""Reads of the compliance app (current tenant schema)."""

from compliance.models import SecuritySettings


def security_settings_get() -> SecuritySettings:
    """The tenant's security settings; the defaults when nobody has changed them yet."""
    return SecuritySettings.objects.filter(singleton=True).first() or SecuritySettings()
