import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.test import override_settings

from tenants.testing import tenant_client


def _import_production(**env_values) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
    env.update(env_values, DJANGO_SETTINGS_MODULE="brokerportal.settings.production")
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    ("env_values", "message"),
    [
        ({"DEBUG": "1", "SECRET_KEY": "k" * 50}, "DEBUG must be off"),
        ({"DEBUG": "0"}, "Set SECRET_KEY"),
        ({"DEBUG": "0", "SECRET_KEY": "short"}, "Set SECRET_KEY"),
    ],
)
def test_production_settings_refuse_unsafe_values(env_values, message):
    result = _import_production(**env_values)
    assert result.returncode != 0
    assert message in result.stderr


def test_production_settings_accept_safe_values():
    result = _import_production(DEBUG="0", SECRET_KEY="s" * 50)
    assert result.returncode == 0, result.stderr


def test_healthz_is_503_when_the_broker_is_unreachable(db, tenant_a):
    with override_settings(CELERY_BROKER_URL="redis://127.0.0.1:1/0"):
        response = tenant_client(tenant_a).get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unhealthy", "database": "ok", "broker": "unreachable"}


def test_healthz_is_ok_with_a_reachable_broker(db, tenant_a):
    with override_settings(CELERY_BROKER_URL="redis://127.0.0.1:6379/15"):
        response = tenant_client(tenant_a).get("/healthz")
    assert response.status_code == 200
    assert response.json()["broker"] == "ok"
