"""What makes the portal installable besides the manifest (branding:manifest): the service
worker and the page it shows offline. Both are reachable before login (under /auth/)."""

from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET

SHELL_VERSION = "1"


def shell_urls() -> list[str]:
    """What the service worker caches: nothing that carries account data."""
    return [
        reverse("clientportal:offline"),
        reverse("branding:manifest"),
        reverse("branding:favicon"),
        reverse("branding:icon", kwargs={"size": 192}),
    ]


@require_GET
def service_worker(request):
    body = render_to_string(
        "clientportal/sw.js",
        {
            "version": SHELL_VERSION,
            "shell": shell_urls(),
            "offline_url": reverse("clientportal:offline"),
        },
    )
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    # Served under /auth/ (reachable before login) but controls the whole portal.
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def offline(request):
    return render(request, "clientportal/offline.html", {})
