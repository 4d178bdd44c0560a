"""Tests: the real PostgreSQL and Redis; fast password hashing; e-mails kept in memory."""

import secrets

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = env.str("SECRET_KEY", default="") or secrets.token_urlsafe(50)
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# A server process of the browser tests (gunicorn) writes its e-mails to a file instead, where
# the journey reads the links they carry.
if env.str("TEST_EMAIL_LOG_FILE", default=""):
    EMAIL_BACKEND = "brokerportal.mail.LogFileEmailBackend"
    EMAIL_LOG_FILE = env.str("TEST_EMAIL_LOG_FILE")
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
DEMO_ALLOWED = True
MEDIA_ROOT = env.str("MEDIA_ROOT", default="/tmp/brokerportal-test-media")  # noqa: S108
ALLOWED_HOSTS = [".test", ".localhost", "localhost", "testserver"]
# Tests run tasks eagerly. A test that needs real workers starts them on a broker it names
# (`tests.support.workers`; the root conftest drops the caller's exported broker variables,
# which Celery would read ahead of any configuration).
CELERY_TASK_ALWAYS_EAGER = True
# A worker started with these settings gets its broker from its own environment.
CELERY_BROKER_URL = ""
CELERY_RESULT_BACKEND = None
# Parallel test runs on one server each name their own test database.
DATABASES["default"]["TEST"] = {"NAME": env.str("TEST_DB_NAME", default="test_brokerportal")}  # noqa: F405
# One process: the per-process cache is shared by everything a test does.
PORTAL_FIGURES_CACHE = env.bool("PORTAL_FIGURES_CACHE", default=True)
# Webhook receivers of tests are local http servers.
WEBHOOK_HTTPS_ONLY = False
