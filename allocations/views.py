"""Broker Portal screens for allocations (registered in wagtail_hooks): blocks awaiting
allocation with cut-off exceptions, groups, preview with the per-account explanation, book,
reverse and FIXML downloads. Each view parses input, goes through an access_* helper, and calls
a service or selector."""

from __future__ import annotations

import tempfile
from datetime import date
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from allocations import selectors
from allocations.access import access_allocation, access_block, access_group
from allocations.actions import (
    AllocationBook,
    AllocationPreview,
    AllocationReverse,
    GroupCreate,
    GroupUpdate,
)
from allocations.engine import Method
from allocations.funding import allocation_funding
from allocations.models import AllocationSettings
from allocations.services.groups import MemberSpec
from compliance.actions import REFUSALS, action_submit, action_view, read_view, refusal_text
from ledger.access import access_account, access_account_by_number, accounts_visible


def _refused(request, error: Exception) -> None:
    messages.error(request, refusal_text(error))


@read_view
def blocks_index(request):
    cutoff = AllocationSettings.load(request_or_site=request).cutoff
    awaiting_only = request.GET.get("all") != "1"
    blocks = list(
        selectors.blocks_for(user=request.user, tenant=request.tenant, awaiting_only=awaiting_only)[
            :200
        ]
    )
    now = timezone.now()
    rows = [(b, selectors.block_is_exception(block=b, cutoff=cutoff, now=now)) for b in blocks]
    return render(
        request,
        "allocations/blocks_index.html",
        {"rows": rows, "cutoff": cutoff, "awaiting_only": awaiting_only},
    )


@read_view
def block_detail(request, block_id: int):
    block = access_block(user=request.user, tenant=request.tenant, block_id=block_id)
    context = {
        "trade_block": block,  # `block` is taken by the template engine inside {% block %}
        "fills": block.fills.select_related("allocation").order_by("executed_at", "id"),
        "allocations": selectors.allocations_for(
            user=request.user, tenant=request.tenant, block=block
        ),
        "groups": selectors.groups_for(user=request.user, tenant=request.tenant).filter(
            master=block.master
        ),
    }
    return render(request, "allocations/block_detail.html", context)


@action_view(AllocationPreview)
@require_POST
def block_preview(request, block_id: int):
    block = access_block(user=request.user, tenant=request.tenant, block_id=block_id)
    group = None
    if request.POST.get("group"):
        group = access_group(
            user=request.user, tenant=request.tenant, group_id=request.POST["group"]
        )
    outcome = action_submit(
        request, AllocationPreview.from_request(request, block=block, group=group)
    )
    if not outcome.ok:
        return redirect("allocations_block", block_id=block.pk)
    return redirect("allocations_allocation", allocation_id=outcome.result.pk)


@read_view
def allocation_detail(request, allocation_id: int):
    allocation = access_allocation(
        user=request.user, tenant=request.tenant, allocation_id=allocation_id
    )
    lines = list(selectors.allocation_lines(allocation=allocation)[:2000])
    funding = {}
    if allocation.state == allocation.State.PREVIEWED:
        funding = allocation_funding(tenant=request.tenant, block=allocation.block, lines=lines)
    rows = [(line, funding.get(line.account_id)) for line in lines]
    return render(
        request,
        "allocations/allocation_detail.html",
        {
            "allocation": allocation,
            "rows": rows,
            "shown": len(rows),
            "line_count": allocation.lines.count(),
            "refused": [f for f in funding.values() if f.refused],
            "margin_calls": [f for f in funding.values() if not f.ok and not f.refused],
        },
    )


@action_view(AllocationBook)
@require_POST
def allocation_book(request, allocation_id: int):
    allocation = access_allocation(
        user=request.user, tenant=request.tenant, allocation_id=allocation_id
    )
    action = AllocationBook.from_request(request, allocation=allocation)
    action_submit(request, action, done=f"{allocation.reference} booked.")
    return redirect("allocations_allocation", allocation_id=allocation.pk)


@action_view(AllocationReverse)
@require_POST
def allocation_reverse(request, allocation_id: int):
    allocation = access_allocation(
        user=request.user, tenant=request.tenant, allocation_id=allocation_id
    )
    action = AllocationReverse.from_request(request, allocation=allocation)
    action_submit(request, action, done=f"{allocation.reference} reversed.")
    return redirect("allocations_allocation", allocation_id=allocation.pk)


def _fixml_response(allocations, *, on: date | None, filename: str):
    # Written streaming into a spooled file (memory up to 1 MB, then disk), then sent from it.
    spool = tempfile.SpooledTemporaryFile(max_size=1_000_000)  # closed by FileResponse
    selectors.allocations_fixml_write(out=spool, allocations=allocations, on=on)
    spool.seek(0)
    return FileResponse(
        spool, as_attachment=True, filename=filename, content_type="application/xml"
    )


def allocation_fixml_response(request, allocation_id: int):
    """One booked or reversed allocation as a FIXML file, for the screen and the API alike; a
    preview is not exported (404)."""
    allocation = access_allocation(
        user=request.user, tenant=request.tenant, allocation_id=allocation_id
    )
    if allocation.state == allocation.State.PREVIEWED:
        raise Http404("A preview is not exported.")
    allocations = selectors.allocations_for(user=request.user, tenant=request.tenant).filter(
        pk=allocation.pk
    )
    return _fixml_response(allocations, on=None, filename=f"{allocation.reference}.fixml.xml")


@read_view
def allocation_fixml(request, allocation_id: int):
    return allocation_fixml_response(request, allocation_id)


@read_view
def day_fixml(request):
    try:
        on = date.fromisoformat(request.GET.get("date", "")) if request.GET.get("date") else None
    except ValueError:
        raise Http404("Bad date.") from None
    on = on or timezone.localdate()
    allocations = selectors.allocations_of_day(user=request.user, tenant=request.tenant, on=on)
    return _fixml_response(allocations, on=on, filename=f"allocations-{on}.fixml.xml")


@read_view
def groups_index(request):
    groups = selectors.groups_for(user=request.user, tenant=request.tenant)
    return render(request, "allocations/groups_index.html", {"groups": groups})


def _plain(value: Decimal | None) -> str:
    """50, 0.5: never "5E+1"."""
    return "" if value is None else f"{value.normalize():f}"


def _members_parse(request, text: str) -> list[MemberSpec]:
    """One member a line: `account number[, priority[, value]]`."""
    members = []
    for number, *rest in (
        [part.strip() for part in line.split(",")] for line in text.splitlines() if line.strip()
    ):
        account = access_account_by_number(user=request.user, tenant=request.tenant, number=number)
        try:
            priority = int(rest[0]) if rest and rest[0] else 100
            value = Decimal(rest[1]) if len(rest) > 1 and rest[1] else None
        except (ValueError, InvalidOperation):
            raise ValidationError(
                f"Line for {number}: priority or value is not a number."
            ) from None
        members.append(MemberSpec(account=account, priority=priority, value=value))
    return members


@action_view(GroupCreate, GroupUpdate)
def group_edit(request, group_id: int | None = None):
    group = (
        access_group(user=request.user, tenant=request.tenant, group_id=group_id)
        if group_id
        else None
    )
    masters = accounts_visible(user=request.user, tenant=request.tenant, need="trade").filter(
        account_type="master"
    )
    form = request.POST if request.method == "POST" else None
    if form is not None:
        try:
            fields = {
                "name": form.get("name", "").strip(),
                "method": form.get("method", ""),
                "step": Decimal(form.get("step") or "1"),
                "pct": Decimal(form["pct"]) if form.get("pct") else None,
                "members": _members_parse(request, form.get("members", "")),
            }
            if group is None:
                master = access_account(
                    user=request.user, tenant=request.tenant, account_id=form.get("master")
                )
                action = GroupCreate.from_request(request, master=master, **fields)
            else:
                action = GroupUpdate.from_request(request, group=group, **fields)
        except InvalidOperation:
            messages.error(request, "Step and percentage must be numbers.")
        except REFUSALS as error:
            _refused(request, error)
        else:
            saved = action_submit(request, action, done=lambda g: f"Group {g.name} saved.")
            if saved.ok:
                return redirect("allocations_groups")
    members_text = (
        "\n".join(
            f"{m.account.number}, {m.priority}, {_plain(m.value)}"
            for m in group.members.select_related("account")
        )
        if group
        else ""
    )
    context = {
        "group": group,
        "masters": masters,
        "methods": [(m.value, m.label) for m in Method],
        "form": form,
        "members_text": form.get("members") if form is not None else members_text,
    }
    return render(request, "allocations/group_edit.html", context)
