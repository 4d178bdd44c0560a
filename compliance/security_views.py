"""The security page (/security/): the user's authenticator app, recovery codes and passkeys.
Opening it needs the password entered within the last minutes; so does every change on it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from compliance.access import access_passkey
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
