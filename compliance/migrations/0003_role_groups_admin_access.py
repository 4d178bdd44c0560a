"""Role groups exist in every tenant schema (the template included, so clones have them), and
every staff role may enter the Broker Portal (Wagtail's `access_admin`)."""

from django.db import migrations

STAFF_ROLES = (
    "Security Officer",
    "Onboarding Officer",
    "Advisor/Trader",
    "Compliance Officer",
    "Viewer",
)
ALL_ROLES = (*STAFF_ROLES, "Client")


def role_groups_ensure(apps, schema_editor):
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    content_type_model = apps.get_model("contenttypes", "ContentType")
    admin_type, _ = content_type_model.objects.get_or_create(app_label="wagtailadmin", model="admin")
    access_admin, _ = permission_model.objects.get_or_create(
        content_type=admin_type, codename="access_admin", defaults={"name": "Can access Wagtail admin"}
    )
    for name in ALL_ROLES:
        group, _ = group_model.objects.get_or_create(name=name)
        if name in STAFF_ROLES:
            group.permissions.add(access_admin)


class Migration(migrations.Migration):
    dependencies = [
        ("compliance", "0002_auditrecord_append_only"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(role_groups_ensure, migrations.RunPython.noop)]
