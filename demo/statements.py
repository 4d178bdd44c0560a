"""Demo statements: last month's activity statement of every account a demo client may see, so
the client portal and the Broker Portal have statements to show (idempotent: an issued one is
not issued again). The month-end run over all accounts is left for the Broker Portal."""

import datetime as dt

from django.contrib.auth import get_user_model
from django.utils import timezone
from django_tenants.utils import tenant_context

from branding.statements.services import statement_issue
from ledger.access import accounts_visible
from tenants.roles import CLIENT


def statements_demo_seed(*, tenant) -> int:
    end = timezone.localdate().replace(day=1) - dt.timedelta(days=1)
    issued = 0
    with tenant_context(tenant):
        accounts = {}
        for user in get_user_model().objects.filter(groups__name=CLIENT, is_active=True):
            for account in accounts_visible(user=user, tenant=tenant):
                accounts[account.pk] = account
        for account in sorted(accounts.values(), key=lambda a: a.number):
            _, created = statement_issue(
                account=account,
                period_kind="monthly",
                period_start=end.replace(day=1),
                period_end=end,
            )
            issued += created
    return issued
