"""`manage.py database_create` (run by `make run`, `make serve` and `make test` when
DATABASE_URL is given): the named database is created on a server that lacks it, and a second
run leaves it as it is."""

import os
import subprocess
import sys
import uuid

import psycopg
import pytest
from django.conf import settings
from django.db import connection


def _server_url(dbname: str) -> str:
    db = connection.settings_dict
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    return f"postgres://{db['USER']}@{host}:{port}/{dbname}"


def _exists(dbname: str) -> bool:
    params = {**connection.get_connection_params(), "dbname": "postgres"}
    for private in ("cursor_factory", "context", "prepare_threshold"):
        params.pop(private, None)
    with psycopg.connect(**params, autocommit=True) as maintenance:
        return bool(
            maintenance.execute("SELECT 1 FROM pg_database WHERE datname = %s", [dbname]).fetchone()
        )


def _create(dbname: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "database_create"],
        cwd=settings.BASE_DIR,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "brokerportal.settings.dev",
            "DATABASE_URL": _server_url(dbname),
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.django_db
def test_database_create_makes_the_missing_database_once():
    dbname = f"bp_create_{uuid.uuid4().hex[:8]}"
    assert not _exists(dbname)
    try:
        first = _create(dbname)
        assert first.returncode == 0, first.stderr
        assert f"Created database {dbname}." in first.stdout
        assert _exists(dbname)
        again = _create(dbname)
        assert again.returncode == 0, again.stderr
        assert "Created" not in again.stdout
    finally:
        with psycopg.connect(_server_url("postgres"), autocommit=True) as maintenance:
            maintenance.execute(f'DROP DATABASE IF EXISTS "{dbname}"')
