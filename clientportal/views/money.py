"""Transfers: deposit notice, withdrawal request (re-authenticated, approved by staff before it
is booked), internal transfer between the user's own accounts."""

import uuid

from django.contrib import messages
from django.shortcuts import redirect, render

from clientportal import services
from clientportal.forms import DepositNoticeForm, InternalTransferForm, WithdrawalForm
from clientportal.models import WithdrawalRequest
from clientportal.scope import portal_page
from clientportal.selectors import deposit_notices_of_client
from compliance.services.disclosures import DisclosuresPending
from compliance.sessions import reauth_required
from ledger.access import access_account
from ledger.errors import LedgerError


def _fundable(request, account_id):
    return access_account(
        user=request.user, tenant=request.tenant, account_id=account_id, need="fund"
    )


def _form_token(request) -> str | None:
    """The form's one-time token (hex, from the page that rendered it), or None."""
    token = request.POST.get("token", "")
    return token if len(token) == 32 and all(c in "0123456789abcdef" for c in token) else None


@portal_page
def transfers(request):
    scope = request.portal
    deposit_form = DepositNoticeForm(prefix="deposit", accounts=scope.accounts)
    transfer_form = InternalTransferForm(prefix="transfer", accounts=scope.accounts)
    if request.method == "POST" and request.POST.get("action") == "deposit":
        deposit_form = DepositNoticeForm(request.POST, prefix="deposit", accounts=scope.accounts)
        if deposit_form.is_valid():
            data = deposit_form.cleaned_data
            try:
                services.disclosures_accepted_check(user=request.user)
            except DisclosuresPending as refused:
                messages.error(request, refused.messages[0])
                return redirect("clientportal:disclosures")
            services.deposit_notice_create(
                user=request.user,
                account=_fundable(request, data["account"]),
                amount=data["amount"],
                currency=data["currency"],
                method=data["method"],
                expected_on=data["expected_on"],
                reference=data["reference"],
            )
            messages.success(request, "Thank you. We will credit the deposit when it arrives.")
            return redirect("clientportal:transfers")
    elif request.method == "POST" and request.POST.get("action") == "transfer":
        transfer_form = InternalTransferForm(
            request.POST, prefix="transfer", accounts=scope.accounts
        )
        if transfer_form.is_valid():
            data = transfer_form.cleaned_data
            try:
                services.internal_transfer_book(
                    user=request.user,
                    tenant=request.tenant,
                    from_account=_fundable(request, data["from_account"]),
                    to_account=_fundable(request, data["to_account"]),
                    amount=data["amount"],
                    currency=data["currency"],
                    idempotency_key=f"portal-transfer:{request.POST.get('token') or uuid.uuid4()}",
                )
            except LedgerError as refused:
                transfer_form.add_error("amount", refused.messages[0])
            except DisclosuresPending as refused:
                transfer_form.add_error(None, refused.messages[0])
            else:
                messages.success(request, "The transfer is booked.")
                return redirect("clientportal:transfers")
    requests = WithdrawalRequest.objects.filter(requested_by=request.user).select_related(
        "account"
    )[:20]
    context = {
        "deposit_form": deposit_form,
        "transfer_form": transfer_form,
        "transfer_token": uuid.uuid4().hex,
        "withdrawal_requests": requests,
        "deposit_notices": deposit_notices_of_client(user=request.user)[:20],
    }
    return render(request, "clientportal/transfers.html", context)


@portal_page
@reauth_required
def withdrawal_request(request):
    scope = request.portal
    form = WithdrawalForm(request.POST or None, accounts=scope.accounts)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.withdrawal_request_create(
                user=request.user,
                tenant=request.tenant,
                account=_fundable(request, data["account"]),
                amount=data["amount"],
                currency=data["currency"],
                destination=data["destination"],
                idempotency_key=_form_token(request),
            )
        except LedgerError as refused:
            form.add_error("amount", refused.messages[0])
        except DisclosuresPending as refused:
            form.add_error(None, refused.messages[0])
        else:
            messages.success(request, "Your withdrawal request is waiting for approval.")
            return redirect("clientportal:transfers")
    status = 400 if request.method == "POST" else 200
    context = {
        "form": form,
        "form_token": _form_token(request) or uuid.uuid4().hex,
    }
    return render(request, "clientportal/withdrawal.html", context, status=status)
