"""Reads of issued statements and runs, scoped to the tenant (and its schema) explicitly."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404

from branding.statement_models import IssuedStatement, StatementFailure, StatementRun
from ledger.access import accounts_visible
from ledger.models import Account
from ledger.selectors import accounts_for


def clients_of_accounts(*, account_ids) -> dict[int, list]:
    """account id → the active clients (users in the Client role) granted `view_account` on it,
    directly or through a group, ordered by user id; two queries for any number of accounts.
    The ids are the caller's, already scoped to the tenant (grants live in its schema)."""
    from django.contrib.auth import get_user_model
    from guardian.models import GroupObjectPermission, UserObjectPermission

    from tenants.roles import CLIENT

    keys = {str(pk): pk for pk in account_ids}
    if not keys:
        return {}
    common = {
        "content_type__app_label": "ledger",
        "content_type__model": "account",
        "permission__codename": "view_account",
        "object_pk__in": list(keys),
    }
    grants = (
        UserObjectPermission.objects.filter(**common)
        .values_list("object_pk", "user_id")
        .union(
            GroupObjectPermission.objects.filter(group__user__isnull=False, **common).values_list(
                "object_pk", "group__user__id"
            )
        )
    )
    by_account: dict[int, set[int]] = {}
    for object_pk, user_id in grants:
        by_account.setdefault(keys[object_pk], set()).add(user_id)
    user_ids = set().union(*by_account.values()) if by_account else set()
    clients = {
        user.pk: user
        for user in get_user_model()
        .objects.filter(pk__in=user_ids, is_active=True, groups__name=CLIENT)
        .distinct()
    }
    return {
        account_id: [clients[pk] for pk in sorted(ids) if pk in clients]
        for account_id, ids in by_account.items()
    }


def run_accounts(*, tenant) -> QuerySet[Account]:
    """The accounts a month-end run issues a statement for: every open or restricted account of
    the tenant (a master gets one consolidated over its subs); paper accounts get none."""
    return (
        accounts_for(tenant=tenant)
        .exclude(status=Account.Status.CLOSED)
        .exclude(is_paper=True)
        .order_by("number")
    )


def run_accounts_missing(*, tenant, run: StatementRun) -> QuerySet[Account]:
    """The run's accounts that have no statement of the run's kind and period yet."""
    issued = IssuedStatement.objects.filter(
        account_id=OuterRef("pk"),
        kind=run.kind,
        period_start=run.period_start,
        period_end=run.period_end,
    )
    return run_accounts(tenant=tenant).filter(~Exists(issued))


@dataclass(frozen=True)
class RunProgress:
    run: StatementRun
    total: int
    issued: int
    failed: int

    @property
    def percent(self) -> int:
        return 100 if not self.total else min(100, self.issued * 100 // self.total)

    @property
    def done(self) -> bool:
        return self.issued >= self.total


def run_progress(*, tenant, run: StatementRun) -> RunProgress:
    issued = IssuedStatement.objects.filter(
        account__tenant_id=tenant.pk,
        kind=run.kind,
        period_start=run.period_start,
        period_end=run.period_end,
        version=1,
    ).count()
    failed = StatementFailure.objects.filter(run=run, account__tenant_id=tenant.pk).count()
    return RunProgress(run=run, total=run.total, issued=issued, failed=failed)


def runs_recent(*, tenant, limit: int = 20) -> list[RunProgress]:
    return [run_progress(tenant=tenant, run=run) for run in StatementRun.objects.all()[:limit]]


def run_failures(*, tenant, run: StatementRun) -> QuerySet[StatementFailure]:
    return (
        StatementFailure.objects.filter(run=run, account__tenant_id=tenant.pk)
        .select_related("account")
        .order_by("account__number")
    )


def statements_for(*, tenant, account_ids) -> QuerySet[IssuedStatement]:
    """Issued statements of the given accounts of `tenant`, newest period first, every version
    (a replaced one is marked by `replaced_by`). The caller passes the accounts the user may
    see (`ledger.access.accounts_visible`); ids of other tenants' accounts match nothing."""
    return (
        IssuedStatement.objects.filter(account__tenant_id=tenant.pk, account_id__in=account_ids)
        .select_related("account", "replaced_by")
        .order_by("-period_end", "account__number", "kind", "-version")
    )


def access_issued_statement(*, user, tenant, statement_id, need: str = "view") -> IssuedStatement:
    """The statement if `user` may `need` (view for clients, report for staff) on its account;
    the same 404 for a missing id, another tenant's statement and an account not granted."""
    try:
        pk = int(statement_id)
    except (TypeError, ValueError):
        raise Http404("No such statement.") from None
    statement = (
        IssuedStatement.objects.filter(
            pk=pk,
            account__in=accounts_visible(user=user, tenant=tenant, need=need),
        )
        .select_related("account")
        .first()
    )
    if statement is None:
        raise Http404("No such statement.")
    return statement


def access_statement_run(*, user, tenant, run_id) -> StatementRun:
    """A run of the current tenant's schema for a user who may view runs; 404 otherwise (the
    runs of another tenant live in its own schema and are never found here)."""
    try:
        pk = int(run_id)
    except (TypeError, ValueError):
        raise Http404("No such run.") from None
    run = StatementRun.objects.filter(pk=pk).first()
    if run is None or tenant is None or not user.has_perm("branding.view_statementrun"):
        raise Http404("No such run.")
    return run


def statements_issued_between(*, tenant, start, end) -> QuerySet[IssuedStatement]:
    """Every statement of `tenant` issued in [start, end) (aware datetimes), every kind and
    version, oldest first: the records export's share of the statements."""
    return (
        IssuedStatement.objects.filter(
            account__tenant_id=tenant.pk, issued_at__gte=start, issued_at__lt=end
        )
        .select_related("account")
        .order_by("issued_at", "pk")
    )
