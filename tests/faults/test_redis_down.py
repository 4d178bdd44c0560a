"""Redis stopped under a logged-in client: the portal keeps serving from the database.

A real redis-server on a free loopback port is the cache; it is stopped mid-session (the
process killed) and started again. The session lives on (`cached_db`), pages answer 200 with the
same figures, a deposit booked meanwhile shows at once, and `/healthz` names the cache as down.
"""

import shutil
import subprocess
import time
from decimal import Decimal

import pytest
from django.db import connection
from django.test import override_settings
from django_tenants.utils import tenant_context

from ledger.services import cash_deposit
from tests.support.clientportal import (
    account_for_client,
    account_fund_and_buy,
    client_user_make,
    instruments_make,
)
from tests.support.liveserver import free_port
from tests.support.tenants import login, tenant_client

pytestmark = pytest.mark.skipif(not shutil.which("redis-server"), reason="no redis-server")


def _redis_start(port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    import redis

    while time.monotonic() < deadline:
        try:
            redis.Redis(port=port, socket_connect_timeout=0.2).ping()
            return process
        except redis.exceptions.ConnectionError:
            time.sleep(0.05)
    process.kill()
    raise TimeoutError("redis-server did not start")


def _caches(url: str) -> dict:
    options = {"socket_connect_timeout": 0.3, "socket_timeout": 0.5}
    return {
        "default": {
            "BACKEND": "brokerportal.cache.ResilientRedisCache",
            "LOCATION": url,
            "KEY_FUNCTION": "django_tenants.cache.make_key",
            "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
            "OPTIONS": options,
        },
        "ledger": {
            "BACKEND": "brokerportal.cache.ResilientRedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "ledger",
            "OPTIONS": options,
        },
    }


def _nlv(html: str) -> str:
    import re

    match = re.search(r"Net liquidation value.{0,400}?([\d,]+\.\d\d)", html, re.S)
    assert match, "no net liquidation value on the dashboard"
    return match.group(1)


def test_the_client_portal_serves_while_redis_is_down_and_recovers(db, tenant_a):
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    redis_process = _redis_start(port)
    try:
        with override_settings(
            REDIS_URL=url,
            CACHES=_caches(url),
            SESSION_ENGINE="django.contrib.sessions.backends.cached_db",
            PORTAL_FIGURES_CACHE=True,
        ):
            with tenant_context(tenant_a):
                user = client_user_make(username="redisdown")
                account = account_for_client(tenant=tenant_a, user=user)
                instruments = instruments_make(prefix="RDX", count=2)
                account_fund_and_buy(
                    account=account,
                    cash=Decimal("10000"),
                    instruments=instruments,
                    quantity=Decimal(10),
                    price=Decimal(50),
                    key="redisdown",
                )
            connection.set_schema_to_public()
            client = login(tenant_client(tenant_a), user, tenant_a)

            # given a dashboard served with the cache up
            before = client.get("/")
            assert before.status_code == 200
            assert client.get("/healthz").json()["cache"] == "ok"

            # when Redis stops
            redis_process.kill()
            redis_process.wait(timeout=10)

            # then the same session still reads the same figures
            during = client.get("/")
            assert during.status_code == 200, during.content[:500]
            assert _nlv(during.content.decode()) == _nlv(before.content.decode())
            assert client.get("/positions/").status_code == 200
            health = client.get("/healthz")
            assert health.status_code == 200
            assert health.json()["cache"] == "unreachable"
            assert health.json()["status"] == "degraded"

            # and a deposit booked while Redis is down shows at once
            with tenant_context(tenant_a):
                cash_deposit(
                    account=account,
                    amount=Decimal("1234.56"),
                    currency="USD",
                    idempotency_key="redisdown-deposit",
                )
            connection.set_schema_to_public()
            after_deposit = client.get("/")
            assert after_deposit.status_code == 200
            before_value = Decimal(_nlv(before.content.decode()).replace(",", ""))
            after_value = Decimal(_nlv(after_deposit.content.decode()).replace(",", ""))
            assert after_value - before_value == Decimal("1234.56")

            # when Redis is back, the portal uses it again without a restart
            redis_process = _redis_start(port)
            assert client.get("/healthz").json() | {"broker": None} == {
                "status": "ok",
                "database": "ok",
                "broker": None,
                "cache": "ok",
            }
            assert client.get("/").status_code == 200
    finally:
        redis_process.kill()
