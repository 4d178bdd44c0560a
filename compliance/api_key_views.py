"""The Security Officer's API keys page (Broker Portal → Security → API keys): every key of the
tenant, a new key for a login (shown once), and revocation. Creating a key needs the officer's
password from the last minutes, like the other changes that open access."""

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from compliance.access import security_officer_require
from compliance.actions import action_view, refusal_text
from compliance.api_keys.actions import ApiKeyCreate, ApiKeyRevoke
from compliance.api_keys.models import SCOPE_CHOICES, ApiKey
from compliance.api_keys.services import networks_parse
from compliance.sessions import reauth_recent, reauth_redirect


class ApiKeyForm(forms.Form):
    username = forms.CharField(max_length=150, label="Login the key acts as")
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


def _page(request, form, secret=None, key=None, status=200):
    keys = ApiKey.objects.select_related("user", "created_by").order_by("-created")[:500]
    context = {"form": form, "keys": keys, "secret": secret, "new_key": key}
    return render(request, "compliance/admin/api_keys.html", context, status=status)


@action_view(ApiKeyCreate)
def api_keys(request):
    security_officer_require(request.user)
    if request.method != "POST":
        return _page(request, ApiKeyForm())
    if not reauth_recent(request):
        messages.info(request, "Confirm your password, then create the key again.")
        return reauth_redirect(request, next_url=reverse("compliance_admin:api_keys"))
    form = ApiKeyForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=400)
    data = form.cleaned_data
    user = get_user_model().objects.filter(username=data["username"].strip()).first()
    try:
        if user is None:
            raise ValidationError(f"No login {data['username']!r}.")
        key, secret = ApiKeyCreate.from_request(
            request,
            user=user,
            name=data["name"],
            scopes=data["scopes"],
            days=data["days"],
            networks=networks_parse(data["networks"]),
        ).execute()
    except ValidationError as error:
        form.add_error(None, refusal_text(error))
        return _page(request, form, status=400)
    # Shown on this response only: the key is stored as a digest and cannot be shown again.
    response = _page(request, ApiKeyForm(), secret=secret, key=key)
    response["Cache-Control"] = "no-store"
    return response


@action_view(ApiKeyRevoke)
@require_POST
def api_key_revoke_view(request):
    security_officer_require(request.user)
    key = ApiKey.objects.select_related("user").filter(digest=request.POST.get("key", "")).first()
    if key is None:
        raise Http404("No such API key.")
    ApiKeyRevoke.from_request(request, key=key).execute()
    messages.success(request, f"Key {key.name} of {key.user.username} revoked.")
    return redirect("compliance_admin:api_keys")
