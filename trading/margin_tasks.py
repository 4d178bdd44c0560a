"""Trading's tasks: the margin monitor after bookings and price loads, margin call e-mails."""

from __future__ import annotations

from celery import shared_task
from django_tenants.utils import schema_context, tenant_context


@shared_task(acks_late=True)
def margin_monitor_task(*, accounts: dict[str, list[int]], booked: list[int]) -> int:
    """Monitor the Reg T margin accounts found after a commit (tenant id → account ids;
    `trading.margin_monitor.accounts_to_monitor`), tenant by tenant: those in `booked` were
    booked to, the others' prices moved. Returns the accounts seen."""
    from tenants.models import Tenant

    from .margin_monitor import margin_monitor_run

    with schema_context("public"):
        tenants = list(Tenant.objects.filter(pk__in=[int(t) for t in accounts]).order_by("pk"))
    booked_ids = set(booked)
    seen = 0
    for tenant in tenants:
        ids = accounts[str(tenant.pk)]
        with tenant_context(tenant):
            for cause, part in (
                ("booking", [pk for pk in ids if pk in booked_ids]),
                ("prices", [pk for pk in ids if pk not in booked_ids]),
            ):
                if part:
                    margin_monitor_run(tenant=tenant, account_ids=part, cause=cause)
                    seen += len(part)
    return seen


@shared_task
def margin_call_emails_send(*, call_id: int, opened: bool) -> int:
    from .margin_models import MarginCall
    from .margin_notifications import margin_call_emails_build

    call = MarginCall.objects.select_related("account").filter(pk=call_id).first()
    if call is None or (opened and call.status != MarginCall.Status.OPEN):
        return 0
    sent = 0
    for message in margin_call_emails_build(call=call, opened=opened):
        sent += message.send()
    return sent
