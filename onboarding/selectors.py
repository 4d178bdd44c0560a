"""Reads for the Broker Portal screens and the self-service form; each takes the tenant."""

import datetime as dt

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import Application, BulkImport, WatchListEntry


def _check_tenant(tenant) -> None:
    if tenant is None or connection.schema_name != tenant.schema_name:
        raise ValueError("Reads of applications run inside their tenant's schema.")


def application_queue(
    *,
    tenant,
    state: str = "",
    older_than_days: int | None = None,
    assigned_to_id: int | None = None,
    unassigned: bool = False,
    failed_checks: bool | None = None,
    search: str = "",
) -> QuerySet[Application]:
    """The reviewer's queue, oldest waiting first, with the filters of the queue screen."""
    _check_tenant(tenant)
    queue = Application.objects.select_related("assigned_to").order_by("created_at", "id")
    if state:
        queue = queue.filter(state=state)
    else:
        queue = queue.exclude(state=Application.State.DRAFT)
    if older_than_days is not None:
        queue = queue.filter(created_at__lte=timezone.now() - dt.timedelta(days=older_than_days))
    if unassigned:
        queue = queue.filter(assigned_to__isnull=True)
    elif assigned_to_id is not None:
        queue = queue.filter(assigned_to_id=assigned_to_id)
    if failed_checks is not None:
        queue = queue.filter(checks_failed=failed_checks)
    if search:
        queue = queue.filter(
            Q(last_name__icontains=search) | Q(external_id=search) | Q(email__iexact=search)
        )
    return queue


def application_detail(*, tenant, application: Application) -> dict:
    _check_tenant(tenant)
    return {
        "application": application,
        "documents": list(application.documents.select_related("uploaded_by")),
        "transitions": list(application.transitions.select_related("actor")),
        "overrides": {o.check_name: o for o in application.overrides.select_related("officer")},
    }


def bulk_imports_recent(*, tenant, limit: int = 20) -> list[BulkImport]:
    _check_tenant(tenant)
    return list(BulkImport.objects.select_related("uploaded_by").defer("report_csv")[:limit])


def watchlist_size(*, tenant) -> int:
    _check_tenant(tenant)
    return WatchListEntry.objects.count()


def client_country(*, user) -> str:
    """The country of the account holder's address: from the client's latest application
    (the one that opened its login), blank when none is known."""
    application = (
        Application.objects.filter(user_id=user.pk).exclude(country="").order_by("-pk").first()
    )
    return application.country if application else ""


def client_country_statement(*, user_id: int) -> tuple[str, list]:
    """`client_country`'s read as one statement (a single `country` row, or none), for a
    caller that sends it with its own in one round trip."""
    return (
        f"SELECT country FROM {Application._meta.db_table} "  # noqa: S608
        "WHERE user_id = %s AND country <> '' ORDER BY id DESC LIMIT 1",
        [user_id],
    )


def clients_with_country() -> list[tuple[object, str]]:
    """Every client login of the current tenant with its holder's country."""
    from django.contrib.auth import get_user_model

    countries = dict(
        Application.objects.filter(user__isnull=False)
        .exclude(country="")
        .order_by("pk")
        .values_list("user_id", "country")
    )
    users = get_user_model().objects.filter(groups__name="Client", is_active=True)
    return [(user, countries.get(user.pk, "")) for user in users]
