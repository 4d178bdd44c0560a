"""Journals: cash or a position moved between two of the tenant's accounts, by hand or from a
CSV file, with four-eyes approval above the tenant's limit.

A journal worth up to `FundingSettings.journal_approval_limit` (in USD, at the latest FX rate)
is booked when it is made; above it, or when no FX rate values it, it waits for a second
person, who may not be its maker (the four-eyes principle of maker-checker controls, e.g.
FINRA Rule 3110(b)(2) supervisory review of transmittals between accounts). Each booking is one
entry through `journal_post` (`ledger.services.cash_transfer` / `position_transfer`) under the
idempotency key `funding-journal:<schema>:<id>`; a reversal books the mirror entry
(`ledger.services.entry_reverse`). Approving, rejecting and reversing lock the journal row
first, so two people deciding at once queue and the second is refused.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from compliance.services.audit import audit_record
from funding.access import journal_approve_require, journal_make_require
from funding.models import FundingSettings, Journal, JournalBatch
from funding.services.deposits import FundingRefused
from ledger.selectors import accounts_for, fx_usd_rates_for, instruments_by_symbol
from ledger.services import cash_transfer, entry_reverse, position_transfer

CENT = Decimal("0.01")
CSV_COLUMNS = (
    "kind",
    "from_account",
    "to_account",
    "currency",
    "amount",
    "symbol",
    "quantity",
    "price",
    "memo",
)
BATCH_ROWS_MAX = 5000


@dataclass(frozen=True)
class JournalSpec:
    """A journal as typed or read from a file: accounts by number, the instrument by symbol."""

    kind: str
    from_account: str
    to_account: str
    currency: str = ""
    amount: str = ""
    symbol: str = ""
    quantity: str = ""
    price: str = ""
    memo: str = ""


def _decimal(text, what: str) -> Decimal:
    text = str(text or "").strip().replace(",", "")
    if not text:
        raise FundingRefused(f"Give the {what}.")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise FundingRefused(f"The {what}, {text!r}, is not a number.") from None
    if not value.is_finite():
        raise FundingRefused(f"The {what}, {text!r}, is not a number.")
    return value


def _resolved(*, tenant, spec: JournalSpec) -> dict:
    """The journal's fields from a spec, checked; FundingRefused names the first problem."""
    kind = (spec.kind or "").strip().lower()
    if kind not in Journal.Kind.values:
        raise FundingRefused(f"The kind is cash or position, not {spec.kind!r}.")
    numbers = [(spec.from_account or "").strip().upper(), (spec.to_account or "").strip().upper()]
    if not all(numbers):
        raise FundingRefused("Give both account numbers.")
    if numbers[0] == numbers[1]:
        raise FundingRefused("A journal moves between two different accounts.")
    found = {a.number: a for a in accounts_for(tenant=tenant).filter(number__in=numbers)}
    missing = [n for n in numbers if n not in found]
    if missing:
        raise FundingRefused(f"No account {', '.join(missing)} in this firm.")
    closed = [n for n in numbers if found[n].status == "closed"]
    if closed:
        raise FundingRefused(f"Account {', '.join(closed)} is closed.")
    fields = {
        "kind": kind,
        "from_account": found[numbers[0]],
        "to_account": found[numbers[1]],
        "memo": (spec.memo or "").strip()[:300],
    }
    if kind == Journal.Kind.CASH:
        currency = (spec.currency or "").strip().upper()
        if len(currency) != 3 or not currency.isalpha():
            raise FundingRefused("Give the currency as its ISO 4217 code (USD, EUR, ...).")
        amount = _decimal(spec.amount, "amount")
        if amount <= 0 or amount != amount.quantize(CENT):
            raise FundingRefused("The amount is more than zero, with at most two decimals.")
        return {**fields, "currency": currency, "amount": amount}
    symbol = (spec.symbol or "").strip().upper()
    instrument = instruments_by_symbol(tenant=tenant, symbols=[symbol]).get(symbol)
    if instrument is None:
        raise FundingRefused(f"No instrument with the symbol {symbol or '(none)'}.")
    quantity = _decimal(spec.quantity, "quantity")
    price = _decimal(spec.price, "unit cost")
    if quantity <= 0 or price < 0:
        raise FundingRefused("The quantity is more than zero and the unit cost not negative.")
    if quantity != quantity.quantize(Decimal("0.00000001")):
        raise FundingRefused("The quantity has at most 8 decimals.")
    return {
        **fields,
        "currency": instrument.currency,
        "instrument": instrument,
        "quantity": quantity,
        "price": price,
    }


def _value_usd(fields: dict, rates: dict[str, Decimal]) -> Decimal | None:
    rate = rates.get(fields["currency"])
    if rate is None:
        return None
    if fields["kind"] == Journal.Kind.CASH:
        value = fields["amount"]
    else:
        value = fields["quantity"] * fields["price"] * fields["instrument"].multiplier
    return (value * rate).quantize(CENT)


def _book(*, tenant, journal: Journal):
    key = f"funding-journal:{tenant.schema_name}:{journal.pk}"
    memo = journal.memo or f"Journal {journal.reference}"
    if journal.kind == Journal.Kind.CASH:
        return cash_transfer(
            from_account=journal.from_account,
            to_account=journal.to_account,
            amount=journal.amount,
            currency=journal.currency,
            idempotency_key=key,
            memo=f"{journal.reference}: {memo}"[:300],
        )
    return position_transfer(
        from_account=journal.from_account,
        to_account=journal.to_account,
        instrument=journal.instrument,
        quantity=journal.quantity,
        price=journal.price,
        trade_date=timezone.localdate(),
        idempotency_key=key,
    )


def _create(*, actor, tenant, spec: JournalSpec, request_key: str, limit, rates, batch=None):
    done = Journal.objects.filter(request_key=request_key).first()
    if done is not None:
        return done
    fields = _resolved(tenant=tenant, spec=spec)
    value = _value_usd(fields, rates)
    within = value is not None and value <= limit
    journal = Journal(
        **fields,
        status=Journal.Status.PENDING,
        value_usd=value,
        request_key=request_key,
        batch=batch,
        maker=actor,
        created_at=timezone.now(),
    )
    journal.full_clean()
    journal.save()
    if within:
        journal.entry = _book(tenant=tenant, journal=journal)
        journal.status = Journal.Status.BOOKED
        journal.decided_at = journal.created_at
        journal.save(update_fields=["entry", "status", "decided_at"])
    audit_record(
        actor=actor,
        action="journal.booked" if within else "journal.submitted",
        target=f"journal:{journal.reference}",
        details={
            "kind": journal.kind,
            "from": journal.from_account.number,
            "to": journal.to_account.number,
            "value_usd": None if value is None else str(value),
            "limit_usd": str(limit),
            "entry": journal.entry_id,
        },
    )
    return journal


@transaction.atomic
def journal_create(*, actor, tenant, spec: JournalSpec, request_key: str) -> Journal:
    """Make a journal: booked now within the approval limit, else awaiting approval. The same
    `request_key` (the form's token) again returns the first journal."""
    journal_make_require(actor)
    if not request_key:
        raise FundingRefused("The form has expired; open it again.")
    return _create(
        actor=actor,
        tenant=tenant,
        spec=spec,
        request_key=f"form:{tenant.schema_name}:{request_key}"[:200],
        limit=FundingSettings.load().journal_approval_limit,
        rates=fx_usd_rates_for(tenant=tenant, as_of=timezone.localdate()),
    )


def journals_csv_read(text: str) -> list[JournalSpec]:
    """The rows of a journals file (header `CSV_COLUMNS`; extra columns are refused)."""
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if not header:
        raise FundingRefused("The file is empty.")
    unknown = [h for h in header if h not in CSV_COLUMNS]
    missing = [c for c in ("kind", "from_account", "to_account") if c not in header]
    if unknown or missing:
        raise FundingRefused(
            f"The header must name the columns {', '.join(CSV_COLUMNS)}"
            + (f"; unknown: {', '.join(unknown)}" if unknown else "")
            + (f"; missing: {', '.join(missing)}" if missing else "")
            + "."
        )
    reader.fieldnames = header
    specs = []
    for row in reader:
        if None in row:
            raise FundingRefused(f"Row {reader.line_num - 1} has more values than columns.")
        if not any((v or "").strip() for v in row.values()):
            continue
        specs.append(JournalSpec(**{k: (v or "") for k, v in row.items()}))
        if len(specs) > BATCH_ROWS_MAX:
            raise FundingRefused(f"A file has at most {BATCH_ROWS_MAX} journals.")
    if not specs:
        raise FundingRefused("The file has no journals.")
    return specs


@transaction.atomic
def journals_upload(*, actor, tenant, filename: str, data: bytes) -> JournalBatch:
    """Make every journal of a CSV file, all or none: any bad row (or a booking the ledger
    refuses) leaves nothing, and the error lists every bad row by its number (row 1 is the
    first after the header). The same file twice makes its journals once."""
    journal_make_require(actor)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FundingRefused("The file is not UTF-8 text (save it as CSV UTF-8).") from None
    digest = hashlib.sha256(data).hexdigest()
    done = JournalBatch.objects.filter(sha256=digest).first()
    if done is not None:
        return done
    specs = journals_csv_read(text)
    errors = []
    for number, spec in enumerate(specs, start=1):
        try:
            _resolved(tenant=tenant, spec=spec)
        except ValidationError as error:
            errors.append(f"row {number}: {' '.join(error.messages)}")
    if errors:
        raise FundingRefused("Nothing was booked. " + "; ".join(errors[:50]))
    batch = JournalBatch.objects.create(
        filename=(filename or "journals.csv")[:200],
        sha256=digest,
        row_count=len(specs),
        uploaded_by=actor,
        uploaded_at=timezone.now(),
    )
    limit = FundingSettings.load().journal_approval_limit
    rates = fx_usd_rates_for(tenant=tenant, as_of=timezone.localdate())
    for number, spec in enumerate(specs, start=1):
        try:
            _create(
                actor=actor,
                tenant=tenant,
                spec=spec,
                request_key=f"batch:{tenant.schema_name}:{digest}:{number}",
                limit=limit,
                rates=rates,
                batch=batch,
            )
        except ValidationError as error:
            raise FundingRefused(
                f"Nothing was booked. row {number}: {' '.join(error.messages)}"
            ) from None
    audit_record(
        actor=actor,
        action="journal.batch_uploaded",
        target=f"journal-batch:{batch.pk}",
        details={"filename": batch.filename, "rows": len(specs)},
    )
    return batch


def _locked(journal: Journal) -> Journal:
    return (
        Journal.objects.select_for_update(of=("self",))
        .select_related("from_account", "to_account", "instrument", "entry", "maker")
        .get(pk=journal.pk)
    )


def _who(user, when) -> str:
    name = user.get_username() if user is not None else "someone"
    return f"{name} at {timezone.localtime(when):%Y-%m-%d %H:%M}" if when else name


def _pending(journal: Journal) -> None:
    if journal.status != Journal.Status.PENDING:
        raise FundingRefused(
            f"{journal.reference} is {journal.get_status_display().lower()} already "
            f"({_who(journal.approver or journal.maker, journal.decided_at)}); nothing changed."
        )


@transaction.atomic
def journal_approve(*, actor, tenant, journal: Journal) -> Journal:
    """The second person approves: the journal is booked. Its maker may not approve it."""
    journal_approve_require(actor)
    journal = _locked(journal)
    _pending(journal)
    if journal.maker_id == actor.pk:
        raise PermissionDenied(
            f"You made {journal.reference}; a second person must approve it (four eyes)."
        )
    journal.entry = _book(tenant=tenant, journal=journal)
    journal.status = Journal.Status.BOOKED
    journal.approver, journal.decided_at = actor, timezone.now()
    journal.save(update_fields=["entry", "status", "approver", "decided_at"])
    audit_record(
        actor=actor,
        action="journal.approved",
        target=f"journal:{journal.reference}",
        details={"maker": journal.maker.get_username(), "entry": journal.entry_id},
    )
    return journal


@transaction.atomic
def journal_reject(*, actor, tenant, journal: Journal, reason: str) -> Journal:
    journal_approve_require(actor)
    reason = (reason or "").strip()
    if not reason:
        raise FundingRefused("Give the reason for rejecting the journal.")
    journal = _locked(journal)
    _pending(journal)
    journal.status = Journal.Status.REJECTED
    journal.rejection_reason = reason[:300]
    journal.approver, journal.decided_at = actor, timezone.now()
    journal.save(update_fields=["status", "rejection_reason", "approver", "decided_at"])
    audit_record(
        actor=actor,
        action="journal.rejected",
        target=f"journal:{journal.reference}",
        details={"reason": journal.rejection_reason},
    )
    return journal


@transaction.atomic
def journal_reverse(*, actor, tenant, journal: Journal) -> Journal:
    """Book the mirror entry of a booked journal (the ledger refuses it if the receiving
    account no longer holds what it received, in a cash account)."""
    journal_approve_require(actor)
    journal = _locked(journal)
    if journal.status != Journal.Status.BOOKED:
        raise FundingRefused(
            f"Only a booked journal can be reversed; {journal.reference} is "
            f"{journal.get_status_display().lower()}."
        )
    journal.reversal_entry = entry_reverse(
        entry=journal.entry,
        idempotency_key=f"funding-journal-reversal:{tenant.schema_name}:{journal.pk}",
    )
    journal.status = Journal.Status.REVERSED
    journal.reversed_by, journal.reversed_at = actor, timezone.now()
    journal.save(update_fields=["reversal_entry", "status", "reversed_by", "reversed_at"])
    audit_record(
        actor=actor,
        action="journal.reversed",
        target=f"journal:{journal.reference}",
        details={"entry": journal.entry_id, "reversal_entry": journal.reversal_entry_id},
    )
    return journal
