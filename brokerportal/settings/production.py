"""Production: identical code, values from the environment; refuses unsafe values."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import CONTENT_SECURITY_POLICY, DEBUG, SECRET_KEY, env

if DEBUG:
    raise ImproperlyConfigured("DEBUG must be off in production.")
if len(SECRET_KEY) < 40 or SECRET_KEY.startswith("django-insecure"):
    raise ImproperlyConfigured("Set SECRET_KEY to a random value of at least 40 characters.")

# Host names from the environment only, never the development defaults.
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
if not ALLOWED_HOSTS or "*" in ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "Set ALLOWED_HOSTS to the platform host and the tenants' host names (comma-separated, "
        "e.g. platform.example.com,.portal.example.com); '*' is refused."
    )
PLATFORM_HOST = env.str("PLATFORM_HOST", default="")
if not PLATFORM_HOST:
    raise ImproperlyConfigured("Set PLATFORM_HOST to the operator's host name.")
PLATFORM_HOSTS = env.list("PLATFORM_HOSTS", default=[PLATFORM_HOST])
DEMO_ALLOWED = False

# Static files from the application (WhiteNoise, after `collectstatic`): the same in every
# process shape; media stay with the web server in front.
MIDDLEWARE = [  # noqa: F405
    *MIDDLEWARE[:2],  # noqa: F405 - tenant middleware, SecurityMiddleware
    "whitenoise.middleware.WhiteNoiseMiddleware",
    *MIDDLEWARE[2:],  # noqa: F405
]

# TLS ends at the proxy in front, which sets X-Forwarded-Proto (and must overwrite a client's).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = True
# The load balancer's health probe may speak plain HTTP; the API refuses HTTP instead of
# redirecting (brokerportal.security.HttpsOnlyApiMiddleware).
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^api/"]
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True

# __Host- cookies: Secure, Path=/ and no Domain, so no other host can set or read them.
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken"
SESSION_COOKIE_DOMAIN = None
CSRF_COOKIE_DOMAIN = None
SESSION_COOKIE_PATH = "/"
CSRF_COOKIE_PATH = "/"

CONTENT_SECURITY_POLICY = {
    **CONTENT_SECURITY_POLICY,
    "DIRECTIVES": {**CONTENT_SECURITY_POLICY["DIRECTIVES"], "upgrade-insecure-requests": True},
}
