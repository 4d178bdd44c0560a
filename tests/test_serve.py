"""`make serve`: gunicorn under `brokerportal.settings.serve` answers the portal over plain HTTP
with production's headers (CSP) but no HTTPS redirect or HSTS, cookies a browser keeps on
`http://*.localhost`, and static files from the application (WhiteNoise)."""

import os
import subprocess
import sys

import httpx
import pytest
from django.conf import settings

from tests.support.liveserver import gunicorn_serve

SERVE_ENV = {"DJANGO_SETTINGS_MODULE": "brokerportal.settings.serve"}


@pytest.mark.django_db
def test_serve_settings_answer_over_http_with_static_files(tenant_a, django_db_blocker, tmp_path):
    host = tenant_a.get_primary_domain().domain
    env = {
        **os.environ,
        **SERVE_ENV,
        "SECRET_KEY": "s" * 50,
        "ALLOWED_HOSTS": ".test,.localhost,localhost,127.0.0.1",
        "PLATFORM_HOST": "platform.localhost",
        "STATIC_ROOT": str(tmp_path),
    }
    collected = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert collected.returncode == 0, collected.stderr

    with (
        django_db_blocker.unblock(),
        gunicorn_serve(
            settings_module=SERVE_ENV["DJANGO_SETTINGS_MODULE"],
            workers=1,
            extra_env={"PLATFORM_HOST": "platform.localhost", "STATIC_ROOT": str(tmp_path)},
        ) as (base, _),
    ):
        with httpx.Client(base_url=base, headers={"Host": host}) as http:
            login = http.get("/login/")
            css = http.get("/static/wagtailadmin/css/core.css")
            health = http.get("/healthz")

    assert login.status_code == 200
    assert "Strict-Transport-Security" not in login.headers
    assert "script-src" in login.headers["Content-Security-Policy"]
    assert "upgrade-insecure-requests" not in login.headers["Content-Security-Policy"]
    csrf_cookie = login.headers["set-cookie"]
    assert csrf_cookie.startswith("csrftoken=")
    assert "Secure" not in csrf_cookie
    assert css.status_code == 200
    assert len(css.content) > 10_000
    assert health.json()["database"] == "ok"
