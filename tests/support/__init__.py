"""Test support shared by the apps' tests, the cross-app tests, the browser tests and the
benchmarks: tenant clients and logins, factories, portal fixtures, real Celery workers and a
loopback gunicorn. No app imports it (tests/test_package_imports.py)."""
