from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "compliance"
    verbose_name = "Compliance"

    def ready(self):
        from axes.signals import user_locked_out

        from compliance.receivers import lockout_audit

        # A library event we cannot call a service from: the receiver only records it.
        user_locked_out.connect(lockout_audit, dispatch_uid="compliance_lockout_audit")
