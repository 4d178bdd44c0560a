from django.db import transaction

from compliance.models import SecuritySettings
from compliance.selectors import security_settings_cache_clear

from .audit import audit_record

EDITABLE = (
    "client_2fa_required",
    "client_idle_timeout_minutes",
    "absolute_session_hours",
    "passkey_login_allowed",
)


def security_settings_weakened(*, current: SecuritySettings, changes: dict) -> list[str]:
    """The settings among `changes` that lower security: the second factor or passwordless
    sign-in switched, or a timeout made longer. A Security Officer confirms these with a fresh
    password (compliance.admin_views)."""
    weaker = {
        "client_2fa_required": lambda before, after: before and not after,
        "passkey_login_allowed": lambda before, after: after and not before,
        "client_idle_timeout_minutes": lambda before, after: after > before,
        "absolute_session_hours": lambda before, after: after > before,
    }
    return [
        name
        for name, lowers in weaker.items()
        if name in changes and lowers(getattr(current, name), changes[name])
    ]


@transaction.atomic
def security_settings_update(*, actor, ip: str | None = None, **changes) -> SecuritySettings:
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise ValueError(f"Not editable: {unknown}")
    current, _ = SecuritySettings.objects.select_for_update().get_or_create(singleton=True)
    before = {name: getattr(current, name) for name in changes}
    for name, value in changes.items():
        setattr(current, name, value)
    current.full_clean()
    current.save()
    # Dropped now and again after commit, so a read in between cannot keep the old settings.
    security_settings_cache_clear()
    transaction.on_commit(security_settings_cache_clear)
    audit_record(
        actor=actor,
        action="settings.security",
        target="tenant",
        details={"before": before, "after": changes},
        ip=ip,
    )
    return current
