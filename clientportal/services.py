"""Writes of the client portal: messages, deposit notices, withdrawal requests and their staff
decision, internal transfers. Money moves only through ledger services."""

from datetime import date
from decimal import Decimal

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from compliance.services import audit_record
from compliance.services.disclosures import disclosures_require_accepted
from events.services import event_record
from ledger import services as ledger_services
from ledger.errors import InsufficientFunds, LedgerError
from ledger.models import Account
from onboarding.selectors import client_country

from .models import DepositNotice, Message, MessageThread, WithdrawalRequest
from .notifications import staff_message_notify_on_commit, withdrawal_decided_notify_on_commit
from .selectors import unread_cache_key, withdrawable_cash


@transaction.atomic
def message_thread_start(*, client, subject: str, body: str) -> MessageThread:
    now = timezone.now()
    thread = MessageThread(client=client, subject=subject, last_message_at=now)
    thread.full_clean()
    thread.save()
    message_post(thread=thread, sender=client, body=body, from_staff=False)
    return thread


@transaction.atomic
def message_thread_start_by_staff(*, staff, client, subject: str, body: str) -> MessageThread:
    """A thread opened by the tenant's staff with a client (from the account's 360 page)."""
    thread = MessageThread(client=client, subject=subject, last_message_at=timezone.now())
    thread.full_clean()
    thread.save()
    message_post(thread=thread, sender=staff, body=body, from_staff=True)
    return thread


@transaction.atomic
def message_post(*, thread: MessageThread, sender, body: str, from_staff: bool) -> Message:
    """Append a message; the sender's side has read everything up to it."""
    now = timezone.now()
    message = Message(thread=thread, sender=sender, from_staff=from_staff, body=body, sent_at=now)
    message.full_clean()
    message.save()
    thread.last_message_at = now
    read_field = "staff_read_at" if from_staff else "client_read_at"
    setattr(thread, read_field, now)
    thread.save(update_fields=["last_message_at", read_field])
    # Dropped now and again after commit, so a read in between cannot keep a stale count.
    cache.delete(unread_cache_key(thread.client_id))
    transaction.on_commit(lambda: cache.delete(unread_cache_key(thread.client_id)))
    audit_record(
        actor=sender,
        action="message.sent",
        target=f"thread:{thread.pk}",
        details={"from_staff": from_staff},
    )
    if from_staff:
        staff_message_notify_on_commit(message=message)
    return message


def thread_read_mark(*, thread: MessageThread, by_staff: bool) -> None:
    read_field = "staff_read_at" if by_staff else "client_read_at"
    setattr(thread, read_field, timezone.now())
    thread.save(update_fields=[read_field])
    if not by_staff:
        cache.delete(unread_cache_key(thread.client_id))


def disclosures_accepted_check(*, user) -> None:
    """Funding waits for the disclosures of the holder's region (DisclosuresPending)."""
    disclosures_require_accepted(
        user=user, country=client_country(user=user), today=timezone.now().date()
    )


@transaction.atomic
def deposit_notice_create(
    *,
    user,
    account: Account,
    amount: Decimal,
    currency: str,
    method: str,
    expected_on: date,
    reference: str = "",
) -> DepositNotice:
    disclosures_accepted_check(user=user)
    notice = DepositNotice(
        account=account,
        notified_by=user,
        amount=amount,
        currency=currency,
        method=method,
        expected_on=expected_on,
        reference=reference,
    )
    notice.full_clean()
    notice.save()
    audit_record(
        actor=user,
        action="deposit.notified",
        target=f"account:{account.number}",
        details={"amount": str(amount), "currency": currency, "method": method},
    )
    event_record(
        kind="deposit.notified",
        subject=f"deposit_notice:{notice.pk}",
        account_id=account.pk,
        data={
            "account": account.number,
            "amount": str(amount),
            "currency": currency,
            "method": method,
            "expected_on": expected_on.isoformat(),
        },
    )
    return notice


@transaction.atomic
def withdrawal_request_create(
    *,
    user,
    tenant,
    account: Account,
    amount: Decimal,
    currency: str,
    destination: str,
    idempotency_key: str | None = None,
) -> WithdrawalRequest:
    """Refused with InsufficientFunds when the amount exceeds withdrawable cash in `currency`
    less the requests still awaiting approval, and with DisclosuresPending while a disclosure
    of the holder's region waits for acceptance; nothing is written then.

    With `idempotency_key` (the form's one-time token), a repeat of the same request by the same
    user returns the request already made: one request, one audit record, however often the
    POST is retried."""
    disclosures_accepted_check(user=user)
    # Serialise requests of one account so two concurrent requests cannot both pass the check
    # (nor both miss each other's idempotency key).
    ledger_services.account_lock(tenant=tenant, account=account)
    if idempotency_key:
        made = WithdrawalRequest.objects.filter(
            requested_by=user, idempotency_key=idempotency_key
        ).first()
        if made is not None:
            return made
    available = withdrawable_cash(tenant=tenant, account=account, currency=currency)
    if amount > available:
        raise InsufficientFunds(
            f"You can withdraw at most {available:,.2f} {currency} from {account.number}."
        )
    request = WithdrawalRequest(
        account=account,
        requested_by=user,
        amount=amount,
        currency=currency,
        destination=destination,
        idempotency_key=idempotency_key or None,
    )
    request.full_clean()
    request.save()
    audit_record(
        actor=user,
        action="withdrawal.requested",
        target=f"account:{account.number}",
        details={"request": request.pk, "amount": str(amount), "currency": currency},
    )
    _withdrawal_event("withdrawal.requested", request)
    return request


def _withdrawal_event(kind: str, request: WithdrawalRequest) -> None:
    event_record(
        kind=kind,
        subject=f"withdrawal:{request.pk}",
        account_id=request.account_id,
        data={
            "account": request.account.number,
            "amount": str(request.amount),
            "currency": request.currency,
            "status": request.status,
            "journal_entry_id": request.journal_entry_id,
        },
    )


def _decidable(request_id: int) -> WithdrawalRequest:
    request = (
        WithdrawalRequest.objects.select_for_update().select_related("account").get(pk=request_id)
    )
    if request.status != WithdrawalRequest.Status.PENDING:
        raise LedgerError(f"This request is already {request.get_status_display().lower()}.")
    return request


@transaction.atomic
def withdrawal_request_approve(*, staff, tenant, request_id: int) -> WithdrawalRequest:
    """Book the withdrawal through the ledger (which refuses it if cash is now short) and mark
    the request booked, in one transaction."""
    request = _decidable(request_id)
    entry = ledger_services.cash_withdraw(
        account=request.account,
        amount=request.amount,
        currency=request.currency,
        idempotency_key=f"portal-withdrawal:{tenant.schema_name}:{request.pk}",
        memo=f"Withdrawal to {request.destination}"[:300],
    )
    request.status = WithdrawalRequest.Status.BOOKED
    request.decided_by = staff
    request.decided_at = timezone.now()
    request.journal_entry_id = entry.pk
    request.save(update_fields=["status", "decided_by", "decided_at", "journal_entry_id"])
    audit_record(
        actor=staff,
        action="withdrawal.approved",
        target=f"account:{request.account.number}",
        details={"request": request.pk, "entry": entry.pk},
    )
    _withdrawal_event("withdrawal.approved", request)
    withdrawal_decided_notify_on_commit(request=request)
    return request


@transaction.atomic
def withdrawal_request_reject(*, staff, request_id: int, note: str) -> WithdrawalRequest:
    request = _decidable(request_id)
    request.status = WithdrawalRequest.Status.REJECTED
    request.decided_by = staff
    request.decided_at = timezone.now()
    request.decision_note = note
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    audit_record(
        actor=staff,
        action="withdrawal.rejected",
        target=f"account:{request.account.number}",
        details={"request": request.pk, "note": note},
    )
    _withdrawal_event("withdrawal.rejected", request)
    withdrawal_decided_notify_on_commit(request=request)
    return request


@transaction.atomic
def internal_transfer_book(
    *,
    user,
    tenant,
    from_account: Account,
    to_account: Account,
    amount: Decimal,
    currency: str,
    idempotency_key: str,
):
    """Between two accounts of the same client: checked against withdrawable cash (and the
    client's disclosures, like every funding)."""
    disclosures_accepted_check(user=user)
    ledger_services.account_lock(tenant=tenant, account=from_account)
    available = withdrawable_cash(tenant=tenant, account=from_account, currency=currency)
    if amount > available:
        raise InsufficientFunds(
            f"You can transfer at most {available:,.2f} {currency} from {from_account.number}."
        )
    entry = ledger_services.cash_transfer(
        from_account=from_account,
        to_account=to_account,
        amount=amount,
        currency=currency,
        idempotency_key=idempotency_key,
    )
    audit_record(
        actor=user,
        action="transfer.booked",
        target=f"account:{from_account.number}",
        details={"to": to_account.number, "amount": str(amount), "entry": entry.pk},
    )
    for account in (from_account, to_account):
        event_record(
            kind="journal.booked",
            subject=f"entry:{entry.pk}",
            account_id=account.pk,
            data={
                "entry": entry.pk,
                "from": from_account.number,
                "to": to_account.number,
                "amount": str(amount),
                "currency": currency,
            },
        )
    return entry
