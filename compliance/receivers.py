from django.db import connection


def lockout_audit(sender, request=None, username=None, ip_address=None, **kwargs):
    """Write the axes lockout to the tenant's audit trail (not on the public host)."""
    from compliance.services import audit_record

    tenant = getattr(connection, "tenant", None)
    if tenant is None or tenant.schema_name == "public":
        return
    audit_record(
        actor=None,
        action="lockout",
        target=f"user:{username or ''}",
        details={"reason": "too many failed logins"},
        ip=ip_address,
    )
