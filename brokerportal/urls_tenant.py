"""A tenant's host: the Broker Portal (Wagtail admin), the API and the client portal."""

from django.conf import settings
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from .api import api_urlpatterns
from .health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("broker/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("api/v1/", include((api_urlpatterns, "api"), namespace="api")),
    path("pages/", include(wagtail_urls)),
    path("brand/", include("branding.urls")),
    path("statements/", include("branding.statements.urls")),
    path("apply/", include("onboarding.urls")),
    path("auth/passkeys/", include("compliance.passkey_views")),
    path("", include("clientportal.urls")),
]

if settings.DEBUG or settings.MEDIA_SERVED_BY_DJANGO:
    # Public media only (Wagtail images, logos); issued statements sit in private storage.
    from django.urls import re_path
    from django.views.static import serve

    urlpatterns += [
        re_path(
            rf"^{settings.MEDIA_URL.lstrip('/')}(?P<path>.*)$",
            serve,
            {"document_root": settings.MEDIA_ROOT},
        )
    ]
