"""The security page (/security/): the user's authenticator app, recovery codes and passkeys,
and the API keys the user makes for themself (/security/api-keys/). Opening them needs the
password entered within the last minutes; so does every change on them (ASVS 5.0 V6.8: a
credential is issued after re-authentication). A key is shown once, stored as a digest."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from compliance.access import access_passkey
from compliance.actions import refusal_text
from compliance.api_keys.actions import OwnApiKeyCreate, OwnApiKeyRevoke
from compliance.api_keys.models import SCOPE_CHOICES, ApiKey
from compliance.api_keys.services import networks_parse
from compliance.selectors import security_settings_get
from compliance.services import client_ip, passkey_remove, recovery_codes_left
from compliance.sessions import reauth_recent, reauth_redirect, reauth_required


@login_required
@reauth_required
def security(request):
    user = request.user
    context = {
        "totp": TOTPDevice.objects.filter(user=user, confirmed=True).exists(),
        "recovery_codes_left": recovery_codes_left(user=user),
        "passkeys": WebAuthnCredential.objects.filter(user=user).order_by("created_at", "pk"),
        "passkey_login_allowed": security_settings_get().passkey_login_allowed,
        "home": "/broker/" if user.is_staff else reverse("clientportal:home"),
    }
    return render(request, "clientportal/auth/security.html", context)


@require_POST
@login_required
def passkey_remove_view(request):
    if not reauth_recent(request):
        return reauth_redirect(request, next_url=reverse("clientportal:security"))
    passkey = access_passkey(user=request.user, passkey_id=request.POST.get("passkey"))
    passkey_remove(user=request.user, passkey=passkey, ip=client_ip(request))
    messages.success(request, f"{passkey.name or 'The passkey'} was removed.")
    return redirect("clientportal:security")


class OwnApiKeyForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What program uses it.")
    scopes = forms.MultipleChoiceField(
        choices=SCOPE_CHOICES, widget=forms.CheckboxSelectMultiple, initial=["read"]
    )
    days = forms.IntegerField(min_value=1, max_value=365, initial=90, label="Expires after (days)")
    networks = forms.CharField(
        required=False,
        label="Allowed networks",
        help_text="CIDR blocks, e.g. 203.0.113.0/24; empty: any address.",
    )


def _keys_page(request, form, *, secret=None, key=None, status=200):
    context = {
        "form": form,
        "keys": ApiKey.objects.filter(user=request.user).order_by("-created")[:200],
        "secret": secret,
        "new_key": key,
        "home": "/broker/" if request.user.is_staff else reverse("clientportal:home"),
    }
    response = render(request, "clientportal/auth/api_keys.html", context, status=status)
    if secret:
        # Shown on this response only: the key is stored as a digest and cannot be shown again.
        response["Cache-Control"] = "no-store"
    return response


@login_required
@reauth_required
def api_keys(request):
    """The user's own API keys, and a new one (`OwnApiKeyCreate`)."""
    if request.method != "POST":
        return _keys_page(request, OwnApiKeyForm())
    form = OwnApiKeyForm(request.POST)
    if not form.is_valid():
        return _keys_page(request, form, status=400)
    data = form.cleaned_data
    try:
        key, secret = OwnApiKeyCreate.from_request(
            request,
            name=data["name"],
            scopes=data["scopes"],
            days=data["days"],
            networks=networks_parse(data["networks"]),
        ).execute()
    except (ValidationError, PermissionDenied) as error:
        form.add_error(None, refusal_text(error))
        return _keys_page(request, form, status=400)
    return _keys_page(request, OwnApiKeyForm(), secret=secret, key=key)


@require_POST
@login_required
def api_key_revoke_own(request):
    if not reauth_recent(request):
        return reauth_redirect(request, next_url=reverse("clientportal:api_keys"))
    key = ApiKey.objects.filter(
        user=request.user, digest=str(request.POST.get("key", ""))[:128]
    ).first()
    if key is None:
        raise Http404("No such API key.")
    OwnApiKeyRevoke.from_request(request, key=key).execute()
    messages.success(request, f"The key {key.name} was revoked.")
    return redirect("clientportal:api_keys")
