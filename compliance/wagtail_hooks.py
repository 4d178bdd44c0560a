"""The Security Officer's screens in the Broker Portal (views in admin_views.py)."""

from django.urls import include, path, reverse
from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem

from tenants.roles import COMPLIANCE_OFFICER, SECURITY_OFFICER, has_role

from . import admin_views, api_key_views
from .account_panels import EmailSettingsPanel

admin_urlpatterns = [
    path("users/", admin_views.users, name="users"),
    path("users/new/", admin_views.user_create, name="user_create"),
    path("users/<int:user_id>/", admin_views.user_detail, name="user"),
    path("users/<int:user_id>/<slug:action>/", admin_views.user_act, name="user_act"),
    path("lockouts/", admin_views.lockouts, name="lockouts"),
    path("lockouts/unlock/", admin_views.lockout_unlock, name="lockout_unlock"),
    path("audit/", admin_views.audit_log, name="audit"),
    path("access-review/", admin_views.access_review, name="access_review"),
    path("reviews/", admin_views.access_reviews, name="reviews"),
    path("reviews/<int:review_id>/", admin_views.access_review_detail, name="review"),
    path("reviews/<int:review_id>/<slug:fmt>/", admin_views.access_review_file, name="review_file"),
    path("settings/", admin_views.security_settings, name="settings"),
    path("api-keys/", api_key_views.api_keys, name="api_keys"),
    path("api-keys/revoke/", api_key_views.api_key_revoke_view, name="api_key_revoke"),
]


@hooks.register("register_account_settings_panel")
def register_email_panel(request, user, profile):
    return EmailSettingsPanel(request, user, profile)


@hooks.register("register_account_menu_item")
def register_second_factors_link(request):
    return {
        "url": reverse("clientportal:security"),
        "label": "Second factors and passkeys",
        "help_text": "Your authenticator app, recovery codes and passkeys.",
    }


@hooks.register("register_account_menu_item")
def register_own_api_keys_link(request):
    return {
        "url": reverse("clientportal:api_keys"),
        "label": "My API keys",
        "help_text": "Keys your own programs use to call the API as you.",
    }


@hooks.register("register_admin_urls")
def register_security_urls():
    return [
        path(
            "security/",
            include((admin_urlpatterns, "compliance_admin"), namespace="compliance_admin"),
        )
    ]


class RoleMenuItem(MenuItem):
    def __init__(self, *args, roles=(SECURITY_OFFICER,), **kwargs):
        self.roles = roles
        super().__init__(*args, **kwargs)

    def is_shown(self, request):
        return has_role(request.user, *self.roles)


class SecuritySubmenu(SubmenuMenuItem):
    def is_shown(self, request):
        return has_role(request.user, SECURITY_OFFICER, COMPLIANCE_OFFICER)


@hooks.register("register_admin_menu_item")
def register_security_menu():
    reviewers = (SECURITY_OFFICER, COMPLIANCE_OFFICER)
    menu = Menu(
        items=[
            RoleMenuItem("Users", reverse("compliance_admin:users"), icon_name="user"),
            RoleMenuItem("Lockouts", reverse("compliance_admin:lockouts"), icon_name="lock"),
            RoleMenuItem(
                "Access review",
                reverse("compliance_admin:access_review"),
                icon_name="table",
                roles=reviewers,
            ),
            RoleMenuItem(
                "Access reviews",
                reverse("compliance_admin:reviews"),
                icon_name="tasks",
                roles=reviewers,
            ),
            RoleMenuItem(
                "Audit trail",
                reverse("compliance_admin:audit"),
                icon_name="history",
                roles=reviewers,
            ),
            RoleMenuItem(
                "Security settings", reverse("compliance_admin:settings"), icon_name="cog"
            ),
            RoleMenuItem("API keys", reverse("compliance_admin:api_keys"), icon_name="key"),
        ]
    )
    return SecuritySubmenu("Security", menu, icon_name="key", order=900)
