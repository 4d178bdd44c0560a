"""What a production process checks before it serves (called by wsgi.py and asgi.py)."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connections


def serving_refuse_if_unsafe() -> None:
    """Refuse to serve while any demo login exists, unless the demo is allowed (development and
    test settings). The check's connections are closed, so no forked worker inherits them."""
    if settings.DEMO_ALLOWED:
        return
    from compliance.checks import demo_logins_check

    try:
        errors = [message for message in demo_logins_check() if message.is_serious()]
    finally:
        connections.close_all()
    if errors:
        raise ImproperlyConfigured("; ".join(f"{e.id}: {e.msg}" for e in errors))
