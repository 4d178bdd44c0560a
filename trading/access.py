"""Fetch-and-check of orders reached from request input: an order is the user's to see when
its account is (`ledger.access.access_account`), to cancel or modify when the user may trade in
it. A missing id, another tenant's order and an order of an account not granted are the same
404."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from ledger.access import access_account

from .models import Order


def access_order(*, user, tenant, order_id, need: str = "view") -> Order:
    try:
        pk = int(order_id)
    except (TypeError, ValueError):
        raise Http404("No such order.") from None
    order = Order.objects.filter(pk=pk).select_related("instrument").first()
    if order is None:
        raise Http404("No such order.")
    try:
        order.account = access_account(
            user=user, tenant=tenant, account_id=order.account_id, need=need
        )
    except Http404:
        raise Http404("No such order.") from None
    except PermissionDenied:
        raise PermissionDenied("You may not trade in this order's account.") from None
    return order
