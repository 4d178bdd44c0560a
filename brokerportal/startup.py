"""What a production process checks before it serves (called by wsgi.py and asgi.py)."""

from django.conf import settings
from django.core.checks import run_checks, tag_exists
from django.core.exceptions import ImproperlyConfigured
from django.db import connections

# The deployment check on demo logins (demo.checks) carries this tag; the start selects it by the
# tag so that the project never imports the demo.
DEMO_LOGINS_CHECK_TAG = "demo_logins"


def serving_refuse_if_unsafe() -> None:
    """Refuse to serve while any demo login exists, unless the demo is allowed (development and
    test settings). The check's connections are closed, so no forked worker inherits them."""
    if settings.DEMO_ALLOWED:
        return
    if not tag_exists(DEMO_LOGINS_CHECK_TAG, include_deployment_checks=True):
        raise ImproperlyConfigured("The check on demo logins is not registered (app `demo`).")
    try:
        errors = [
            message
            for message in run_checks(tags=[DEMO_LOGINS_CHECK_TAG], include_deployment_checks=True)
            if message.is_serious()
        ]
    finally:
        connections.close_all()
    if errors:
        raise ImproperlyConfigured("; ".join(f"{e.id}: {e.msg}" for e in errors))
