"""Settings shared by every environment; values come from the environment (django-environ).

Development defaults are safe: without DATABASE_URL the project-local embedded PostgreSQL under
`.data/` is used (started by `make run` / `make test`), without CELERY_BROKER_URL tasks run eagerly
in-process.
"""

import zoneinfo
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONCE

BASE_DIR = Path(__file__).resolve().parent.parent.parent
DATA_DIR = BASE_DIR / ".data"

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
# A development-only key is derived per checkout and kept out of the code; production settings
# refuse to start without a real SECRET_KEY.
SECRET_KEY = env.str("SECRET_KEY", default="")
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=[".localhost", "localhost", "127.0.0.1", "testserver"]
)

EMBEDDED_DB_SOCKET_DIR = DATA_DIR / "run"
EMBEDDED_DB_NAME = "brokerportal"
if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db_url("DATABASE_URL")}
else:
    DATABASES = {
        "default": {
            "NAME": EMBEDDED_DB_NAME,
            "USER": "postgres",
            "HOST": str(EMBEDDED_DB_SOCKET_DIR),
        }
    }
# django-tenants' backend, which also sets `brokerportal.tenant` with the search path: the
# ledger's row-level security reads the tenant from it (brokerportal/db_backend/base.py).
DATABASES["default"]["ENGINE"] = "brokerportal.db_backend"
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
# No JIT compilation: the portal's reads are short, and PostgreSQL compiles any query whose
# estimate crosses `jit_above_cost`, such as a master's valuation over 1,000 sub-accounts, where
# compiling took 177 ms of a 190 ms query.
DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
# Behind PgBouncer in transaction mode (brokerportal/db_backend/base.py, "transaction pooling"):
# each autocommit statement carries its tenant's SET LOCAL, no server-side cursors, no
# prepared statements; `options` cannot pass the pooler (`ALTER DATABASE ... SET jit = off`).
if env.bool("DB_TRANSACTION_POOLING", default=False):
    DATABASES["default"]["TRANSACTION_POOLING"] = True
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
    DATABASES["default"]["OPTIONS"].pop("options", None)
DATABASE_ROUTERS = ("django_tenants.routers.TenantSyncRouter",)

# --- tenancy (django-tenants) -------------------------------------------------------------------
TENANT_MODEL = "tenants.Tenant"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_NAME = "public"
PUBLIC_SCHEMA_URLCONF = "brokerportal.urls_public"
ROOT_URLCONF = "brokerportal.urls_tenant"
TENANT_BASE_SCHEMA = "tenant_template"
TENANT_CREATION_FAKES_MIGRATIONS = True
TENANT_LIMIT_SET_CALLS = True
# The operator's admin answers on PLATFORM_HOST only; PLATFORM_HOSTS are every host name of the
# public schema (its Domain rows), the others of which serve /healthz alone.
PLATFORM_HOST = env.str("PLATFORM_HOST", default="platform.localhost")
PLATFORM_HOSTS = env.list("PLATFORM_HOSTS", default=[PLATFORM_HOST, "localhost"])

SHARED_APPS = [
    "django_tenants",
    "brokerportal",
    "demo",
    "tenants",
    "ledger",
    "console",
    "django.contrib.postgres",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.admin",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    # The operator's second factor (the public schema's own users and devices).
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "compliance.otp_recovery",
    "django_otp_webauthn",
    # The public schema's audit chain (ledger writes, operator actions) and every chain's anchors.
    "compliance.platform_audit",
]

TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.admin",
    "guardian",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "compliance.otp_recovery",  # recovery codes, stored as salted hashes
    "django_otp_webauthn",  # passkeys
    "axes",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "rest_framework",
    "knox",  # API keys (compliance.ApiKey, hashed)
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "branding",
    "onboarding",
    "allocations",
    "clientportal",
    "compliance",
    "events",
    "api",
    "funding",
    "desk",
    "trading",
]

INSTALLED_APPS = list(SHARED_APPS) + [app for app in TENANT_APPS if app not in SHARED_APPS]

MIDDLEWARE = [
    "tenants.middleware.TenantMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "tenants.links.RequestBaseUrlMiddleware",  # after the host is validated
    "brokerportal.security.HttpsOnlyApiMiddleware",
    "brokerportal.security.ContentSecurityPolicyMiddleware",
    "brokerportal.security.PermissionsPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "brokerportal.uploads.RequestSizeLimitMiddleware",  # before anything reads a body
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "compliance.middleware.SessionTimeoutMiddleware",
    "compliance.middleware.SecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "compliance.login_attempts.LoginRetryAfterMiddleware",  # on axes' lockout page
    "axes.middleware.AxesMiddleware",
    "tenants.middleware.TenantOnlyRedirectMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
                "clientportal.scope.portal_context",
            ],
        },
    },
]

WSGI_APPLICATION = "brokerportal.wsgi.application"
ASGI_APPLICATION = "brokerportal.asgi.application"

# --- authentication ----------------------------------------------------------------------------
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "clientportal:login"
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user row in each tenant schema

# Failed logins (compliance.login_attempts): the sixth wrong password for a username from one
# client address locks that pair until AXES_COOLOFF_TIME after the last failure, or until a
# Security Officer unlocks it; guesses from other addresses lock nobody. Per username, whatever
# the address, attempts after its sixth failure wait 1 s, 2 s, 4 s, ... up to 15 minutes
# (LOGIN_DELAY). Refused attempts are not checked and prolong neither.
AXES_FAILURE_LIMIT = 6
AXES_LOCKOUT_TEMPLATE = "clientportal/auth/locked.html"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_HANDLER = "compliance.login_attempts.LoginAttemptsHandler"
LOGIN_DELAY = {
    "free_failures": 6,
    "first_seconds": 1,
    "max_seconds": 15 * 60,
    "memory_seconds": 24 * 60 * 60,
}
# The client's address from trusted proxies only (compliance.services.client_ip, also for audit
# records and rate limits): how many proxies in front append to the header (0: none, the address
# is REMOTE_ADDR), and which headers to read, first one set wins.
AXES_IPWARE_PROXY_COUNT = env.int("AXES_IPWARE_PROXY_COUNT", default=0)
AXES_IPWARE_META_PRECEDENCE_ORDER = tuple(
    env.list("AXES_IPWARE_META_PRECEDENCE_ORDER", default=["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"])
)
AXES_CLIENT_IP_CALLABLE = "compliance.services.client_ip"
AXES_LOCKOUT_CALLABLE = "compliance.lockout.lockout_response"  # plain page on the operator's host

# Sessions and CSRF cookies are host-only (no COOKIE_DOMAIN), so one tenant's cookie never
# reaches another tenant's host; sessions live in the tenant's own schema.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SESSION_COOKIE_AGE = 12 * 60 * 60  # absolute ceiling; idle timeouts are enforced per request
STAFF_IDLE_TIMEOUT_S = 15 * 60
# The platform operator (public host): the staff idle timeout and this absolute lifetime.
OPERATOR_ABSOLUTE_SESSION_HOURS = 12
PASSWORD_RESET_TIMEOUT = 60 * 60  # reset links expire after an hour (and work once)

# Passkeys (django-otp-webauthn): the relying party is the tenant host the request came to, so a
# passkey works on the host where it was made and nowhere else; origins likewise
# (compliance.passkeys.TenantWebAuthnHelper). Passwordless sign-in is a tenant security setting,
# off by default; the library's global switch stays off and our views ask the tenant.
OTP_WEBAUTHN_RP_ID_CALLABLE = "compliance.passkeys.passkey_rp_id"
OTP_WEBAUTHN_RP_NAME_CALLABLE = "compliance.passkeys.passkey_rp_name"
OTP_WEBAUTHN_HELPER_CLASS = "compliance.passkeys.TenantWebAuthnHelper"
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
# The library checks for a fixed list of origins; ours come from the request's tenant host.
SILENCED_SYSTEM_CHECKS = ["otp_webauthn.E030"]
X_FRAME_OPTIONS = "SAMEORIGIN"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True

# The demo logins (published password and TOTP seed): `brokerportal demo`/`bootstrap` and
# `demo_totp` refuse to run unless this is on (development and test settings only), and a
# production start refuses while any demo login exists (demo.checks).
DEMO_ALLOWED = False

# --- browser security headers ------------------------------------------------------------------
# One policy for every environment, so the browser tests prove the pages work under it. Scripts
# only from our origin or with the response's nonce (request.csp_nonce); styles may be inline
# (brand colours, Wagtail's admin). Wagtail previews are framed by the admin itself
# (brokerportal.security.ContentSecurityPolicyMiddleware allows 'self' for them only).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-src": ["'self'"],
        "worker-src": ["'self'"],
        "manifest-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
# Browser features no page of the portal uses; WebAuthn (publickey-credentials-*) keeps its
# default of our own origin.
PERMISSIONS_POLICY = {
    "accelerometer": [],
    "autoplay": [],
    "camera": [],
    "display-capture": [],
    "geolocation": [],
    "gyroscope": [],
    "magnetometer": [],
    "microphone": [],
    "midi": [],
    "payment": [],
    "usb": [],
}

# --- cache: tenant-aware keys (Wagtail caches would leak across tenants otherwise) ------------
REDIS_URL = env.str("REDIS_URL", default="")
# Redis down is a cache miss (brokerportal.cache.ResilientRedisCache): short timeouts keep a dead
# Redis from holding a page for seconds.
REDIS_CACHE_OPTIONS = {
    "socket_connect_timeout": env.float("REDIS_CONNECT_TIMEOUT", default=0.5),
    "socket_timeout": env.float("REDIS_SOCKET_TIMEOUT", default=2.0),
}
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "brokerportal.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_FUNCTION": "django_tenants.cache.make_key",
            "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
            "OPTIONS": REDIS_CACHE_OPTIONS,
        },
        # Shared-ledger state (ledger.journal.versions): the same keys whatever the tenant schema.
        "ledger": {
            "BACKEND": "brokerportal.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "ledger",
            "OPTIONS": REDIS_CACHE_OPTIONS,
        },
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "KEY_FUNCTION": "django_tenants.cache.make_key",
            "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
        },
        "ledger": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "ledger",
        },
    }

# Sessions read from the cache (written through to the database) where every process shares it.
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db"
    if REDIS_URL
    else "django.contrib.sessions.backends.db"
)
# The client portal caches valuations under the ledger's cache versions
# (ledger.journal.versions): only correct when every process that books or serves shares the cache.
# The benchmarks clients may compare their performance with (those the ledger has prices for).
PORTAL_BENCHMARKS = env.list("PORTAL_BENCHMARKS", default=["MKT500", "WORLDX", "SPY"])
PORTAL_FIGURES_CACHE = env.bool("PORTAL_FIGURES_CACHE", default=bool(REDIS_URL))

# --- Celery --------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL or None)
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Redis hands an unacknowledged message (its worker died) to another worker after the
# visibility timeout (kombu's default: one hour); e.g. {"visibility_timeout": 3600}.
CELERY_BROKER_TRANSPORT_OPTIONS = env.json("CELERY_BROKER_TRANSPORT_OPTIONS", default={})
CELERY_TASK_SERIALIZER = "json"
CELERY_TIMEZONE = "UTC"
from celery.schedules import crontab  # noqa: E402

CELERY_BEAT_SCHEDULE = {
    # The tasks a broker outage left in the task outbox (tenants.outbox), sent once it is back.
    "tenants-task-outbox-relay": {
        "task": "tenants.tasks.task_outbox_relay",
        "schedule": 30.0,
        "options": {"expires": 25},
    },
    # The day's NAV snapshots of every ledger account, after the closing prices are in.
    "ledger-nav-snapshot-nightly": {
        "task": "ledger.tasks.nav_snapshot_nightly",
        "schedule": crontab(hour=2, minute=0),
        "options": {"expires": 60 * 60 * 6},
    },
    # Closes and FX rates of the day just closed from the market data providers, before the
    # NAV snapshots value the accounts at them.
    "ledger-market-data-fetch": {
        "task": "ledger.tasks.market_data_fetch",
        "schedule": crontab(hour=1, minute=15),
        "options": {"expires": 60 * 60 * 6},
    },
    # Each tenant's exception reports e-mailed to the roles that own them, after the NAV.
    "desk-exceptions-daily": {
        "task": "desk.tasks.exceptions_email_all_tenants",
        "schedule": crontab(hour=6, minute=30),
        "options": {"expires": 60 * 60 * 6},
    },
    # The head of every audit chain at the end of the day just closed (compliance.chain).
    "compliance-audit-anchor-daily": {
        "task": "compliance.tasks.audit_anchor_daily",
        "schedule": crontab(hour=0, minute=10),
        "options": {"expires": 60 * 60 * 12},
    },
    # Each tenant's access review of the period, opened on its first day (compliance).
    "compliance-access-reviews-open": {
        "task": "compliance.tasks.access_reviews_open_due",
        "schedule": crontab(hour=0, minute=20),
        "options": {"expires": 60 * 60 * 12},
    },
}
# Market data sources (ledger.market_providers): [{"class": dotted path, "options": {...}}].
MARKET_DATA_PROVIDERS = env.json("MARKET_DATA_PROVIDERS", default=[])

# --- surveillance (compliance.surveillance) ----------------------------------------------------
# The country of a login as the trusted proxy names it (META key, e.g. HTTP_CF_IPCOUNTRY); off
# when empty or when no proxy is trusted (AXES_IPWARE_PROXY_COUNT 0).
LOGIN_COUNTRY_HEADER = env.str("LOGIN_COUNTRY_HEADER", default="")
SURVEILLANCE = {
    "withdrawal_limit": env.str("SURVEILLANCE_WITHDRAWAL_LIMIT", default="50000"),
    "new_destination_days": 30,  # a new destination this soon after an e-mail/address change
    "business_hours": (8, 18),  # grant changes outside these hours, Monday to Friday
    "business_timezone": env.str("SURVEILLANCE_TIMEZONE", default="America/New_York"),
    "lookback_days": 30,  # how far back the exception report lists the findings
}

# --- e-mail ------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
# Links in e-mails sent outside a request (workers): tenants.links.tenant_base_url.
LINK_SCHEME = env.str("LINK_SCHEME", default="https")
LINK_PORT = env.str("LINK_PORT", default="")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="no-reply@platform.localhost")

# --- i18n, static, media ------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "/static/"
STATIC_ROOT = env.str("STATIC_ROOT", default=str(DATA_DIR / "static"))
MEDIA_URL = "/media/"
MEDIA_ROOT = env.str("MEDIA_ROOT", default=str(DATA_DIR / "media"))
# Public media from Django itself outside DEBUG: `make serve` only; a deployment's web server
# serves /media/ (README, "Deploying").
MEDIA_SERVED_BY_DJANGO = False
# Media are stored per tenant: files land under MEDIA_ROOT/<schema_name>/.
STORAGES = {
    "default": {"BACKEND": "django_tenants.files.storage.TenantFileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MULTITENANT_RELATIVE_MEDIA_ROOT = ""
# Issued statements: per tenant under this private root (default `<MEDIA_ROOT>-private`), never
# under MEDIA_ROOT, served only by the access-checked download views. Behind nginx, set the
# prefix of an `internal` location aliased to this root and nginx sends the files
# (X-Accel-Redirect) after Django checked access.
STATEMENTS_ROOT = env.str("STATEMENTS_ROOT", default="")
STATEMENTS_ACCEL_REDIRECT_PREFIX = env.str("STATEMENTS_ACCEL_REDIRECT_PREFIX", default="")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Request bodies over their limit are refused with 413 before they are read
# (brokerportal.uploads): forms and API calls without files at DATA_UPLOAD_MAX_MEMORY_SIZE,
# bodies with files at UPLOAD_MAX_BYTES (the bulk import's 20 MB and the form around it), or at
# a view's own UPLOAD_LIMITS entry (applicants' documents: 10 MB and the form around it).
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=25 * 1024 * 1024)
UPLOAD_LIMITS = {"document": 10 * 1024 * 1024 + 64 * 1024}
FILE_UPLOAD_HANDLERS = [
    "brokerportal.uploads.CappedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# Attempts per window of the public forms, per client address (`ip`) and per e-mail address or
# application they are about (brokerportal.ratelimit); over a limit: 429 with Retry-After.
RATE_LIMITS = {
    "application_start": {"ip": "20/hour", "address": "5/hour"},
    "password_reset": {"ip": "20/hour", "address": "5/hour"},
    "document_upload": {"ip": "60/hour", "application": "30/hour"},
}

# --- Wagtail (the Broker Portal) ----------------------------------------------------------
WAGTAIL_SITE_NAME = "Broker Portal"
# The time zones staff may choose on their Account page: the IANA region/city names and UTC.
# The system's zoneinfo also lists "localtime", "posixrules" and "Factory", which browsers do
# not know (the page's script failed with "RangeError: Invalid time zone specified").
WAGTAIL_USER_TIME_ZONES = sorted(
    tz
    for tz in zoneinfo.available_timezones()
    if tz == "UTC" or ("/" in tz and not tz.startswith(("posix/", "right/", "Etc/")))
)
WAGTAILADMIN_BASE_URL = env.str("WAGTAILADMIN_BASE_URL", default="http://localhost:8000")
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILADMIN_LOGIN_URL = "clientportal:login"  # one login with the second factor
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAIL_ENABLE_WHATS_NEW_BANNER = False
# No avatars from gravatar.com: staff e-mail hashes stay with us, and img-src stays 'self'.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
# One password reset for everybody, the audited one at /auth/reset/: Wagtail's own at
# /broker/password_reset/ answers 404. Staff change their e-mail address in the account panel
# that asks for the password (compliance/wagtail_hooks.py), not in Wagtail's name panel.
WAGTAIL_PASSWORD_RESET_ENABLED = False
WAGTAIL_EMAIL_MANAGEMENT_ENABLED = False

# --- API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # First: an unauthenticated call gets 401 with `WWW-Authenticate: Bearer`.
        "compliance.api_keys.auth.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "api.permissions.KeyScopes",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Cursor",
    "PAGE_SIZE": 100,
    "EXCEPTION_HANDLER": "api.errors.problem_details_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Per user (token or session), and per client address for anonymous calls; 429 with
    # Retry-After beyond. REMOTE_ADDR is the address (NUM_PROXIES 0): X-Forwarded-For is the
    # client's to choose unless the proxy in front sets REMOTE_ADDR.
    "DEFAULT_THROTTLE_CLASSES": [
        "brokerportal.throttles.ApiAnonThrottle",
        "brokerportal.throttles.ApiUserThrottle",
        "brokerportal.throttles.ApiKeyThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {"anon": "60/minute", "user": "600/minute", "key": "300/minute"},
    "NUM_PROXIES": 0,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Broker Portal API",
    "VERSION": "1",
    "OAS_VERSION": "3.1.0",
    "SWAGGER_UI_DIST": "SIDECAR",  # bundled, no CDN
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "COMPONENT_SPLIT_REQUEST": True,
    "PREPROCESSING_HOOKS": ["api.schema.only_api_paths"],
}
# API keys: django-rest-knox with our model. Keys are `bpk_` + 64 hex characters; only the
# SHA-512 digest is stored. A Security Officer chooses each key's expiry (at most a year).
KNOX_TOKEN_MODEL = "compliance.ApiKey"  # noqa: S105 - a model name
REST_KNOX = {"TOKEN_PREFIX": "bpk_", "AUTO_REFRESH": False, "TOKEN_TTL": None}
# Webhooks: attempts per delivery (exponential backoff from WEBHOOK_RETRY_BASE_S), and
# consecutive failed deliveries after which an endpoint is disabled.
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=8)
WEBHOOK_RETRY_BASE_S = env.int("WEBHOOK_RETRY_BASE_S", default=10)
WEBHOOK_DISABLE_AFTER = env.int("WEBHOOK_DISABLE_AFTER", default=20)
WEBHOOK_TIMEOUT_S = 10
WEBHOOK_HTTPS_ONLY = env.bool("WEBHOOK_HTTPS_ONLY", default=True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
