"""Compliance Officers decide withdrawal requests in the Broker Portal; every staff role may read
and answer client messages (the views check `is_staff`)."""

from django.db import migrations

DECIDERS = ("Compliance Officer",)


def permissions_grant(apps, schema_editor):
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    content_type_model = apps.get_model("contenttypes", "ContentType")
    request_type, _ = content_type_model.objects.get_or_create(
        app_label="clientportal", model="withdrawalrequest"
    )
    perms = []
    for codename, name in (
        ("view_withdrawalrequest", "Can view withdrawal request"),
        ("change_withdrawalrequest", "Can change withdrawal request"),
    ):
        perm, _ = permission_model.objects.get_or_create(
            content_type=request_type, codename=codename, defaults={"name": name}
        )
        perms.append(perm)
    for group in group_model.objects.filter(name__in=DECIDERS):
        group.permissions.add(*perms)


class Migration(migrations.Migration):
    dependencies = [
        ("clientportal", "0001_initial"),
        ("compliance", "0003_role_groups_admin_access"),
    ]

    operations = [migrations.RunPython(permissions_grant, migrations.RunPython.noop)]
