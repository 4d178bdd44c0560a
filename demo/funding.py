"""Demo deposit notices: the first demo clients of each tenant have told the firm of a wire on
its way (one sent today, one sent a week ago and so stale), so the funding desk's queue has
work. Idempotent: a tenant with notices is left as it is."""

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone
from django_tenants.utils import tenant_context

from clientportal.models import DepositNotice
from clientportal.services import deposit_notice_create
from ledger.access import accounts_visible
from tenants.roles import CLIENT


def funding_demo_seed(*, tenant) -> int:
    created = 0
    with tenant_context(tenant):
        if DepositNotice.objects.exists():
            return 0
        clients = get_user_model().objects.filter(groups__name=CLIENT, is_active=True)
        today = timezone.localdate()
        plan = zip(
            clients.order_by("username")[:2], ((0, "2500.00"), (7, "12000.00")), strict=False
        )
        for user, (days_ago, amount) in plan:
            account = (
                accounts_visible(user=user, tenant=tenant, need="fund").order_by("number").first()
            )
            if account is None:
                continue
            notice = deposit_notice_create(
                user=user,
                account=account,
                amount=Decimal(amount),
                currency=account.base_currency,
                method="wire",
                expected_on=today,
                reference=f"WIRE-{account.number}",
            )
            if days_ago:
                DepositNotice.objects.filter(pk=notice.pk).update(
                    created_at=timezone.now() - dt.timedelta(days=days_ago)
                )
            created += 1
    return created
