"""Passkey ceremonies (django-otp-webauthn's JSON views with our rules), at /auth/passkeys/.

- Registering needs the password entered within the last minutes, as any change of the
  second factors does, and is audited (`passkey_register`).
- A passkey confirms the second factor of a password login (the second-factor page offers it
  next to the code), and signs in without a password only where the tenant allows it
  (SecuritySettings.passkey_login_allowed); then the passkey must verify its user (PIN or
  biometrics). Every use and every refusal is audited.
"""

import logging

from django.contrib.auth import login as auth_login
from django.http import JsonResponse
from django.urls import path, reverse
from django.views.i18n import JavaScriptCatalog
from django_otp import login as otp_login
from django_otp_webauthn import exceptions
from django_otp_webauthn.utils import rewrite_exceptions
from django_otp_webauthn.views import (
    BeginCredentialAuthenticationView,
    BeginCredentialRegistrationView,
    CompleteCredentialAuthenticationView,
    CompleteCredentialRegistrationView,
)

from compliance.selectors import security_settings_get
from compliance.services import client_ip, passkey_register
from compliance.services.logins import (
    login_recorded,
    passkey_refused_recorded,
    second_factor_recorded,
)
from compliance.sessions import reauth_recent, session_stamp_login

logger = logging.getLogger("django_otp_webauthn")
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


class ReauthRequired(exceptions.OTPWebAuthnApiError):
    status_code = 403
    default_detail = "Enter your password again on the security page, then add the passkey."
    default_code = "reauth_required"


def _home(user) -> str:
    return "/broker/" if user.is_staff else reverse("clientportal:home")


class FreshPasswordRequired:
    def check_can_register(self):
        if not reauth_recent(self.request):
            raise ReauthRequired()


class PasskeyRegistrationBegin(FreshPasswordRequired, BeginCredentialRegistrationView):
    pass


class PasskeyRegistrationComplete(FreshPasswordRequired, CompleteCredentialRegistrationView):
    def post(self, *args, **kwargs):
        request = self.request
        state = self.get_state()
        with rewrite_exceptions(logger=logger):
            passkey = passkey_register(
                helper=self.get_helper(),
                user=request.user,
                state=state,
                data=request.data,
                ip=client_ip(request),
            )
        if not request.user.is_verified():
            # A first factor of a login without any (the library refuses a user who has one
            # and has not confirmed it in this session).
            otp_login(request, passkey)
            request.session.cycle_key()
        return JsonResponse({"id": passkey.pk})


class PasskeyCeremonyRules:
    def check_can_authenticate(self):
        user = self.get_user()
        if user is not None:
            if not user.is_active:
                raise exceptions.UserDisabled()
            return
        if not security_settings_get().passkey_login_allowed:
            raise exceptions.PasswordlessLoginDisabled()


class PasskeyAuthenticationBegin(PasskeyCeremonyRules, BeginCredentialAuthenticationView):
    pass


class PasskeyAuthenticationComplete(PasskeyCeremonyRules, CompleteCredentialAuthenticationView):
    def post(self, *args, **kwargs):
        request = self.request
        user = self.get_user()
        state = self.get_state()
        try:
            with rewrite_exceptions(logger=logger):
                passkey = self.get_helper().authenticate_complete(
                    user=user, state=state, data=request.data
                )
            self.check_device_usable(passkey)
        except exceptions.OTPWebAuthnApiError as refused:
            passkey_refused_recorded(request=request, user=user, reason=refused.code)
            raise
        self.complete_auth(passkey)
        return JsonResponse(self.get_success_data(passkey))

    def complete_auth(self, passkey):
        request = self.request
        details = {"method": "passkey", "passkey": passkey.pk}
        if request.user.is_authenticated:
            otp_login(request, passkey)
            request.session.cycle_key()
            second_factor_recorded(request=request, user=passkey.user, details=details)
        else:
            auth_login(request, passkey.user, backend=MODEL_BACKEND)  # rotates the key
            session_stamp_login(request)
            otp_login(request, passkey)
            login_recorded(request=request, user=passkey.user, details=details)

    def get_success_url(self):
        return self.get_redirect_url() or _home(self.request.user)


# Included at /auth/passkeys/ by brokerportal/urls_tenant.py under the library's namespace, which
# its template tags reverse.
app_name = "otp_webauthn"
urlpatterns = [
    path(
        "registration/begin/",
        PasskeyRegistrationBegin.as_view(),
        name="credential-registration-begin",
    ),
    path(
        "registration/complete/",
        PasskeyRegistrationComplete.as_view(),
        name="credential-registration-complete",
    ),
    path(
        "authentication/begin/",
        PasskeyAuthenticationBegin.as_view(),
        name="credential-authentication-begin",
    ),
    path(
        "authentication/complete/",
        PasskeyAuthenticationComplete.as_view(),
        name="credential-authentication-complete",
    ),
    path(
        "jsi18n/",
        JavaScriptCatalog.as_view(packages=["django_otp_webauthn"]),
        name="js-i18n-catalog",
    ),
]
