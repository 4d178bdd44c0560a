"""Telling clients that a statement is ready: one e-mail in the tenant's brand per statement and
recipient."""

from __future__ import annotations

from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse

from branding.brand import Brand
from branding.emails import email_context, email_sender
from branding.statement_models import IssuedStatement, StatementDelivery
from branding.statements.selectors import clients_of_accounts


def statement_recipients(*, statement: IssuedStatement) -> list:
    """Active clients who may see the account (granted on it or on its master), with an address."""
    return _recipients_for([statement])[statement.pk]


def _recipients_for(statements: list[IssuedStatement]) -> dict[int, list]:
    """statement id → its recipients (`statement_recipients`), read for all at once."""
    account_ids = {s.account_id for s in statements}
    account_ids |= {s.account.parent_id for s in statements if s.account.parent_id}
    clients = clients_of_accounts(account_ids=account_ids)
    out = {}
    for statement in statements:
        users = {
            user.pk: user
            for account_id in (statement.account_id, statement.account.parent_id)
            if account_id
            for user in clients.get(account_id, ())
        }
        out[statement.pk] = [users[pk] for pk in sorted(users) if users[pk].email]
    return out


def _download_path(statement: IssuedStatement) -> str:
    try:
        return reverse("statements:download", args=[statement.pk, "pdf"])
    except NoReverseMatch:
        return ""


def statement_ready_email_send(*, statement: IssuedStatement) -> int:
    """Sends the e-mail once (a redelivered task finds the delivery row and sends nothing);
    returns the number of recipients."""
    return statements_ready_emails_send(statements=[statement])


def statements_ready_emails_send(*, statements: list[IssuedStatement]) -> int:
    """`statement_ready_email_send` for several statements, with their recipients and the brand
    read once; returns the number of e-mails sent."""
    delivered = set(
        StatementDelivery.objects.filter(statement__in=statements).values_list(
            "statement_id", flat=True
        )
    )
    pending = [s for s in statements if s.pk not in delivered]
    if not pending:
        return 0
    recipients = _recipients_for(pending)
    # Nobody to tell: the delivery rows (recipients 0) are written in one statement; a conflict
    # only means another worker recorded the same.
    StatementDelivery.objects.bulk_create(
        [StatementDelivery(statement=s, recipients=0) for s in pending if not recipients[s.pk]],
        ignore_conflicts=True,
    )
    pending = [s for s in pending if recipients[s.pk]]
    if not pending:
        return 0
    # The branded base context (name, sender, theme, logo and portal links on the tenant's own
    # host), read once for the batch.
    base = email_context(Brand.load())
    brand, name = base["brand"], base["brand_name"]
    sender = email_sender(brand)
    site = base["portal_url"].rstrip("/")
    mail = None
    sent = 0
    for statement in pending:
        path = _download_path(statement)
        context = {**base, "statement": statement, "download_path": f"{site}{path}" if path else ""}
        subject = " ".join(  # one line: no header injection, no folding
            f"{name}: your {statement.get_kind_display().lower()} for "
            f"{statement.period_start:%d %b %Y} – {statement.period_end:%d %b %Y} is ready".split()
        )
        messages = []
        for user in recipients[statement.pk]:
            context["recipient"] = user
            message = EmailMultiAlternatives(
                subject=subject,
                body=render_to_string("branding/statements/statement_ready.txt", context),
                from_email=sender,
                to=[user.email],
            )
            message.attach_alternative(
                render_to_string("branding/statements/statement_ready.html", context), "text/html"
            )
            messages.append(message)
        try:
            with transaction.atomic():
                StatementDelivery.objects.create(statement=statement, recipients=len(messages))
        except IntegrityError:
            continue  # another worker delivered it
        if messages:
            mail = mail or get_connection()
            sent += mail.send_messages(messages) or 0
    return sent
