from django.apps import AppConfig


class OtpRecoveryConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "compliance.otp_recovery"
    label = "otp_recovery"
    verbose_name = "Recovery codes"
