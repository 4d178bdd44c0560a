"""The trade ticket (instrument search, the form, the what-if preview with the warnings to
confirm, the confirmation), the orders page with cancel, and opening a paper account. Every
account and order comes through `ledger.access` / `trading.access`."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from clientportal.forms import OrderTicketForm
from clientportal.scope import portal_page
from clientportal.services import disclosures_accepted_check
from compliance.services.disclosures import DisclosuresPending
from ledger.access import access_account, accounts_visible_list
from ledger.models import Account
from ledger.selectors import instrument_get
from trading.access import access_order
from trading.selectors import instruments_find, orders_for
from trading.services import (
    ConfirmationRequired,
    Ticket,
    order_cancel,
    order_submit,
    paper_account_open,
)
from trading.services.preview import order_preview
from trading.states import TransitionRefused

ORDER_TABS = (("open", "Open"), ("filled", "Filled"), ("cancelled", "Cancelled"))


def _tradeable(request) -> list[Account]:
    return accounts_visible_list(
        user=request.user,
        tenant=request.tenant,
        need="trade",
        exclude_types=(Account.Type.MASTER,),
    )


def _ticket(form: OrderTicketForm) -> Ticket:
    data = form.cleaned_data
    return Ticket.from_fields(data, account_id=data["account"], instrument_id=data["instrument"])


def _errors_into(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, items in error.message_dict.items():
            form.add_error(field if field in form.fields else None, items)
    else:
        form.add_error(None, error.messages)


@portal_page
def trade(request):
    scope = request.portal
    accounts = _tradeable(request)
    query = request.GET.get("q", "").strip()
    instrument = None
    asked = request.POST.get("instrument") or request.GET.get("instrument")
    if asked and str(asked).isdigit():
        instrument = instrument_get(tenant=request.tenant, instrument_id=int(asked))
    initial = {"instrument": instrument.pk if instrument else None}
    selected = scope.account if scope.account and not scope.consolidated else None
    if selected is not None and any(a.pk == selected.pk for a in accounts):
        initial["account"] = selected.pk
    form = OrderTicketForm(request.POST or None, accounts=accounts, initial=initial)
    preview = None
    status = 200
    if request.method == "POST" and form.is_valid():
        account = access_account(
            user=request.user,
            tenant=request.tenant,
            account_id=form.cleaned_data["account"],
            need="trade",
        )
        ticket = _ticket(form)
        try:
            if request.POST.get("action") == "submit":
                if not account.is_paper:
                    disclosures_accepted_check(user=request.user)
                order = order_submit(
                    user=request.user,
                    tenant=request.tenant,
                    ticket=ticket,
                    confirmed=request.POST.getlist("confirm"),
                )
                if order.status == "rejected":
                    messages.error(request, f"Order #{order.pk} was rejected: {order.reason}")
                else:
                    messages.success(
                        request, f"Order #{order.pk} is {order.get_status_display().lower()}."
                    )
                return redirect("clientportal:order_detail", order_id=order.pk)
            preview = order_preview(user=request.user, tenant=request.tenant, ticket=ticket)
        except ConfirmationRequired:
            preview = order_preview(user=request.user, tenant=request.tenant, ticket=ticket)
            form.add_error(None, "Confirm each warning to place the order.")
            status = 400
        except DisclosuresPending as refused:
            form.add_error(None, refused.messages[0])
            status = 400
        except ValidationError as refused:
            _errors_into(form, refused)
            status = 400
    elif request.method == "POST":
        status = 400
    context = {
        "form": form,
        "query": query,
        "found": instruments_find(query=query) if query and not instrument else [],
        "instrument": instrument,
        "preview": preview,
        "accounts": accounts,
        "has_paper": any(a.is_paper for a in accounts),
    }
    return render(request, "clientportal/trade.html", context, status=status)


@portal_page
def orders(request):
    scope = request.portal
    state = request.GET.get("state", "open")
    if state not in dict(ORDER_TABS):
        state = "open"
    context = {
        "state": state,
        "tabs": ORDER_TABS,
        "orders": orders_for(accounts=scope.selected, state=state) if scope.selected else [],
    }
    return render(request, "clientportal/orders.html", context)


@portal_page
def order_detail(request, order_id: int):
    order = access_order(user=request.user, tenant=request.tenant, order_id=order_id)
    context = {
        "order": order,
        "fills": order.fills.order_by("executed_at", "id"),
        "events": order.events.order_by("id"),
        "children": order.children.order_by("id"),
    }
    return render(request, "clientportal/order_detail.html", context)


@login_required
@require_POST
def order_cancel_view(request, order_id: int):
    order = access_order(user=request.user, tenant=request.tenant, order_id=order_id, need="trade")
    try:
        order_cancel(order=order, actor=request.user)
    except TransitionRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, f"Order #{order.pk} is cancelled.")
    return redirect(reverse("clientportal:orders") + "?state=open")


@login_required
@require_POST
def paper_open(request):
    try:
        account = paper_account_open(user=request.user, tenant=request.tenant)
    except ValidationError as refused:
        messages.error(request, refused.messages[0])
        return redirect("clientportal:trade")
    messages.success(request, f"Your paper account {account.number} is ready.")
    return redirect(reverse("clientportal:trade") + f"?account={account.pk}")
