"""Development: DEBUG on unless told otherwise, a per-checkout secret key kept under .data/."""

import secrets

from .base import *  # noqa: F403
from .base import DATA_DIR, env

DEBUG = env.bool("DEBUG", default=True)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=False)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=False)
DEMO_ALLOWED = True
# The development server speaks plain HTTP on PORT (8000): links in e-mails say so.
LINK_SCHEME = env.str("LINK_SCHEME", default="http")
LINK_PORT = env.str("LINK_PORT", default=env.str("PORT", default="8000"))


def _dev_secret_key() -> str:
    key_file = DATA_DIR / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


SECRET_KEY = env.str("SECRET_KEY", default="") or _dev_secret_key()

# A quiet `make run`: e-mails and the log of tasks and page events go to files under .data/
# (tail them there); the console keeps the server's request lines, warnings and errors.
DATA_DIR.mkdir(parents=True, exist_ok=True)
if not env.str("EMAIL_URL", default=""):
    EMAIL_BACKEND = "brokerportal.mail.LogFileEmailBackend"
    EMAIL_LOG_FILE = DATA_DIR / "email.log"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {
        "console": {"class": "logging.StreamHandler", "level": "WARNING"},
        "requests": {"class": "logging.StreamHandler"},
        "file": {
            "class": "logging.FileHandler",
            "filename": str(DATA_DIR / "app.log"),
            "delay": True,
        },
    },
    "root": {"handlers": ["console", "file"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        "django.server": {"handlers": ["requests"], "level": "INFO", "propagate": False},
    },
}

# Webhook receivers in development may be local http servers.
WEBHOOK_HTTPS_ONLY = env.bool("WEBHOOK_HTTPS_ONLY", default=False)
