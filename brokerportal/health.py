"""`/healthz` on every host: the database and the task broker must answer; the cache is reported.

503 while the database or the task broker does not answer (a load balancer takes the process out
of rotation). A cache that does not answer is reported (`"cache": "unreachable"`,
`"status": "degraded"`) with 200: pages are then served from the database
(brokerportal.cache.ResilientRedisCache, sessions by `cached_db`).
"""

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:  # noqa: BLE001 - any failure means unhealthy
        return False


def _broker_status() -> str:
    if not settings.CELERY_BROKER_URL:
        return "eager"
    from brokerportal.celery import app

    try:
        with app.connection_for_write(url=settings.CELERY_BROKER_URL) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return "ok"
    except Exception:  # noqa: BLE001
        return "unreachable"


def _cache_status() -> str:
    if not settings.REDIS_URL:
        return "local"
    from django.core.cache import caches

    try:
        caches["default"]._cache.get_client(write=True).ping()
        return "ok"
    except Exception:  # noqa: BLE001
        return "unreachable"


@never_cache
@require_GET
def healthz(request):
    database = "ok" if _database_ok() else "unreachable"
    broker = _broker_status()
    cache = _cache_status()
    healthy = database == "ok" and broker in {"ok", "eager"}
    status = "unhealthy" if not healthy else ("degraded" if cache == "unreachable" else "ok")
    return JsonResponse(
        {"status": status, "database": database, "broker": broker, "cache": cache},
        status=200 if healthy else 503,
    )
