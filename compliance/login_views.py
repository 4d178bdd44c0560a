"""Logging in to a tenant: password, second factor (TOTP or a recovery code), enrolment,
re-authentication before sensitive actions, password reset and invitation links.

The same pages serve clients and staff; the Broker Portal (/broker/) sends its logins here.
"""

from base64 import b32encode
from urllib.parse import quote, urlencode

import qrcode
import qrcode.image.svg
from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from brokerportal.ratelimit import posted_address, rate_limited
from compliance.middleware import second_factor_required
from compliance.selectors import security_settings_get
from compliance.services import (
    client_ip,
    invitation_accept,
    recovery_codes_regenerate,
    second_factor_verify,
    totp_device_confirm,
    totp_device_start,
)
from compliance.services.invitations import invitation_usable
from compliance.services.logins import login_recorded, password_reset_completed
from compliance.sessions import reauth_mark, reauth_recent, reauth_redirect, session_stamp_login

ENROL_DEVICE_KEY = "_enrol_device_id"


def _next_url(request, default: str = "/") -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def _with_next(url_name: str, next_url: str) -> str:
    return f"{reverse(url_name)}?{urlencode({'next': next_url})}"


class CodeForm(forms.Form):
    code = forms.CharField(
        max_length=16,
        label="Code",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class PasswordForm(forms.Form):
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class PortalLoginView(auth_views.LoginView):
    """Step one: the password. Django rotates the session key at login; then the second factor
    (verify, or enrol when the user has none yet and must have one)."""

    template_name = "clientportal/auth/login.html"
    redirect_authenticated_user = True

    def dispatch(self, request, *args, **kwargs):
        # A logged-in client sent here by the Broker Portal would bounce between the two pages:
        # show the login form instead (Wagtail has already said there is no access).
        user = request.user
        if (
            user.is_authenticated
            and self.get_redirect_url().startswith("/broker/")
            and not user.has_perm("wagtailadmin.access_admin")
        ):
            self.redirect_authenticated_user = False
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        user = form.get_user()
        auth_login(self.request, user)
        session_stamp_login(self.request)
        login_recorded(request=self.request, user=user)
        next_url = self.get_success_url()
        if user_has_device(user):
            return redirect(_with_next("clientportal:otp_verify", next_url))
        if second_factor_required(self.request, user):
            return redirect(_with_next("clientportal:otp_enrol", next_url))
        return redirect(next_url)

    def get_default_redirect_url(self):
        return "/broker/" if self.request.user.is_staff else reverse("clientportal:home")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["passkey_login_allowed"] = security_settings_get().passkey_login_allowed
        return context


@login_required
def otp_verify(request):
    """Step two: a code from the authenticator app, a one-time recovery code, or a passkey
    (compliance/passkey_views.py). A code is accepted once (the device row is locked while it is
    checked); failures are throttled and audited."""
    next_url = _next_url(request)
    if request.user.is_verified():
        return redirect(next_url)
    if not user_has_device(request.user):
        return redirect(_with_next("clientportal:otp_enrol", next_url))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = second_factor_verify(
            user=request.user, token=form.cleaned_data["code"], ip=client_ip(request)
        )
        if device is not None:
            otp_login(request, device)
            request.session.cycle_key()
            return redirect(next_url)
        form.add_error("code", "This code is not valid. Codes can be used only once.")
    context = {
        "form": form,
        "next": next_url,
        "passkeys": WebAuthnCredential.objects.filter(user=request.user, confirmed=True).exists(),
    }
    return render(request, "clientportal/auth/otp_verify.html", context)


def _b32(device: TOTPDevice) -> str:
    return b32encode(device.bin_key).decode().rstrip("=")


def _otpauth_url(request, device: TOTPDevice) -> str:
    issuer = getattr(request.tenant, "name", "Broker Portal")
    label = quote(f"{issuer}:{device.user.get_username()}")
    query = urlencode(
        {
            "secret": _b32(device),
            "issuer": issuer,
            "algorithm": "SHA1",
            "digits": 6,
            "period": device.step,
        }
    )
    return f"otpauth://totp/{label}?{query}"


def _qr_svg(data: str) -> str:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return image.to_string(encoding="unicode")


@login_required
def otp_enrol(request):
    """Enrol (or replace) the TOTP authenticator: scan the QR code, confirm with a code, note
    the recovery codes. Replacing an existing factor needs it verified; every enrolment needs
    the password entered within the last minutes, the first one after a 2FA reset too (a
    session that outlived the reset must not enrol an authenticator of its own)."""
    next_url = _next_url(request)
    user = request.user
    if user_has_device(user) and not user.is_verified():
        return redirect(_with_next("clientportal:otp_verify", request.get_full_path()))
    if not reauth_recent(request):
        return reauth_redirect(request)
    device = TOTPDevice.objects.filter(
        pk=request.session.get(ENROL_DEVICE_KEY), user=user, confirmed=False
    ).first()
    if device is None:
        device = totp_device_start(user=user)
        request.session[ENROL_DEVICE_KEY] = device.pk
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = totp_device_confirm(
            user=user,
            device=device,
            token=form.cleaned_data["code"].replace(" ", ""),
            ip=client_ip(request),
        )
        if codes is not None:
            request.session.pop(ENROL_DEVICE_KEY, None)
            device.refresh_from_db()
            otp_login(request, device)
            request.session.cycle_key()
            return render(
                request, "clientportal/auth/recovery_codes.html", {"codes": codes, "next": next_url}
            )
        form.add_error("code", "This code is not valid. Check the time on your phone.")
    otpauth = _otpauth_url(request, device)
    context = {
        "form": form,
        "next": next_url,
        "qr_svg": mark_safe(_qr_svg(otpauth)),  # noqa: S308 — SVG generated by qrcode, no input
        "secret": _b32(device),
    }
    return render(request, "clientportal/auth/otp_enrol.html", context)


@require_POST
@login_required
def recovery_codes_renew(request):
    if not request.user.is_verified():
        return redirect(_with_next("clientportal:otp_verify", reverse("clientportal:home")))
    if not reauth_recent(request):
        return reauth_redirect(request)
    codes = recovery_codes_regenerate(user=request.user, ip=client_ip(request))
    return render(
        request,
        "clientportal/auth/recovery_codes.html",
        {"codes": codes, "next": _next_url(request)},
    )


@login_required
def reauth(request):
    """Enter the password again before a sensitive action (counts towards the lockout). A
    re-authentication gets a new session key, as a login does."""
    next_url = _next_url(request)
    form = PasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = authenticate(
            request, username=request.user.get_username(), password=form.cleaned_data["password"]
        )
        if user is not None and user.pk == request.user.pk:
            reauth_mark(request)
            request.session.cycle_key()
            return redirect(next_url)
        form.add_error("password", "The password is not correct.")
    return render(request, "clientportal/auth/reauth.html", {"form": form, "next": next_url})


class InvitationPasswordForm(forms.Form):
    password1 = forms.CharField(
        label="New password", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password2 = forms.CharField(
        label="Repeat it", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self):
        data = super().clean()
        if data.get("password1") != data.get("password2"):
            raise ValidationError("The two passwords differ.")
        return data


def invitation_accept_view(request, token: str):
    """A single-use, expiring link: set a password, then enrol the second factor."""
    invitation = invitation_usable(raw_token=token)
    if invitation is None:
        return render(request, "clientportal/auth/invitation_invalid.html", status=404)
    form = InvitationPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = invitation_accept(
                raw_token=token, password=form.cleaned_data["password1"], ip=client_ip(request)
            )
        except ValidationError as error:
            form.add_error("password1", error)
        else:
            auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            session_stamp_login(request)
            home = "/broker/" if user.is_staff else reverse("clientportal:home")
            if second_factor_required(request, user):
                return redirect(_with_next("clientportal:otp_enrol", home))
            return redirect(home)
    context = {"form": form, "invited": invitation.user}
    return render(request, "clientportal/auth/invitation_accept.html", context)


@method_decorator(rate_limited("password_reset", keys=posted_address), name="dispatch")
class PasswordResetView(auth_views.PasswordResetView):
    template_name = "clientportal/auth/password_reset.html"
    email_template_name = "clientportal/auth/password_reset_email.txt"
    html_email_template_name = "clientportal/auth/password_reset_email.html"
    subject_template_name = "clientportal/auth/password_reset_subject.txt"
    success_url = reverse_lazy("clientportal:password_reset_done")

    def form_valid(self, form):
        """The e-mail in the tenant's brand: its sender name, colours, logo and signature."""
        from branding.emails import email_context, email_sender
        from branding.selectors import brand_current

        context = email_context(brand_current(request=self.request))
        self.from_email = email_sender(context["brand"])
        self.extra_email_context = context
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "clientportal/auth/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "clientportal/auth/password_reset_confirm.html"
    success_url = reverse_lazy("clientportal:password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        password_reset_completed(request=self.request, user=form.user)
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "clientportal/auth/password_reset_complete.html"
