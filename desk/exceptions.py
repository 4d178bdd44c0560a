"""Exception reports (after IBKR Broker Portal's dedicated exception reports): what in the
tenant's books or queues needs a person today, computed set-based: one query per kind of
exception (four for margin deficits), whatever the number of accounts, plus the thresholds
and the acknowledgements.

Each exception has a kind, a key (which identifies the situation, so an acknowledged one that
comes back with a new key shows again) and the roles that own it; the daily e-mail goes to
those roles (desk.tasks)."""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import re
from collections.abc import Iterable
from dataclasses import MISSING, dataclass, field, fields

from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from ledger.selectors import (
    dormant_accounts_for,
    margin_deficits_for,
    missing_prices_for,
    negative_cash_for,
)
from tenants.roles import (
    ADVISOR,
    COMPLIANCE_OFFICER,
    ONBOARDING_OFFICER,
    SECURITY_OFFICER,
    role_names,
)

from .models import ExceptionAcknowledgement, ExceptionSettings


@dataclass(frozen=True)
class Kind:
    code: str
    title: str
    owners: tuple[str, ...]


KINDS = {
    k.code: k
    for k in (
        Kind("negative_cash", "Negative cash", (COMPLIANCE_OFFICER,)),
        # FINRA Rule 4210: equity below the maintenance requirement (excess liquidity < 0).
        Kind("margin_deficit", "Margin deficit", (COMPLIANCE_OFFICER,)),
        # trading.margin_monitor: the calls opened on those deficits, with their deadlines.
        Kind("margin_call", "Margin calls open", (COMPLIANCE_OFFICER,)),
        # FINRA Rule 4210 as amended (2026): equity below the intraday requirement today.
        Kind("intraday_deficit", "Intraday margin deficits (today)", (COMPLIANCE_OFFICER,)),
        # Legacy pattern-day-trader rules, kept by the firm during the phase-in (to 2027-10-20).
        Kind("day_trade_restricted", "Pattern-day-trader restrictions", (COMPLIANCE_OFFICER,)),
        Kind("block_unallocated", "Blocks unallocated past cut-off", (ADVISOR,)),
        Kind("deposit_stale", "Deposit notices not credited", (ONBOARDING_OFFICER,)),
        Kind("withdrawal_waiting", "Withdrawals waiting", (ONBOARDING_OFFICER,)),
        Kind("application_stuck", "Applications stuck", (ONBOARDING_OFFICER,)),
        # FinCEN CDD Rule (31 CFR 1010.230) and FINRA Rule 2090: keep customer information
        # current; the tenant sets its review period.
        Kind("kyc_due", "KYC review due", (COMPLIANCE_OFFICER, ONBOARDING_OFFICER)),
        Kind("dormant", "Dormant accounts", (COMPLIANCE_OFFICER,)),
        Kind("login_failures", "Failed logins and lockouts (last day)", (SECURITY_OFFICER,)),
        Kind("statement_failed", "Failed statements", (COMPLIANCE_OFFICER, ONBOARDING_OFFICER)),
        # A missing price is an exception, never a value of zero.
        Kind("price_missing", "Holdings without a price or FX rate", (COMPLIANCE_OFFICER, ADVISOR)),
        # Surveillance (compliance.surveillance, clientportal.surveillance), each with the
        # evidence it rests on: FINRA Rule 3110 (supervision), FINRA Regulatory Notice 20-32
        # (account takeover: a new destination soon after a change of address or e-mail).
        Kind("withdrawal_large", "Withdrawals over the limit", (COMPLIANCE_OFFICER,)),
        Kind(
            "withdrawal_new_destination",
            "Withdrawals to a new destination after an address or e-mail change",
            (COMPLIANCE_OFFICER,),
        ),
        Kind(
            "login_new_country",
            "Staff logins from a new country",
            (COMPLIANCE_OFFICER, SECURITY_OFFICER),
        ),
        Kind(
            "grant_change_out_of_hours",
            "Grant and role changes out of business hours",
            (COMPLIANCE_OFFICER, SECURITY_OFFICER),
        ),
        Kind("access_review_overdue", "Access reviews overdue", (SECURITY_OFFICER,)),
    )
}


@dataclass(frozen=True)
class ExceptionItem:
    kind: str
    key: str
    subject: str
    detail: str
    since: object  # a date or datetime, or None
    url: str = ""
    # What a surveillance finding rests on (audit records by id, seq and hash; the request).
    evidence: dict = field(default_factory=dict)

    @property
    def evidence_lines(self) -> list[str]:
        """The evidence as `name: value` lines, nested values by dotted name, hashes cut to
        16 digits for the screen (the CSV has them whole)."""
        lines = []

        def walk(prefix: str, value) -> None:
            if isinstance(value, dict):
                for name, inner in value.items():
                    walk(f"{prefix}.{name}" if prefix else str(name), inner)
                return
            text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
            if prefix.endswith("hash") and len(text) == 64:
                text = text[:16] + "…"
            lines.append(f"{prefix.replace('_', ' ')}: {text}")

        walk("", self.evidence)
        return lines

    @classmethod
    def many(cls, kind: str, rows: Iterable[tuple]) -> list[ExceptionItem]:
        """Items of `kind` from (key, subject, detail, since, url) rows: equal to those the
        constructor makes, without its `object.__setattr__` per field (frozen), which is
        most of the cost of a report that lists up to every account of a tenant."""
        given = ("kind", "key", "subject", "detail", "since", "url")
        rest = [
            (f.name, f.default, None if f.default_factory is MISSING else f.default_factory)
            for f in fields(cls)
            if f.name not in given
        ]
        new = object.__new__
        items = []
        for key, subject, detail, since, url in rows:
            item = new(cls)
            values = item.__dict__
            values.update(kind=kind, key=key, subject=subject, detail=detail, since=since, url=url)
            for name, default, factory in rest:
                values[name] = default if factory is None else factory()
            items.append(item)
        return items


@dataclass
class ExceptionReport:
    generated_at: dt.datetime
    items: dict[str, list[ExceptionItem]]
    acknowledged: dict[tuple[str, str], ExceptionAcknowledgement] = field(default_factory=dict)

    def open_items(self, kind: str) -> list[ExceptionItem]:
        return [i for i in self.items.get(kind, []) if (i.kind, i.key) not in self.acknowledged]

    def open_count(self, kinds: Iterable[str] | None = None) -> int:
        return sum(len(self.open_items(k)) for k in (kinds or self.items))

    def find(self, kind: str, key: str) -> ExceptionItem | None:
        return next((i for i in self.items.get(kind, []) if i.key == key), None)


def kinds_for(user) -> list[str]:
    """The kinds the user's roles own (every kind for a superuser)."""
    if user.is_superuser:
        return list(KINDS)
    roles = role_names(user)
    return [code for code, kind in KINDS.items() if roles & set(kind.owners)]


_PLAIN = re.compile(r"[A-Za-z0-9_~-]+")


def _account_urls():
    """A function number → the account's 360 URL, as `reverse("desk_account", ...)` gives it,
    with the route reversed once: a report lists up to every account of the tenant, and one
    `reverse` per row was most of the report's time. A number of unreserved characters only
    (RFC 3986 §2.3, which URL quoting leaves alone) replaces a marker in the reversed route;
    any other is reversed."""
    marker = "ACCOUNTNUMBER"
    template = reverse("desk_account", kwargs={"number": marker})
    head, tail = template.split(marker)

    def url(number: str) -> str:
        if _PLAIN.fullmatch(number):
            return f"{head}{number}{tail}"
        return reverse("desk_account", kwargs={"number": number})

    return url


def _negative_cash(tenant, account_url, **_):
    return ExceptionItem.many(
        "negative_cash",
        (
            (
                f"{row.account_id}:{row.currency}",
                row.number,
                f"{row.title}: {row.balance.normalize():f} {row.currency}",
                None,
                account_url(row.number),
            )
            for row in negative_cash_for(tenant=tenant)
        ),
    )


def _margin_deficit(tenant, account_url, **_):
    return [
        ExceptionItem(
            "margin_deficit",
            str(row.account_id),
            row.number,
            f"{row.title}: excess liquidity {row.excess_liquidity:.2f} {row.currency}",
            None,
            account_url(row.number),
        )
        for row in margin_deficits_for(tenant=tenant)
    ]


def _margin_calls(tenant, now, **_):
    from trading.margin_selectors import margin_calls_open_for

    page = reverse("desk_margin_calls")
    return [
        ExceptionItem(
            "margin_call",
            str(c.pk),
            c.account.number,
            f"{c.account.title}: call {c.amount:.2f} {c.currency} (now {c.current_amount:.2f}), "
            f"due {timezone.localtime(c.deadline):%Y-%m-%d %H:%M}"
            + ("" if c.liquidation_confirmed_at else " · liquidation to confirm")
            + (" · overdue" if c.deadline < now else ""),
            c.opened_at,
            f"{page}#margin-call-{c.pk}",
        )
        for c in margin_calls_open_for(tenant=tenant)
    ]


def _intraday_deficits(tenant, now, account_url, **_):
    from trading.margin_selectors import intraday_deficits_for

    return [
        ExceptionItem(
            "intraday_deficit",
            str(d.pk),
            d.account.number,
            f"{d.account.title}: intraday deficit {d.max_amount:.2f} {d.currency} "
            f"(equity {d.equity:.2f}, requirement {d.requirement:.2f})",
            d.arisen_at,
            account_url(d.account.number),
        )
        for d in intraday_deficits_for(tenant=tenant, on=timezone.localtime(now).date())
    ]


def _day_trade_restrictions(tenant, account_url, **_):
    from trading.margin_selectors import day_trade_restrictions_for

    return [
        ExceptionItem(
            "day_trade_restricted",
            str(r.pk),
            r.account.number,
            f"{r.account.title}: {r.day_trades} day trades {r.window_start}..{r.window_end}, "
            f"equity {r.equity:.2f} USD; closing orders only until {r.until}",
            r.restricted_at,
            account_url(r.account.number),
        )
        for r in day_trade_restrictions_for(tenant=tenant)
    ]


def _blocks_unallocated(tenant, now, **_):
    from allocations.models import AllocationSettings, Block, BlockFill

    cutoff = AllocationSettings.load().cutoff
    local = timezone.localtime(now)
    past = Q(trade_date__lt=local.date())
    if local.time() > cutoff:
        past |= Q(trade_date=local.date())
    awaiting = BlockFill.objects.filter(block=OuterRef("pk"), allocation__isnull=True)
    blocks = (
        Block.objects.filter(past, Exists(awaiting), master__tenant_id=tenant.pk)
        .select_related("master", "instrument")
        .order_by("trade_date", "id")
    )
    return [
        ExceptionItem(
            "block_unallocated",
            str(b.pk),
            b.reference,
            f"{b.get_side_display()} {b.instrument.symbol} in {b.master.number}, cut-off {cutoff}",
            b.trade_date,
            reverse("allocations_block", kwargs={"block_id": b.pk}),
        )
        for b in blocks
    ]


def _deposit_pending(queryset):
    """Notices still waiting for the money: those without a decision where the model records
    one (the funding queue adds a status), else every notice."""
    from clientportal.models import DepositNotice

    names = {f.name for f in DepositNotice._meta.get_fields()}
    if "status" in names:
        return queryset.filter(status__in=["pending", "partial"])
    return queryset


def _deposits_stale(tenant, now, limits, account_url, **_):
    from clientportal.models import DepositNotice

    before = now - dt.timedelta(days=limits.deposit_notice_days)
    notices = _deposit_pending(
        DepositNotice.objects.filter(created_at__lt=before, account__tenant_id=tenant.pk)
    ).select_related("account")
    return [
        ExceptionItem(
            "deposit_stale",
            str(n.pk),
            n.account.number,
            f"{n.amount} {n.currency} by {n.get_method_display()}, expected {n.expected_on}",
            n.created_at,
            account_url(n.account.number),
        )
        for n in notices.order_by("created_at")
    ]


def _withdrawals_waiting(tenant, now, limits, **_):
    from clientportal.models import WithdrawalRequest

    before = now - dt.timedelta(hours=limits.withdrawal_wait_hours)
    waiting = WithdrawalRequest.objects.filter(
        status=WithdrawalRequest.Status.PENDING,
        created_at__lt=before,
        account__tenant_id=tenant.pk,
    ).select_related("account")
    return [
        ExceptionItem(
            "withdrawal_waiting",
            str(w.pk),
            w.account.number,
            f"{w.amount} {w.currency} to {w.destination}",
            w.created_at,
            reverse("clientportal_staff_withdrawals"),
        )
        for w in waiting.order_by("created_at")
    ]


def _applications_stuck(tenant, now, limits, **_):
    from onboarding.models import Application

    waiting = [
        Application.State.SUBMITTED,
        Application.State.IN_REVIEW,
        Application.State.NEEDS_INFORMATION,
        Application.State.APPROVED,
    ]
    before = now - dt.timedelta(days=limits.application_stuck_days)
    stuck = Application.objects.filter(state__in=waiting, updated_at__lt=before).order_by(
        "updated_at"
    )
    return [
        ExceptionItem(
            "application_stuck",
            f"{a.pk}:{a.state}",
            f"#{a.pk}",
            f"{a.display_name}: {a.get_state_display()}",
            a.updated_at,
            reverse("onboarding_admin:detail", kwargs={"application_id": a.pk}),
        )
        for a in stuck
    ]


def _kyc_due(tenant, now, limits, account_url, **_):
    from onboarding.models import Application

    months = limits.kyc_review_months
    before = now - dt.timedelta(days=round(months * 365.25 / 12))
    due = (
        Application.objects.filter(
            state=Application.State.OPENED,
            account__isnull=False,
            account__status__in=["open", "restricted"],
        )
        .filter(
            Q(checks_run_at__lt=before)
            | Q(checks_run_at__isnull=True, decided_at__lt=before)
            | Q(checks_run_at__isnull=True, decided_at__isnull=True, created_at__lt=before)
        )
        .select_related("account")
        .order_by("checks_run_at", "id")
    )
    return [
        ExceptionItem(
            "kyc_due",
            f"{a.pk}:{(a.checks_run_at or a.decided_at or a.created_at):%Y%m%d}",
            a.account.number,
            f"{a.display_name}: last checked "
            f"{(a.checks_run_at or a.decided_at or a.created_at):%Y-%m-%d}",
            a.checks_run_at or a.decided_at or a.created_at,
            account_url(a.account.number),
        )
        for a in due
    ]


def _dormant(tenant, now, limits, account_url, **_):
    since = timezone.localtime(now).date() - dt.timedelta(days=limits.dormant_days)
    no_activity = f": no activity since {since}"
    return ExceptionItem.many(
        "dormant",
        (
            (
                str(row.account_id),
                row.number,
                row.title + no_activity,
                row.opened_at,
                account_url(row.number),
            )
            for row in dormant_accounts_for(tenant=tenant, since=since)
        ),
    )


def _login_failures(tenant, now, **_):
    from axes.models import AccessAttempt

    attempts = AccessAttempt.objects.filter(attempt_time__gte=now - dt.timedelta(days=1)).order_by(
        "-failures_since_start", "-attempt_time"
    )
    limit = settings.AXES_FAILURE_LIMIT
    return [
        ExceptionItem(
            "login_failures",
            f"{a.username}:{a.ip_address}:{a.attempt_time:%Y%m%d}",
            a.username or "(no username)",
            f"{a.failures_since_start} failed from {a.ip_address}"
            + (" · locked" if a.failures_since_start >= limit else ""),
            a.attempt_time,
            reverse("compliance_admin:lockouts"),
        )
        for a in attempts
    ]


def _statements_failed(tenant, **_):
    from branding.statement_models import StatementFailure

    failures = StatementFailure.objects.filter(account__tenant_id=tenant.pk).select_related(
        "run", "account"
    )
    return [
        ExceptionItem(
            "statement_failed",
            f"{f.run_id}:{f.account_id}",
            f.account.number,
            f"{f.run}: {f.error[:160]}",
            f.failed_at,
            reverse("branding_statement_run", kwargs={"run_id": f.run_id}),
        )
        for f in failures.order_by("-failed_at")
    ]


def _prices_missing(tenant, now, **_):
    return [
        ExceptionItem(
            "price_missing",
            f"{row.instrument_id}:{row.missing}",
            row.symbol,
            f"no {'close' if row.missing == 'price' else 'FX rate'} ({row.currency}), "
            f"held in {row.accounts} account{'s' if row.accounts != 1 else ''}",
            None,
        )
        for row in missing_prices_for(tenant=tenant, as_of=timezone.localtime(now).date())
    ]


def _surveillance_since(now) -> dt.datetime:
    from compliance.surveillance import surveillance_config

    return now - dt.timedelta(days=int(surveillance_config().get("lookback_days", 30)))


def _finding_items(findings, *, url: str = "", key) -> list[ExceptionItem]:
    return [
        ExceptionItem(f.kind, key(f), f.who or "system", f.summary, f.at, url, f.evidence)
        for f in findings
    ]


def _withdrawals_watched(kind):
    def compute(tenant, now, **_):
        from clientportal.surveillance import withdrawal_findings

        found = [f for f in withdrawal_findings(since=_surveillance_since(now)) if f.kind == kind]
        return _finding_items(
            found,
            url=reverse("clientportal_staff_withdrawals"),
            key=lambda f: str(f.evidence["withdrawal_request"]),
        )

    return compute


def _logins_new_country(tenant, now, **_):
    from compliance.surveillance import login_country_findings

    return _finding_items(
        login_country_findings(since=_surveillance_since(now)),
        url=reverse("compliance_admin:audit"),
        key=lambda f: f"audit:{f.evidence['audit_record']}",
    )


def _grant_changes_out_of_hours(tenant, now, **_):
    from compliance.surveillance import grant_change_findings

    return _finding_items(
        grant_change_findings(since=_surveillance_since(now)),
        url=reverse("compliance_admin:audit"),
        key=lambda f: f"audit:{f.evidence['audit_record']}",
    )


def _access_reviews_overdue(tenant, now, **_):
    from compliance.surveillance import access_review_findings

    return [
        ExceptionItem(
            f.kind,
            str(f.evidence["access_review"]),
            f.summary.split(" was due")[0],
            f.summary,
            f.at.date(),
            reverse("compliance_admin:review", kwargs={"review_id": f.evidence["access_review"]}),
            f.evidence,
        )
        for f in access_review_findings(today=timezone.localtime(now).date())
    ]


COMPUTE = {
    "negative_cash": _negative_cash,
    "margin_deficit": _margin_deficit,
    "margin_call": _margin_calls,
    "intraday_deficit": _intraday_deficits,
    "day_trade_restricted": _day_trade_restrictions,
    "block_unallocated": _blocks_unallocated,
    "deposit_stale": _deposits_stale,
    "withdrawal_waiting": _withdrawals_waiting,
    "application_stuck": _applications_stuck,
    "kyc_due": _kyc_due,
    "dormant": _dormant,
    "login_failures": _login_failures,
    "statement_failed": _statements_failed,
    "price_missing": _prices_missing,
    "withdrawal_large": _withdrawals_watched("withdrawal_large"),
    "withdrawal_new_destination": _withdrawals_watched("withdrawal_new_destination"),
    "login_new_country": _logins_new_country,
    "grant_change_out_of_hours": _grant_changes_out_of_hours,
    "access_review_overdue": _access_reviews_overdue,
}


@contextlib.contextmanager
def _collector_paused():
    """Python's cyclic garbage collector paused while a report is built: a report lists up to
    every account of a tenant (hundreds of thousands of new objects, kept or freed by
    reference counting), and each of the collections these allocations set off walks every
    object still alive: about half the report's CPU time. The collector resumes (if it ran
    before) when the report is built."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def exceptions_report(*, tenant, kinds: Iterable[str] | None = None, now=None) -> ExceptionReport:
    """The tenant's exceptions of `kinds` (default all), with their acknowledgements."""
    now = now or timezone.now()
    kinds = [k for k in (kinds if kinds is not None else KINDS) if k in COMPUTE]
    limits = ExceptionSettings.load()
    account_url = _account_urls()
    with _collector_paused():
        items = {
            k: COMPUTE[k](tenant, now=now, limits=limits, account_url=account_url) for k in kinds
        }
    acknowledged = {
        (a.kind, a.key): a for a in ExceptionAcknowledgement.objects.filter(kind__in=kinds)
    }
    return ExceptionReport(generated_at=now, items=items, acknowledged=acknowledged)
