"""Trading's tasks: the margin monitor after bookings and price loads, margin call e-mails."""

from __future__ import annotations

from celery import shared_task
from django_tenants.utils import schema_context, tenant_context


@shared_task(acks_late=True)
def margin_monitor_task(
    *, account_ids: list[int], instrument_ids: list[int], everything: bool = False
) -> int:
    """Monitor the Reg T margin accounts that were booked to or hold one of the instruments
    (every margin account for new FX rates), tenant by tenant. Returns the accounts seen."""
    from tenants.models import Tenant

    from .margin_monitor import accounts_to_monitor, margin_monitor_run

    with schema_context("public"):
        by_tenant = accounts_to_monitor(
            account_ids=account_ids, instrument_ids=instrument_ids, everything=everything
        )
        tenants = list(Tenant.objects.filter(pk__in=list(by_tenant)).order_by("pk"))
    booked = set(account_ids)
    seen = 0
    for tenant in tenants:
        ids = by_tenant[tenant.pk]
        with tenant_context(tenant):
            for cause, part in (
                ("booking", [pk for pk in ids if pk in booked]),
                ("prices", [pk for pk in ids if pk not in booked]),
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
