"""`make serve`: the production process shape on one machine, with the demo, over plain HTTP.

Everything of `production` (DEBUG off, the same middleware, CSP, the refusals of unsafe values,
gunicorn, a Celery worker and Celery beat against the given `DATABASE_URL` and
`CELERY_BROKER_URL`, static files by WhiteNoise), except what needs TLS in front or forbids the
demo: no redirect to HTTPS, no HSTS, cookies without `Secure`/`__Host-` (there is no TLS on
`*.localhost:8000`), and the demo logins allowed. Never a deployment's settings: a deployment
uses `brokerportal.settings.production` behind its TLS proxy (README, "Deploying").
"""

from .production import *  # noqa: F403
from .production import CONTENT_SECURITY_POLICY

DEMO_ALLOWED = True
MEDIA_SERVED_BY_DJANGO = True

SECURE_SSL_REDIRECT = False
SECURE_PROXY_SSL_HEADER = None
SECURE_HSTS_SECONDS = 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SESSION_COOKIE_NAME = "sessionid"
CSRF_COOKIE_NAME = "csrftoken"
CONTENT_SECURITY_POLICY = {
    **CONTENT_SECURITY_POLICY,
    "DIRECTIVES": {
        key: value
        for key, value in CONTENT_SECURITY_POLICY["DIRECTIVES"].items()
        if key != "upgrade-insecure-requests"
    },
}
