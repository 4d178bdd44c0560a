"""Margin calls in the Broker Portal (Compliance Officers): the open calls with the positions
a liquidation would sell, and confirming that liquidation (`trading.margin_actions`)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from compliance.actions import action_submit, action_view, read_view
from trading.margin_actions import MarginCallLiquidationConfirm
from trading.margin_selectors import margin_calls_open_for

from .exceptions import kinds_for


def _officer(request) -> None:
    if not request.user.is_staff or "margin_call" not in kinds_for(request.user):
        raise PermissionDenied


@read_view
def margin_calls_index(request):
    _officer(request)
    calls = list(margin_calls_open_for(tenant=request.tenant)[:500])
    return render(request, "desk/margin_calls.html", {"calls": calls})


@action_view(MarginCallLiquidationConfirm)
@require_POST
def margin_call_confirm(request):
    _officer(request)
    action = MarginCallLiquidationConfirm.from_request(
        request, call_id=request.POST.get("call_id", "")
    )
    action_submit(request, action, done="Liquidation confirmed.")
    return redirect("desk_margin_calls")
