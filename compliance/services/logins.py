"""Writes of the login steps: the audit records of a sign-in, of a refused passkey and of a
password reset (with the API keys it ends). The views in `compliance.login_views` and
`compliance.passkey_views` call these; they write no record themselves."""

from __future__ import annotations

from compliance.api_keys.services import api_keys_revoke_for_user

from .audit import audit_record, client_ip, login_origin


def _target(user) -> str:
    return f"user:{user.get_username()}"


def login_recorded(*, request, user, details: dict | None = None) -> None:
    """A password sign-in (`details`: where from, `login_origin`) or a passkey's."""
    audit_record(
        actor=user,
        action="login",
        target=_target(user),
        details=login_origin(request) if details is None else details,
        ip=client_ip(request),
    )


def second_factor_recorded(*, request, user, details: dict) -> None:
    """A second factor confirmed by a passkey for a password login."""
    ip = client_ip(request)
    audit_record(actor=user, action="2fa.verify", target=_target(user), details=details, ip=ip)


def passkey_refused_recorded(*, request, user, reason: str) -> None:
    """A passkey that did not verify: a failed second factor, or a failed passwordless login."""
    audit_record(
        actor=user,
        action="2fa.failed" if user is not None else "login.failed",
        target=_target(user) if user is not None else "",
        details={"method": "passkey", "reason": reason},
        ip=client_ip(request),
    )


def password_reset_completed(*, request, user) -> None:
    """A new password set from a reset link: audited, and the user's API keys end with it."""
    ip = client_ip(request)
    audit_record(actor=user, action="password.reset", target=_target(user), ip=ip)
    api_keys_revoke_for_user(actor=user, user=user, reason="password reset", ip=ip)
