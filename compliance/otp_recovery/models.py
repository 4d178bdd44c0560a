"""One-time recovery codes (ASVS 5.0 6.5.2): codes of 40 random bits are below the 112 bits
that would allow a plain hash, so each is stored as a salted hash by Django's password hashers
(Argon2 in production) and checked by hashing what the user typed."""

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import models
from django_otp.models import Device, ThrottlingMixin, TimestampMixin


def recovery_code_normalise(token: str) -> str:
    """Codes are shown in lower-case hex; spaces and dashes a user adds do not matter."""
    return "".join(ch for ch in str(token).lower() if ch not in " -\t")


class RecoveryCodeDevice(TimestampMixin, ThrottlingMixin, Device):
    """A set of one-time codes. Each accepted code is deleted; failures are throttled."""

    class Meta:
        verbose_name = "recovery code device"

    def get_throttle_factor(self):
        return getattr(settings, "OTP_STATIC_THROTTLE_FACTOR", 1)

    def verify_token(self, token) -> bool:
        """Callers that may run concurrently lock this row first (`select_for_update`), so a
        code is accepted once (compliance.services.otp.second_factor_verify)."""
        allowed, _ = self.verify_is_allowed()
        if not allowed:
            return False
        typed = recovery_code_normalise(token)
        match = None
        if typed:
            match = next((c for c in self.codes.all() if check_password(typed, c.code_hash)), None)
        if match is None:
            self.throttle_increment()
            return False
        match.delete()
        self.throttle_reset(commit=False)
        self.set_last_used_timestamp(commit=False)
        self.save()
        return True


class RecoveryCode(models.Model):
    device = models.ForeignKey(RecoveryCodeDevice, on_delete=models.CASCADE, related_name="codes")
    # A salted hash in Django's password format (`<algorithm>$...`), never the code.
    code_hash = models.CharField(max_length=255)

    def __str__(self) -> str:
        return f"Recovery code of device {self.device_id}"

    @classmethod
    def hashed(cls, *, device: RecoveryCodeDevice, code: str) -> "RecoveryCode":
        return cls(device=device, code_hash=make_password(recovery_code_normalise(code)))
