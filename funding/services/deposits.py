"""Crediting and rejecting clients' deposit notices.

Staff match a notice to the money received: each credit books one cash deposit in the ledger
(`ledger.services.cash_deposit`, so `journal_post`, idempotent by the form's token) for what was
actually received. Less than the notice leaves it partly credited, awaiting the rest; more than
is still expected is credited only when the officer confirms the over-amount (what arrived is
the client's money; the confirmation keeps a typing error from crediting it). A rejection needs
a reason, which the client sees in the client portal.

Concurrency: both verbs lock the notice row first (`select_for_update`); two officers crediting
the same notice at once queue on it, and the second sees the first one's credit.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from clientportal.models import DepositNotice
from compliance.services.audit import audit_record
from events.services import event_record
from funding.access import deposit_credit_require
from funding.models import DepositCredit
from ledger.services import cash_deposit

CENT = Decimal("0.01")


class FundingRefused(ValidationError):
    """A refused funding action; nothing was changed. The message is meant for a person."""


def _locked(notice: DepositNotice) -> DepositNotice:
    return (
        DepositNotice.objects.select_for_update(of=("self",))
        .select_related("account")
        .get(pk=notice.pk)
    )


def _money(value) -> Decimal:
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise FundingRefused(f"The amount received, {value!r}, is not a number.") from None
    if not amount.is_finite() or amount <= 0:
        raise FundingRefused("The amount received must be more than zero.")
    if amount != amount.quantize(CENT):
        raise FundingRefused("The amount received has at most two decimals.")
    return amount


@transaction.atomic
def deposit_notice_credit(
    *,
    actor,
    tenant,
    notice: DepositNotice,
    amount,
    idempotency_key: str,
    value_date: date | None = None,
    bank_reference: str = "",
    accept_over: bool = False,
) -> DepositCredit:
    """Credit `amount` received against the notice; the same `idempotency_key` again returns
    the first credit and books nothing."""
    deposit_credit_require(actor)
    if not idempotency_key:
        raise FundingRefused("The form has expired; open the notice again.")
    key = f"deposit-credit:{tenant.schema_name}:{notice.pk}:{idempotency_key}"[:200]
    done = DepositCredit.objects.filter(idempotency_key=key).first()
    if done is not None:
        return done
    notice = _locked(notice)
    done = DepositCredit.objects.filter(idempotency_key=key).first()
    if done is not None:
        return done
    if notice.status not in (DepositNotice.Status.PENDING, DepositNotice.Status.PARTIAL):
        raise FundingRefused(
            f"This notice is {notice.get_status_display().lower()}; nothing was credited."
        )
    amount = _money(amount)
    today = timezone.localdate()
    value_date = value_date or today
    if value_date > today:
        raise FundingRefused("Money cannot be credited before it is received (a future date).")
    outstanding = notice.outstanding
    if amount > outstanding and not accept_over:
        raise FundingRefused(
            f"{amount:,.2f} {notice.currency} is more than the {outstanding:,.2f} "
            f"{notice.currency} still expected on this notice; confirm the over-amount to "
            "credit what was received."
        )
    now = timezone.now()
    entry = cash_deposit(
        account=notice.account,
        amount=amount,
        currency=notice.currency,
        idempotency_key=key,
        value_date=value_date,
        memo=f"Deposit ({notice.get_method_display()}) {bank_reference or notice.reference}"[
            :300
        ].strip(),
    )
    credit = DepositCredit(
        notice=notice,
        amount=amount,
        value_date=value_date,
        bank_reference=bank_reference.strip()[:100],
        idempotency_key=key,
        entry=entry,
        credited_by=actor,
        credited_at=now,
    )
    credit.full_clean()
    credit.save()
    notice.credited_amount += amount
    notice.status = (
        DepositNotice.Status.CREDITED
        if notice.credited_amount >= notice.amount
        else DepositNotice.Status.PARTIAL
    )
    notice.decided_by, notice.decided_at = actor, now
    notice.save(update_fields=["credited_amount", "status", "decided_by", "decided_at"])
    audit_record(
        actor=actor,
        action="deposit.credited",
        target=f"account:{notice.account.number}",
        details={
            "notice": notice.pk,
            "amount": str(amount),
            "currency": notice.currency,
            "entry": entry.pk,
            "over": str(max(Decimal(0), amount - outstanding)),
        },
    )
    event_record(
        kind="deposit.booked",
        subject=f"deposit_notice:{notice.pk}",
        account_id=notice.account_id,
        data={
            "notice": notice.pk,
            "amount": str(amount),
            "currency": notice.currency,
            "status": notice.status,
            "entry_id": entry.pk,
            "value_date": (value_date or entry.settle_date).isoformat(),
        },
    )
    return credit


@transaction.atomic
def deposit_notice_reject(*, actor, tenant, notice: DepositNotice, reason: str) -> DepositNotice:
    """Reject a notice (no money, or not the client's): the client sees `reason`. A notice
    partly credited keeps its credits; the rest is no longer expected."""
    deposit_credit_require(actor)
    reason = (reason or "").strip()
    if not reason:
        raise FundingRefused("Give the reason the client will see.")
    if len(reason) > 300:
        raise FundingRefused("The reason has at most 300 characters.")
    notice = _locked(notice)
    if notice.status not in (DepositNotice.Status.PENDING, DepositNotice.Status.PARTIAL):
        raise FundingRefused(f"This notice is {notice.get_status_display().lower()} already.")
    notice.status = DepositNotice.Status.REJECTED
    notice.rejection_reason = reason
    notice.decided_by, notice.decided_at = actor, timezone.now()
    notice.save(update_fields=["status", "rejection_reason", "decided_by", "decided_at"])
    audit_record(
        actor=actor,
        action="deposit.rejected",
        target=f"account:{notice.account.number}",
        details={"notice": notice.pk, "reason": reason},
    )
    return notice
