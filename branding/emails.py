"""E-mails in the tenant's brand: every message to a client or applicant is one
`EmailMultiAlternatives` with a plain-text body and an HTML alternative, both extending the
branded base templates (`branding/email/base.txt`, `branding/email/base.html`).

The brand drives the sender name, the heading, colours and font (inline values: mail clients
ignore stylesheets and custom properties, so the custom properties ride along only for those
that read them), the logo (an absolute URL on the tenant's own host) and the signature, contacts
and legal disclaimer. Call inside the tenant's schema (a request, a task run by tenant-schemas-
celery, or `tenant_context`).
"""

from __future__ import annotations

from email.utils import formataddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import connection
from django.template.loader import render_to_string
from django.urls import reverse

from tenants.links import tenant_base_url

from .brand import Brand
from .selectors import brand_current
from .theme import theme_css


def email_brand_name(brand: Brand) -> str:
    """The name a client knows the tenant by: display name, else legal name, else the tenant's."""
    tenant = getattr(connection, "tenant", None)
    return brand.display_name or brand.legal_name or getattr(tenant, "name", "") or "Your broker"


def email_sender(brand: Brand) -> str:
    """`"<sender name>" <DEFAULT_FROM_EMAIL>`: the brand's sender name, else its name."""
    name = brand.email_sender_name or email_brand_name(brand)
    return formataddr((name, settings.DEFAULT_FROM_EMAIL))


def email_base_url() -> str:
    """The tenant's site (the request's scheme, host and port while one is served), for links
    and the logo in e-mails."""
    return tenant_base_url()


def email_context(brand: Brand | None = None) -> dict:
    """What the base templates read besides the brand's own fields: its name, theme and logo."""
    brand = brand or brand_current()
    base_url = email_base_url()
    return {
        "brand": brand,
        "brand_name": email_brand_name(brand),
        "theme_css": theme_css(brand),
        "logo_url": f"{base_url}{reverse('branding:logo')}" if brand.logo_id and base_url else "",
        "portal_url": f"{base_url}/" if base_url else "",
    }


def branded_email(
    *,
    template: str,
    subject: str,
    to: list[str],
    context: dict | None = None,
    brand: Brand | None = None,
) -> EmailMultiAlternatives:
    """The message from `<template>.txt` and `<template>.html` (each extending the branded
    base), sent from the brand's sender name."""
    full = {**email_context(brand), **(context or {})}
    subject = " ".join(subject.split())  # one line: no header injection, no folding
    full["subject"] = subject
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"{template}.txt", full),
        from_email=email_sender(full["brand"]),
        to=to,
    )
    message.attach_alternative(render_to_string(f"{template}.html", full), "text/html")
    return message
