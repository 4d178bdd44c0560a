"""The margin monitor: after each booking and each price load, the Reg T margin accounts they
touched are valued again (set-based, `ledger.selectors.valuations_for_accounts`), and

- excess liquidity below zero (equity under the FINRA Rule 4210(c) maintenance requirement)
  opens one margin call (amount, deadline), notifies the client and the firm's compliance
  officers, restricts the account to closing orders and lists the positions a liquidation would
  sell (largest margin relief first) for staff to confirm; excess liquidity back at zero or
  above meets the call, reopens the account and notifies the client;
- equity below the intraday requirement (positions and open orders, `trading.margin`) records
  the day's intraday margin deficit; meeting the requirement again resolves it;
- under the legacy pattern-day-trader regime (phase-in until 2027-10-20), a booking that makes
  the account a pattern day trader under USD 25,000 restricts it (`trading.daytrades`).

How it is reached: `ledger.hooks` calls the subscribers below inside the writer's transaction;
they only collect the ids, and once the transaction commits one Celery task
(`trading.tasks.margin_monitor_task`) runs the monitor for every tenant concerned. A booking
that rolls back monitors nothing.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import ROUND_CEILING, ROUND_UP, Decimal
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.utils import timezone

from compliance.services.audit import audit_record
from events.services import event_record
from ledger.domain.valuation import PositionValue, Valuation
from ledger.models import Account
from ledger.selectors import accounts_for, margin_accounts_touched, valuations_for_accounts
from ledger.services import account_lock, account_status_set

from .daytrades import (
    MINIMUM_EQUITY_USD,
    RESTRICTION_DAYS,
    business_days_after,
    day_trades_for,
    equity_usd,
)
from .margin import CENT, ZERO, intraday_figures, maintenance_rate, open_order_exposures
from .margin_models import DayTradeRestriction, IntradayDeficit, MarginCall, MarginSettings

logger = logging.getLogger(__name__)
NEW_YORK = ZoneInfo("America/New_York")
CALL_DUE_AT = time(16, 0)  # the NYSE close on the deadline's day
MONITORED = (Account.Status.OPEN, Account.Status.RESTRICTED)


# -- the liquidation list (pure) -------------------------------------------------------------


def liquidation_plan(positions: list[PositionValue], deficit: Decimal) -> list[dict]:
    """The positions a liquidation would sell (or buy back, for shorts) to bring excess
    liquidity back to zero, largest margin relief first: closing a position at its market
    value leaves equity unchanged and frees its maintenance requirement, so its relief is
    that requirement. Whole units; the last position only in part, as much as needed."""
    lines = []
    for p in positions:
        if not p.quantity or not p.market_value:
            continue
        relief = abs(p.market_value) * maintenance_rate(p.asset_class, short=p.quantity < 0)
        if relief > 0:
            lines.append((relief, p))
    lines.sort(key=lambda item: (-item[0], item[1].symbol))
    plan, remaining, cumulative = [], deficit, ZERO
    for relief, p in lines:
        if remaining <= 0:
            break
        units = abs(p.quantity)
        per_unit = relief / units
        take = (
            units
            if relief <= remaining
            else min(units, (remaining / per_unit).to_integral_value(ROUND_CEILING))
        )
        freed = per_unit * take
        remaining -= freed
        cumulative += freed
        plan.append(
            {
                "symbol": p.symbol,
                "asset_class": p.asset_class,
                "side": "sell" if p.quantity > 0 else "buy_to_cover",
                "quantity": f"{take.normalize():f}",
                "held": f"{p.quantity.normalize():f}",
                "price": f"{p.price.normalize():f}",
                "market_value": f"{abs(p.market_value).quantize(CENT)}",
                "margin_relief": f"{freed.quantize(CENT)}",
                "cumulative_relief": f"{cumulative.quantize(CENT)}",
            }
        )
    return plan


def call_amount(valuation: Valuation) -> Decimal:
    """Cash that brings excess liquidity back to zero, rounded up to the cent."""
    return (-valuation.excess_liquidity).quantize(CENT, rounding=ROUND_UP)


def call_deadline(*, opened: datetime, business_days: int) -> datetime:
    """The NYSE close (16:00 New York) `business_days` sessions after the day it opened."""
    day = business_days_after(timezone.localtime(opened, NEW_YORK).date(), business_days)
    return datetime.combine(day, CALL_DUE_AT, tzinfo=NEW_YORK)


# -- the monitor -----------------------------------------------------------------------------


@dataclass
class MonitorResult:
    calls_opened: list[int] = field(default_factory=list)
    calls_met: list[int] = field(default_factory=list)
    deficits: list[int] = field(default_factory=list)
    restrictions: list[int] = field(default_factory=list)


def _restrict(*, tenant, account: Account) -> bool:
    """Restrict an open account to closing orders; False when it was not open."""
    if account.status != Account.Status.OPEN:
        return False
    account_status_set(tenant=tenant, account=account, status=Account.Status.RESTRICTED)
    account.status = Account.Status.RESTRICTED
    event_record(
        kind="account.restricted",
        subject=f"account:{account.number}",
        account_id=account.pk,
        data={"number": account.number, "reason": "margin"},
    )
    return True


def _reopen_if_free(*, tenant, account: Account) -> None:
    """Reopen an account the monitor restricted once nothing of trading's keeps it restricted."""
    still = (
        MarginCall.objects.filter(account=account, status=MarginCall.Status.OPEN).exists()
        or DayTradeRestriction.objects.filter(account=account, lifted_at__isnull=True).exists()
    )
    if still or account.status != Account.Status.RESTRICTED:
        return
    account_status_set(tenant=tenant, account=account, status=Account.Status.OPEN)
    account.status = Account.Status.OPEN


@transaction.atomic
def margin_call_open(*, tenant, account: Account, valuation: Valuation, cause: str) -> MarginCall:
    """Open the account's margin call (one at most: the row lock and the partial unique index
    keep a concurrent run from opening a second)."""
    account_lock(tenant=tenant, account=account)
    existing = MarginCall.objects.filter(account=account, status=MarginCall.Status.OPEN).first()
    if existing is not None:
        return existing
    now = timezone.now()
    settings = MarginSettings.load()
    amount = call_amount(valuation)
    call = MarginCall.objects.create(
        account=account,
        currency=valuation.base_currency,
        amount=amount,
        current_amount=amount,
        equity=valuation.nlv,
        maintenance_margin=valuation.maintenance_margin,
        opened_at=now,
        deadline=call_deadline(opened=now, business_days=settings.call_business_days),
        cause=cause,
        liquidation=liquidation_plan(list(valuation.positions), amount),
    )
    call.restricted_account = _restrict(tenant=tenant, account=account)
    call.save(update_fields=["restricted_account"])
    details = {
        "amount": str(amount),
        "currency": call.currency,
        "deadline": call.deadline.isoformat(),
        "equity": str(valuation.nlv.quantize(CENT)),
        "maintenance_margin": str(valuation.maintenance_margin.quantize(CENT)),
    }
    audit_record(
        actor=None,
        action="margin_call.open",
        target=f"account:{account.number}",
        details=details | {"cause": cause},
    )
    event_record(
        kind="margin_call.opened",
        subject=f"margin_call:{call.pk}",
        account_id=account.pk,
        data=details | {"number": account.number},
    )
    from .margin_notifications import margin_call_notify_on_commit

    margin_call_notify_on_commit(call=call, opened=True)
    return call


@transaction.atomic
def margin_call_meet(*, tenant, call: MarginCall, account: Account, valuation: Valuation) -> None:
    call.status = MarginCall.Status.MET
    call.met_at = timezone.now()
    call.current_amount = ZERO
    call.save(update_fields=["status", "met_at", "current_amount"])
    if call.restricted_account:
        _reopen_if_free(tenant=tenant, account=account)
    details = {"amount": str(call.amount), "currency": call.currency}
    audit_record(
        actor=None,
        action="margin_call.met",
        target=f"account:{account.number}",
        details=details | {"excess_liquidity": str(valuation.excess_liquidity.quantize(CENT))},
    )
    event_record(
        kind="margin_call.met",
        subject=f"margin_call:{call.pk}",
        account_id=account.pk,
        data=details | {"number": account.number},
    )
    from .margin_notifications import margin_call_notify_on_commit

    margin_call_notify_on_commit(call=call, opened=False)


def _deficit_note(*, account: Account, figures, cause: str, existing: IntradayDeficit | None):
    amount = figures.deficit_before
    if existing is None:
        deficit = IntradayDeficit.objects.create(
            account=account,
            trade_date=timezone.localdate(),
            arisen_at=timezone.now(),
            cause=cause,
            equity=figures.equity,
            requirement=figures.requirement_before,
            amount=amount,
            max_amount=amount,
            currency=figures.currency,
        )
        event_record(
            kind="intraday_deficit.arisen",
            subject=f"intraday_deficit:{deficit.pk}",
            account_id=account.pk,
            data={
                "number": account.number,
                "amount": str(amount.quantize(CENT)),
                "currency": figures.currency,
                "equity": str(figures.equity.quantize(CENT)),
                "requirement": str(figures.requirement_before.quantize(CENT)),
            },
        )
        return deficit
    changed = []
    if existing.resolved_at is not None:
        existing.resolved_at = None
        changed.append("resolved_at")
    if amount > existing.max_amount:
        existing.max_amount = amount
        changed.append("max_amount")
    if changed:
        existing.save(update_fields=changed)
    return existing


def _pdt_review(*, tenant, account: Account, valuation: Valuation, result: MonitorResult) -> None:
    today = timezone.localdate()
    active = DayTradeRestriction.objects.filter(account=account, lifted_at__isnull=True).first()
    try:
        equity = equity_usd(account=account, nlv=valuation.nlv, on=today)
    except LookupError:
        return
    if active is not None:
        reason = ""
        if equity >= MINIMUM_EQUITY_USD:
            reason = "equity at the USD 25,000 minimum"
        elif today > active.until:
            reason = f"{RESTRICTION_DAYS} days passed"
        if reason:
            active.lifted_at = timezone.now()
            active.lifted_reason = reason
            active.save(update_fields=["lifted_at", "lifted_reason"])
            if active.restricted_account:
                _reopen_if_free(tenant=tenant, account=account)
            event_record(
                kind="day_trade.lifted",
                subject=f"day_trade_restriction:{active.pk}",
                account_id=account.pk,
                data={"number": account.number, "reason": reason},
            )
        return
    if equity >= MINIMUM_EQUITY_USD:
        return
    count = day_trades_for(tenant=tenant, account=account, on=today)
    if not count.pattern:
        return
    account_lock(tenant=tenant, account=account)
    restriction = DayTradeRestriction.objects.create(
        account=account,
        day_trades=count.day_trades,
        window_start=count.window_start,
        window_end=count.window_end,
        equity=equity,
        restricted_at=timezone.now(),
        until=today + timedelta(days=RESTRICTION_DAYS),
    )
    restriction.restricted_account = _restrict(tenant=tenant, account=account)
    restriction.save(update_fields=["restricted_account"])
    details = {
        "day_trades": count.day_trades,
        "window": f"{count.window_start}..{count.window_end}",
        "equity_usd": str(equity.quantize(CENT)),
        "until": str(restriction.until),
    }
    audit_record(
        actor=None,
        action="day_trade.restrict",
        target=f"account:{account.number}",
        details=details,
    )
    event_record(
        kind="day_trade.restricted",
        subject=f"day_trade_restriction:{restriction.pk}",
        account_id=account.pk,
        data=details | {"number": account.number},
    )
    result.restrictions.append(restriction.pk)


@transaction.atomic
def margin_monitor_run(*, tenant, account_ids=None, cause: str = "monitor") -> MonitorResult:
    """Value the tenant's Reg T margin accounts among `account_ids` (default all of them) and
    open, update or meet their margin calls and intraday deficits (and, under the legacy
    regime, their pattern-day-trader restrictions). A fixed number of queries for the
    valuations and the open records, whatever the number of accounts; writes only for the
    accounts whose state changed. Runs in the tenant's schema."""
    result = MonitorResult()
    accounts = accounts_for(tenant=tenant, account_ids=account_ids).filter(
        margin_type=Account.MarginType.REG_T, status__in=MONITORED, is_paper=False
    )
    accounts = list(accounts)
    if not accounts:
        return result
    try:
        valuations = valuations_for_accounts(tenant=tenant, account_ids=accounts)
    except LookupError:
        # A missing FX rate values nothing: the missing rate is its own exception, never a
        # margin call computed at a rate of zero.
        logger.warning(
            "margin monitor: no valuation for %s accounts (FX rate missing)", len(accounts)
        )
        return result
    ids = [a.pk for a in accounts]
    calls = {c.account_id: c for c in MarginCall.objects.filter(account_id__in=ids, status="open")}
    today = timezone.localdate()
    deficits = {
        d.account_id: d
        for d in IntradayDeficit.objects.filter(account_id__in=ids, trade_date=today)
    }
    orders = open_order_exposures(accounts=accounts)
    legacy = MarginSettings.load().legacy_pdt_on(today) and cause == "booking"
    for account in accounts:
        valuation = valuations[account.pk]
        call = calls.get(account.pk)
        if valuation.excess_liquidity < 0:
            if call is None:
                result.calls_opened.append(
                    margin_call_open(
                        tenant=tenant, account=account, valuation=valuation, cause=cause
                    ).pk
                )
            else:
                current = call_amount(valuation)
                if current != call.current_amount:
                    call.current_amount = current
                    call.save(update_fields=["current_amount"])
        elif call is not None:
            margin_call_meet(tenant=tenant, call=call, account=account, valuation=valuation)
            result.calls_met.append(call.pk)
        figures = intraday_figures(valuation=valuation, open_orders=orders.get(account.pk, ()))
        existing = deficits.get(account.pk)
        if figures.deficit_before > 0:
            deficit = _deficit_note(
                account=account, figures=figures, cause=cause, existing=existing
            )
            result.deficits.append(deficit.pk)
        elif existing is not None and existing.resolved_at is None:
            existing.resolved_at = timezone.now()
            existing.save(update_fields=["resolved_at"])
        if legacy:
            _pdt_review(tenant=tenant, account=account, valuation=valuation, result=result)
    return result


# -- staff's confirmation of a liquidation ----------------------------------------------------


@transaction.atomic
def margin_call_liquidation_confirm(*, actor, tenant, call_id: int) -> MarginCall:
    """A staff member confirms the liquidation listed on an open margin call (recorded with who
    and when; the orders themselves go through the order ticket as closing orders)."""
    from django.core.exceptions import ValidationError
    from django.http import Http404

    try:
        call_id = int(call_id)
    except (TypeError, ValueError):
        raise Http404("No such margin call.") from None
    call = (
        MarginCall.objects.select_for_update()
        .filter(pk=call_id, account__tenant_id=tenant.pk)
        .select_related("account")
        .first()
    )
    if call is None:
        raise Http404("No such margin call.")
    if call.status != MarginCall.Status.OPEN:
        raise ValidationError("The margin call was met; there is nothing to liquidate.")
    if call.liquidation_confirmed_at is not None:
        raise ValidationError(
            f"The liquidation was confirmed on {call.liquidation_confirmed_at:%Y-%m-%d %H:%M}."
        )
    call.liquidation_confirmed_at = timezone.now()
    call.liquidation_confirmed_by = actor
    call.save(update_fields=["liquidation_confirmed_at", "liquidation_confirmed_by"])
    audit_record(
        actor=actor,
        action="margin_call.liquidation_confirm",
        target=f"account:{call.account.number}",
        details={"call": call.pk, "lines": call.liquidation},
    )
    return call


# -- the hooks: collect in the writer's transaction, monitor after commit ---------------------


@dataclass
class _Pending:
    accounts: set[int] = field(default_factory=set)
    instruments: set[int] = field(default_factory=set)
    everything: bool = False


def _pending_flush(pending: _Pending) -> None:
    """After commit: the Reg T accounts concerned, read here (most bookings and price loads
    concern none, and then no task is sent), monitored by one task."""
    from .margin_tasks import margin_monitor_task

    if getattr(connection, "_margin_pending", None) is pending:
        connection._margin_pending = None
    try:
        by_tenant = accounts_to_monitor(
            account_ids=sorted(pending.accounts),
            instrument_ids=sorted(pending.instruments),
            everything=pending.everything,
        )
        if not by_tenant:
            return
        margin_monitor_task.delay(
            accounts={str(tenant_id): ids for tenant_id, ids in by_tenant.items()},
            booked=sorted(pending.accounts),
        )
    except Exception:  # noqa: BLE001 (a broker outage must not fail the committed booking)
        logger.exception("margin monitor not enqueued")


def _pending() -> _Pending:
    """This transaction's collection, with one after-commit flush registered. A collection
    whose flush was dropped (its transaction or savepoint rolled back) is started afresh."""
    pending = getattr(connection, "_margin_pending", None)
    if pending is not None and connection.in_atomic_block:
        registered = any(
            getattr(func, "pending", None) is pending for _, func, _ in connection.run_on_commit
        )
        if registered:
            return pending
    pending = _Pending()
    connection._margin_pending = pending

    def flush() -> None:
        _pending_flush(pending)

    flush.pending = pending  # type: ignore[attr-defined]
    transaction.on_commit(flush)
    return pending


def accounts_booked(account_ids: set[int]) -> None:
    """`ledger.hooks` subscriber: postings were booked to these accounts."""
    if connection.in_atomic_block:
        _pending().accounts.update(account_ids)
    else:
        _pending_flush(_Pending(accounts=set(account_ids)))


def prices_loaded(ticks) -> None:
    """Price-load subscriber (`ledger.services.market.prices_loaded_subscribe`): the closes
    just stored (each with its `instrument_id`); None for new FX rates, which move every
    holding in another currency."""
    pending = _pending() if connection.in_atomic_block else _Pending()
    if ticks is None:
        pending.everything = True
    else:
        pending.instruments.update(tick.instrument_id for tick in ticks)
    if not connection.in_atomic_block:
        _pending_flush(pending)


def hooks_connect() -> None:
    """Subscribe the monitor to the ledger's bookings and price loads (`AppConfig.ready`)."""
    from ledger.hooks import accounts_booked_subscribe

    accounts_booked_subscribe(accounts_booked)
    try:
        from ledger.services.market import prices_loaded_subscribe
    except ImportError:  # a ledger without price-load subscribers: bookings only
        return
    prices_loaded_subscribe(_prices_loaded_safely)


def _prices_loaded_safely(ticks) -> None:
    # A price load's subscriber that raises rolls the load back; the monitor never should.
    try:
        prices_loaded(ticks)
    except Exception:  # noqa: BLE001
        logger.exception("margin monitor: price load not collected")


def accounts_to_monitor(
    *, account_ids: list[int], instrument_ids: list[int], everything: bool
) -> dict[int, list[int]]:
    """tenant id → its Reg T margin accounts (open or restricted, paper accounts aside) that
    were booked to or hold one of the instruments (every one, for FX rates): a query for each,
    by the account key and the positions' instrument index."""
    rows = margin_accounts_touched(
        tenant=None,
        account_ids=account_ids,
        instrument_ids=instrument_ids,
        everything=everything,
        statuses=MONITORED,
    )
    out: dict[int, list[int]] = defaultdict(list)
    for pk, tenant_id in sorted(rows):
        out[tenant_id].append(pk)
    return dict(out)
