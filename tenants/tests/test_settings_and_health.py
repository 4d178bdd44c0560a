import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.test import override_settings

from tests.support.tenants import tenant_client

PRODUCTION_VARIABLES = {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "PLATFORM_HOST", "PLATFORM_HOSTS"}
# The least a production start needs besides DEBUG and SECRET_KEY.
PRODUCTION_HOSTS = {
    "ALLOWED_HOSTS": "platform.example.com",
    "PLATFORM_HOST": "platform.example.com",
}


def _import_production(
    code: str = "import django; django.setup()", **env_values
) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in PRODUCTION_VARIABLES}
    env.update(env_values, DJANGO_SETTINGS_MODULE="brokerportal.settings.production")
    return subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    ("env_values", "message"),
    [
        ({"DEBUG": "1", "SECRET_KEY": "k" * 50, **PRODUCTION_HOSTS}, "DEBUG must be off"),
        ({"DEBUG": "0", **PRODUCTION_HOSTS}, "Set SECRET_KEY"),
        ({"DEBUG": "0", "SECRET_KEY": "short", **PRODUCTION_HOSTS}, "Set SECRET_KEY"),
    ],
)
def test_production_settings_refuse_unsafe_values(env_values, message):
    result = _import_production(**env_values)
    assert result.returncode != 0
    assert message in result.stderr


def test_production_settings_accept_safe_values():
    result = _import_production(DEBUG="0", SECRET_KEY="s" * 50, **PRODUCTION_HOSTS)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("env_values", "message"),
    [
        ({"PLATFORM_HOST": "platform.example.com"}, "Set ALLOWED_HOSTS"),
        ({"ALLOWED_HOSTS": "*", "PLATFORM_HOST": "platform.example.com"}, "'*' is refused"),
        ({"ALLOWED_HOSTS": "platform.example.com"}, "Set PLATFORM_HOST"),
    ],
)
def test_v3_5_4_production_hosts_come_from_the_environment_only(env_values, message):
    # given a safe DEBUG and key, but host names missing or open
    result = _import_production(DEBUG="0", SECRET_KEY="s" * 50, **env_values)
    # then production refuses to start instead of answering the development host names
    assert result.returncode != 0
    assert message in result.stderr


def test_v3_5_4_production_allowed_hosts_have_no_development_defaults():
    code = (
        "import django, json; django.setup(); from django.conf import settings; "
        "print(json.dumps([settings.ALLOWED_HOSTS, settings.PLATFORM_HOST, "
        "settings.PLATFORM_HOSTS]))"
    )
    result = _import_production(code, DEBUG="0", SECRET_KEY="s" * 50, **PRODUCTION_HOSTS)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        ["platform.example.com"],
        "platform.example.com",
        ["platform.example.com"],
    ]


def test_healthz_is_503_when_the_broker_is_unreachable(db, tenant_a):
    with override_settings(CELERY_BROKER_URL="redis://127.0.0.1:1/0"):
        response = tenant_client(tenant_a).get("/healthz")
    assert response.status_code == 503
    assert response.json() | {"cache": None} == {
        "status": "unhealthy",
        "database": "ok",
        "broker": "unreachable",
        "cache": None,
    }


def test_healthz_is_ok_with_a_reachable_broker(db, tenant_a):
    with override_settings(CELERY_BROKER_URL="redis://127.0.0.1:6379/15"):
        response = tenant_client(tenant_a).get("/healthz")
    assert response.status_code == 200
    assert response.json()["broker"] == "ok"
