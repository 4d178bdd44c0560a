from django.conf import settings
from django.db import transaction

from .models import Domain, Tenant


@transaction.atomic
def public_tenant_ensure() -> Tenant:
    """The operator's own tenant row (schema `public`) with the platform host names."""
    tenant, _ = Tenant.objects.get_or_create(
        schema_name="public",
        defaults={
            "name": "Platform",
            "legal_name": "Platform operator",
            "kind": Tenant.Kind.PLATFORM,
        },
    )
    for index, host in enumerate(settings.PLATFORM_HOSTS):
        Domain.objects.get_or_create(
            domain=host, defaults={"tenant": tenant, "is_primary": index == 0}
        )
    return tenant
