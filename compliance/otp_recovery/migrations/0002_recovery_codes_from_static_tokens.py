"""Recovery codes that were stored in clear (django-otp's StaticToken rows of the device named
"recovery codes") become salted hashes on a RecoveryCodeDevice; the clear rows are deleted.
The codes users wrote down keep working. Not reversible: the clear codes are gone."""

from django.contrib.auth.hashers import make_password
from django.db import migrations

RECOVERY_DEVICE_NAME = "recovery codes"


def recovery_codes_hash(apps, schema_editor):
    static_device = apps.get_model("otp_static", "StaticDevice")
    device_model = apps.get_model("otp_recovery", "RecoveryCodeDevice")
    code_model = apps.get_model("otp_recovery", "RecoveryCode")
    legacy = static_device.objects.filter(name=RECOVERY_DEVICE_NAME).prefetch_related("token_set")
    for old in legacy:
        new = device_model.objects.create(
            user_id=old.user_id,
            name=old.name,
            confirmed=old.confirmed,
            last_used_at=old.last_used_at,
        )
        code_model.objects.bulk_create(
            code_model(device=new, code_hash=make_password(token.token.lower()))
            for token in old.token_set.all()
        )
        old.delete()  # its StaticToken rows go with it


class Migration(migrations.Migration):
    dependencies = [
        ("otp_recovery", "0001_initial"),
        ("otp_static", "0003_add_timestamps"),
    ]

    operations = [migrations.RunPython(recovery_codes_hash, migrations.RunPython.noop)]
