from django.contrib.auth import views as auth_views
from django.urls import path

from compliance import login_views as auth
from compliance import security_views as security

from . import views
from .urls_portal import portal_urlpatterns
from .views import installable

app_name = "clientportal"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth.PortalLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="clientportal:login"), name="logout"),
    # login steps (compliance/login_views.py); everything under auth/ is reachable before the 2FA
    path("auth/verify/", auth.otp_verify, name="otp_verify"),
    path("auth/enrol/", auth.otp_enrol, name="otp_enrol"),
    path("auth/recovery-codes/", auth.recovery_codes_renew, name="recovery_codes_renew"),
    path("auth/reauth/", auth.reauth, name="reauth"),
    # second factors and passkeys of the logged-in user (ceremonies: compliance/passkey_views.py)
    path("security/", security.security, name="security"),
    path("security/passkeys/remove/", security.passkey_remove_view, name="passkey_remove"),
    path("security/api-keys/", security.api_keys, name="api_keys"),
    path("security/api-keys/revoke/", security.api_key_revoke_own, name="api_key_revoke"),
    # installable: the service worker and its offline page (clientportal/views/installable.py)
    path("auth/sw.js", installable.service_worker, name="service_worker"),
    path("auth/offline/", installable.offline, name="offline"),
    path("auth/invitation/<str:token>/", auth.invitation_accept_view, name="invitation_accept"),
    path("auth/reset/", auth.PasswordResetView.as_view(), name="password_reset"),
    path("auth/reset/sent/", auth.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "auth/reset/<uidb64>/<token>/",
        auth.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "auth/reset/done/",
        auth.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]

# Portal pages (clientportal/urls_portal.py).
urlpatterns += portal_urlpatterns
