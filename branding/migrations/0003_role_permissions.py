"""Security and Compliance Officers edit the tenant's brand (Settings > Brand)."""

from django.db import migrations

EDITORS = ("Security Officer", "Compliance Officer")


def permissions_grant(apps, schema_editor):
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    content_type_model = apps.get_model("contenttypes", "ContentType")
    brand_type, _ = content_type_model.objects.get_or_create(app_label="branding", model="brand")
    perm, _ = permission_model.objects.get_or_create(
        content_type=brand_type, codename="change_brand", defaults={"name": "Can change brand"}
    )
    for group in group_model.objects.filter(name__in=EDITORS):
        group.permissions.add(perm)


class Migration(migrations.Migration):
    dependencies = [
        ("branding", "0002_statements"),
        ("compliance", "0003_role_groups_admin_access"),
    ]

    operations = [migrations.RunPython(permissions_grant, migrations.RunPython.noop)]
