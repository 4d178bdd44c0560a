"""Writes of the compliance app: the audit trail, users and roles, account grants, second
factors, lockouts and invitations. Import from here; the modules split by subdomain."""

from .audit import (
    AppendedRecord,
    AuditEntry,
    audit_record,
    audit_records_append,
    client_ip,
    login_origin,
)
from .grants import grant_add, grant_remove
from .invitations import invitation_accept, invitation_create
from .otp import (
    recovery_codes_left,
    recovery_codes_regenerate,
    second_factor_verify,
    totp_device_confirm,
    totp_device_start,
)
from .passkeys import passkey_register, passkey_remove
from .settings import security_settings_update
from .users import (
    client_user_create,
    lockout_unlock,
    staff_user_create,
    user_2fa_reset,
    user_deactivate,
    user_email_change,
    user_make_view_only,
    user_roles_set,
)

__all__ = [
    "AppendedRecord",
    "AuditEntry",
    "audit_records_append",
    "grant_add",
    "grant_remove",
    "audit_record",
    "client_ip",
    "client_user_create",
    "invitation_accept",
    "invitation_create",
    "lockout_unlock",
    "login_origin",
    "passkey_register",
    "passkey_remove",
    "recovery_codes_left",
    "recovery_codes_regenerate",
    "second_factor_verify",
    "security_settings_update",
    "staff_user_create",
    "totp_device_confirm",
    "totp_device_start",
    "user_2fa_reset",
    "user_deactivate",
    "user_email_change",
    "user_make_view_only",
    "user_roles_set",
]
