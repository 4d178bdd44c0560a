"""Security headers and transport rules of every response, after Django's SecurityMiddleware.

- Content-Security-Policy (django-csp, settings.CONTENT_SECURITY_POLICY): Wagtail's previews are
  the one page the site frames itself, so only they get `frame-ancestors 'self'`.
- Permissions-Policy (settings.PERMISSIONS_POLICY): features no page uses are switched off.
- The API over plain HTTP is refused, not redirected: a program that sent its token in the clear
  must fail loudly instead of silently following a redirect (ASVS 4.1.2).
"""

from csp.constants import SELF
from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.http import JsonResponse

PREVIEW_PATH_PREFIX = "/broker/"
PREVIEW_PATH_PART = "/preview/"


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        path = request.path_info
        if path.startswith(PREVIEW_PATH_PREFIX) and PREVIEW_PATH_PART in path:
            parts.replace = {**(parts.replace or {}), "frame-ancestors": [SELF]}
        return parts


def permissions_policy_header(policy: dict[str, list[str]]) -> str:
    """`{"camera": [], "fullscreen": ["self"]}` → `camera=(), fullscreen=(self)`."""
    return ", ".join(f"{feature}=({' '.join(allow)})" for feature, allow in policy.items())


class PermissionsPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.header = permissions_policy_header(getattr(settings, "PERMISSIONS_POLICY", {}))

    def __call__(self, request):
        response = self.get_response(request)
        if self.header:
            response.headers.setdefault("Permissions-Policy", self.header)
        return response


class HttpsOnlyApiMiddleware:
    """Where the site redirects to HTTPS (SECURE_SSL_REDIRECT), /api/ over HTTP gets a 403."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            settings.SECURE_SSL_REDIRECT
            and request.path_info.startswith("/api/")
            and not request.is_secure()
        ):
            return JsonResponse({"detail": "The API answers over HTTPS only."}, status=403)
        return self.get_response(request)
