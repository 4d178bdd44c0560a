"""Telling clients that a statement is ready: one e-mail in the tenant's brand per statement."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from guardian.shortcuts import get_users_with_perms

from branding.brand import Brand
from branding.statement_models import IssuedStatement, StatementDelivery
from tenants.roles import CLIENT


def statement_recipients(*, statement: IssuedStatement) -> list:
    """Active clients who may see the account (granted on it or on its master), with an address."""
    accounts = [statement.account]
    if statement.account.parent_id:
        accounts.append(statement.account.parent)
    user_ids: set[int] = set()
    for account in accounts:
        users = get_users_with_perms(
            account, only_with_perms_in=["view_account"], with_group_users=True
        )
        user_ids.update(users.values_list("pk", flat=True))
    return list(
        get_user_model()
        .objects.filter(pk__in=user_ids, is_active=True, groups__name=CLIENT)
        .exclude(email="")
        .distinct()
        .order_by("pk")
    )


def _download_path(statement: IssuedStatement) -> str:
    try:
        return reverse("statements:download", args=[statement.pk, "pdf"])
    except NoReverseMatch:
        return ""


def statement_ready_email_send(*, statement: IssuedStatement) -> int:
    """Sends the e-mail once (a redelivered task finds the delivery row and sends nothing);
    returns the number of recipients."""
    if StatementDelivery.objects.filter(statement=statement).exists():
        return 0
    recipients = statement_recipients(statement=statement)
    brand = Brand.load()
    name = brand.display_name or brand.legal_name or "Your broker"
    context = {
        "brand": brand,
        "brand_name": name,
        "statement": statement,
        "download_path": _download_path(statement),
    }
    subject = (
        f"{name}: your {statement.get_kind_display().lower()} for "
        f"{statement.period_start:%d %b %Y} – {statement.period_end:%d %b %Y} is ready"
    )
    sender = f"{brand.email_sender_name or name} <{settings.DEFAULT_FROM_EMAIL}>"
    messages = []
    for user in recipients:
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
        return 0  # another worker delivered it
    for message in messages:
        message.send()
    return len(messages)
