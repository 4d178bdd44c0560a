"""The operator's second login step on the public host, after the admin's password page.

compliance.middleware.SecondFactorMiddleware sends every operator session here until it has been
verified with the operator's TOTP authenticator (created by `manage.py operator_create`).
"""

import logging

from django import forms
from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp import login as otp_login
from django_otp import match_token, user_has_device

logger = logging.getLogger(__name__)


class OperatorCodeForm(forms.Form):
    code = forms.CharField(
        max_length=16,
        label="Code from your authenticator",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


def _next_url(request) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return "/admin/"


@login_required(login_url="admin:login")
def operator_otp_verify(request):
    """A TOTP code is accepted once (django-otp keeps the last used time step) and failures are
    throttled per device (OTP_TOTP_THROTTLE_FACTOR)."""
    next_url = _next_url(request)
    if request.user.is_verified():
        return redirect(next_url)
    has_device = user_has_device(request.user)
    form = OperatorCodeForm(request.POST or None)
    if request.method == "POST" and has_device and form.is_valid():
        device = match_token(request.user, form.cleaned_data["code"].replace(" ", ""))
        if device is not None:
            otp_login(request, device)
            request.session.cycle_key()
            return redirect(next_url)
        logger.warning("operator second factor failed for %s", request.user.get_username())
        form.add_error("code", "This code is not valid. Codes can be used only once.")
    context = {
        **admin.site.each_context(request),
        "title": "Second factor",
        "form": form,
        "next": next_url,
        "has_device": has_device,
    }
    return render(request, "tenants/operator_verify.html", context)
