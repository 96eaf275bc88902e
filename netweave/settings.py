"""netweave settings, all read from the environment through django-environ.

Every value has a default that works on a fresh machine (SQLite under ./data, the filesystem Celery broker),
so `make run` needs no external server. Production sets DATABASE_URL (PostgreSQL) and CELERY_BROKER_URL
(Redis or RabbitMQ); nothing else changes.
"""

import contextlib
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DATA_DIR = Path(env.str("NETWEAVE_DATA_DIR", default=str(BASE_DIR / "data")))
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="netweave-insecure-development-key-change-me")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "netweave.admin_site.NetweaveAdminConfig",  # django.contrib.admin, organised by task (netweave/admin_site.py)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "axes",
    "netweave",
    "plugins",
    "inventory",
    "deployments",
    "smo",
]

MIDDLEWARE = [
    "netweave.middleware.RequestIdMiddleware",
    "netweave.middleware.NulCharacterMiddleware",
    "netweave.security.middleware.SecurityMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "netweave.urls"
WSGI_APPLICATION = "netweave.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'netweave.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web process, the worker and beat share one SQLite file.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Collected static files; the image collects them outside the data directory (a volume in the chart's pods).
STATIC_ROOT = Path(env.str("NETWEAVE_STATIC_ROOT", default=str(DATA_DIR / "static")))
if not STATIC_ROOT.exists():
    with contextlib.suppress(OSError):  # a read-only image path is fine: it was filled at build time
        STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# --- Public URL (O2 links) --------------------------------------------------------------------------------------
# The base URL SMOs reach this netweave at (behind a proxy or an ingress: its external URL). The O-Cloud's
# `serviceUri`, the paging Link headers, notification `objectRef`s and the SMO registration's IMS_EP are built
# from it. Unset: API answers use the address the request was made to, and what is built outside a request
# (notifications, registration) uses http://<NETWEAVE_BIND>, the address `make run` serves.
# NETWEAVE_OCLOUD_SERVICE_URI is the earlier name of this setting, still read.
NETWEAVE_BIND = env.str("NETWEAVE_BIND", default="127.0.0.1:8000")
NETWEAVE_PUBLIC_URL = env.str("NETWEAVE_PUBLIC_URL", default=env.str("NETWEAVE_OCLOUD_SERVICE_URI", default=""))

# --- O-Cloud identity (O2-REFERENCE.md §2) -------------------------------------------------------------------
NETWEAVE_OCLOUD = {
    "oCloudId": env.str("NETWEAVE_OCLOUD_ID", default="f1b0a8c6-2f1e-4c3b-9a57-0d6c8a1e5b10"),
    "globalCloudId": env.str("NETWEAVE_GLOBAL_CLOUD_ID", default="7d6b3c5a-8e0f-4a1b-b2c3-d4e5f6a7b8c9"),
    "name": env.str("NETWEAVE_OCLOUD_NAME", default="netweave O-Cloud"),
    "description": env.str("NETWEAVE_OCLOUD_DESCRIPTION", default="O-Cloud served by netweave"),
    # The base URL outside a request (see NETWEAVE_PUBLIC_URL); netweave.o2.urls picks the one to use.
    "serviceUri": (NETWEAVE_PUBLIC_URL or f"http://{NETWEAVE_BIND}").rstrip("/"),
}

# --- O2 API behaviour -----------------------------------------------------------------------------------------
NETWEAVE_PAGE_SIZE = env.int("NETWEAVE_PAGE_SIZE", default=100)
NETWEAVE_PAGE_MARKER_MAX_AGE = env.int("NETWEAVE_PAGE_MARKER_MAX_AGE", default=3600)
NETWEAVE_DEFAULT_SYNC_INTERVAL = env.int("NETWEAVE_DEFAULT_SYNC_INTERVAL", default=60)
NETWEAVE_SECRETS_KEYS = env.list("NETWEAVE_SECRETS_KEYS", default=[])

# --- O2dms (deployments app) ----------------------------------------------------------------------------------
# How deep a JSON request body may nest (arrays and objects); deeper is a 400 (netweave/o2/parsers.py).
NETWEAVE_JSON_MAX_DEPTH = env.int("NETWEAVE_JSON_MAX_DEPTH", default=64)
NETWEAVE_DMS_MAX_PACKAGE_BYTES = env.int("NETWEAVE_DMS_MAX_PACKAGE_BYTES", default=10 * 1024 * 1024)
NETWEAVE_DMS_OPERATION_TIMEOUT = env.int("NETWEAVE_DMS_OPERATION_TIMEOUT", default=900)  # seconds
NETWEAVE_DMS_POLL_SECONDS = env.float("NETWEAVE_DMS_POLL_SECONDS", default=1.0)
NETWEAVE_DMS_REFRESH_INTERVAL = env.float("NETWEAVE_DMS_REFRESH_INTERVAL", default=60.0)  # seconds
# An operation still QUEUED this long after it was accepted lost its task (broker down or message lost): re-queued.
NETWEAVE_DMS_REQUEUE_AFTER = env.float("NETWEAVE_DMS_REQUEUE_AFTER", default=120.0)  # seconds

REST_FRAMEWORK = {
    # Authentication, the one authorization policy and rate limits for every O2 view (docs/security.md).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "netweave.security.authentication.ClientCertificateAuthentication",
        "netweave.security.authentication.ApiTokenAuthentication",
        "netweave.security.authentication.JWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["netweave.security.permissions.PolicyPermission"],
    "DEFAULT_THROTTLE_CLASSES": ["netweave.security.throttling.IdentityRateThrottle"],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_RENDERER_CLASSES": ["netweave.o2.rendering.O2JSONRenderer"],
    # Bounded nesting and no NUL characters in any JSON body (netweave/o2/parsers.py).
    "DEFAULT_PARSER_CLASSES": ["netweave.o2.parsers.BoundedJSONParser"],
    "EXCEPTION_HANDLER": "netweave.o2.problems.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "netweave O2 APIs",
    "DESCRIPTION": "O-RAN O2ims (inventory) and O2dms served by netweave, plus netweave's documented extensions.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "netweave.o2.schema.add_problem_responses",
        "netweave.security.schema.add_security_responses",
        "inventory.api.serializers.add_release_markers",
    ],
}

# --- Security (docs/security.md) ------------------------------------------------------------------------------
# Every O2 request needs a credential unless NETWEAVE_AUTH_REQUIRED is off; then a caller without one holds
# NETWEAVE_ANONYMOUS_ROLES (for a closed lab only).
NETWEAVE_AUTH_REQUIRED = env.bool("NETWEAVE_AUTH_REQUIRED", default=True)
NETWEAVE_ANONYMOUS_ROLES = env.list("NETWEAVE_ANONYMOUS_ROLES", default=["reader"])
NETWEAVE_TOKEN_PEPPER = env.str("NETWEAVE_TOKEN_PEPPER", default="")
NETWEAVE_TOKEN_CACHE_SECONDS = env.int("NETWEAVE_TOKEN_CACHE_SECONDS", default=60)
NETWEAVE_OIDC_JWKS_URL = env.str("NETWEAVE_OIDC_JWKS_URL", default="")
NETWEAVE_OIDC_ISSUER = env.str("NETWEAVE_OIDC_ISSUER", default="")
NETWEAVE_OIDC_AUDIENCE = env.str("NETWEAVE_OIDC_AUDIENCE", default="netweave")
NETWEAVE_OIDC_ALGORITHMS = env.list("NETWEAVE_OIDC_ALGORITHMS", default=["RS256", "ES256", "PS256", "EdDSA"])
NETWEAVE_OIDC_LEEWAY = env.int("NETWEAVE_OIDC_LEEWAY", default=60)
NETWEAVE_OIDC_JWKS_LIFETIME = env.int("NETWEAVE_OIDC_JWKS_LIFETIME", default=3600)
NETWEAVE_OIDC_JWKS_MIN_REFRESH = env.int("NETWEAVE_OIDC_JWKS_MIN_REFRESH", default=30)
NETWEAVE_OIDC_ROLES_CLAIMS = env.list("NETWEAVE_OIDC_ROLES_CLAIMS", default=["roles", "groups"])
NETWEAVE_OIDC_ROLE_MAP = env.dict("NETWEAVE_OIDC_ROLE_MAP", default={})
NETWEAVE_MTLS_CA_FILE = env.str("NETWEAVE_MTLS_CA_FILE", default="")
NETWEAVE_MTLS_PROXY_HEADER = env.str("NETWEAVE_MTLS_PROXY_HEADER", default="X-SSL-Client-Cert")
NETWEAVE_TRUSTED_PROXIES = env.list("NETWEAVE_TRUSTED_PROXIES", default=[])
NETWEAVE_API_RATE = env.str("NETWEAVE_API_RATE", default="6000/min")
NETWEAVE_MAX_BODY_BYTES = env.int("NETWEAVE_MAX_BODY_BYTES", default=1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DJANGO_DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    # Rate-limit history, shared by every web process (a file cache needs no server; see docs/security.md).
    "throttle": env.cache_url("NETWEAVE_THROTTLE_CACHE_URL", default=f"filecache://{DATA_DIR / 'cache' / 'throttle'}"),
}
# The admin: secure cookies when served over TLS, login lock-out after repeated failures (django-axes).
NETWEAVE_TLS = env.bool("NETWEAVE_TLS", default=False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = NETWEAVE_TLS
SESSION_COOKIE_HTTPONLY = CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = "Strict"
SESSION_COOKIE_AGE = env.int("NETWEAVE_SESSION_AGE", default=8 * 3600)
SECURE_HSTS_SECONDS = env.int("NETWEAVE_HSTS_SECONDS", default=0)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if env.bool("NETWEAVE_BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env.int("NETWEAVE_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("NETWEAVE_LOGIN_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "netweave.security.network.client_address"

# --- Celery ---------------------------------------------------------------------------------------------------
_BROKER_DIR = DATA_DIR / "broker"
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    # Every folder of the transport, the broadcast ("control") exchange's included, lives in the data folder:
    # kombu's default for that one is ./control, in whatever directory a process was started from.
    for sub in ("out", "processed", "control"):
        (_BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_BROKER_DIR / "out"),
        "data_folder_out": str(_BROKER_DIR / "out"),
        "processed_folder": str(_BROKER_DIR / "processed"),
        "control_folder": str(_BROKER_DIR / "control"),
        "store_processed": False,
    }
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# --- Notifications (docs/notifications.md) ---------------------------------------------------------------------
# Callbacks are https-only and must resolve to public addresses, unless allow-listed here (e.g. for a local
# receiver: NETWEAVE_CALLBACK_ALLOWED_HOSTS=127.0.0.1,localhost).
NETWEAVE_CALLBACK_ALLOWED_HOSTS = env.list("NETWEAVE_CALLBACK_ALLOWED_HOSTS", default=[])
NETWEAVE_CALLBACK_ALLOWED_SCHEMES = env.list("NETWEAVE_CALLBACK_ALLOWED_SCHEMES", default=[])
# Optional reachability check at subscribe time: a GET to the callback must answer 2xx (SOL013: 204), else 400.
NETWEAVE_CALLBACK_CHECK_ON_SUBSCRIBE = env.bool("NETWEAVE_CALLBACK_CHECK_ON_SUBSCRIBE", default=False)
NETWEAVE_NOTIFICATION_TIMEOUT = env.float("NETWEAVE_NOTIFICATION_TIMEOUT", default=10.0)
NETWEAVE_NOTIFICATION_RETRY_BASE = env.float("NETWEAVE_NOTIFICATION_RETRY_BASE", default=1.0)
NETWEAVE_NOTIFICATION_RETRY_CAP = env.float("NETWEAVE_NOTIFICATION_RETRY_CAP", default=300.0)
NETWEAVE_NOTIFICATION_MAX_AGE = env.float("NETWEAVE_NOTIFICATION_MAX_AGE", default=86400.0)
NETWEAVE_OUTBOX_SWEEP_INTERVAL = env.float("NETWEAVE_OUTBOX_SWEEP_INTERVAL", default=10.0)
NETWEAVE_NOTIFICATION_RETENTION = env.float("NETWEAVE_NOTIFICATION_RETENTION", default=7 * 86400.0)
NETWEAVE_SMO_REGISTRATION_URL = env.str("NETWEAVE_SMO_REGISTRATION_URL", default="")
# Delivery isolation (inventory/notifications/scheduling.py): seconds one task delivers before queueing itself
# behind the other subscriptions; the most rows one transaction sends in a run (inventory/notifications/
# delivery.py); seconds after which a queued task that never ran is queued again while the
# broker's queue is not empty (with it empty, at the next sweep).
NETWEAVE_DELIVERY_SLICE = env.float("NETWEAVE_DELIVERY_SLICE", default=5.0)
NETWEAVE_DELIVERY_BATCH = env.int("NETWEAVE_DELIVERY_BATCH", default=50)
NETWEAVE_DELIVERY_REQUEUE_AFTER = env.float("NETWEAVE_DELIVERY_REQUEUE_AFTER", default=300.0)
# Background heartbeats (netweave/heartbeat.py): readiness is degraded when a worker or beat was not heard from
# within the window.
NETWEAVE_HEARTBEAT_INTERVAL = env.float("NETWEAVE_HEARTBEAT_INTERVAL", default=15.0)
NETWEAVE_HEARTBEAT_WINDOW = env.float("NETWEAVE_HEARTBEAT_WINDOW", default=60.0)
CELERY_BEAT_SCHEDULE = {
    "netweave: outbox sweeper": {"task": "inventory.sweep_outbox", "schedule": NETWEAVE_OUTBOX_SWEEP_INTERVAL},
    "netweave: worker heartbeat": {"task": "netweave.heartbeat", "schedule": NETWEAVE_HEARTBEAT_INTERVAL},
    "netweave: DMS deployment refresh": {
        "task": "deployments.refresh_deployments",
        "schedule": NETWEAVE_DMS_REFRESH_INTERVAL,
    },
    "netweave: DMS operation sweeper": {"task": "deployments.requeue_stalled_operations", "schedule": 60.0},
    # Cleared alarms older than alarmServiceConfiguration.retentionPeriod (days) are deleted.
    "netweave: alarm retention": {"task": "inventory.purge_cleared_alarms", "schedule": 3600.0},
}
# --- SMO northbound (docs/smo.md) -------------------------------------------------------------------------------
# Seconds between sweeps that push the change log to every enabled SMO instance; how long a worker's claim on an
# instance lasts (a killed worker's claim expires after it); how long a hole in the change-log ids is waited for.
NETWEAVE_SMO_PUSH_INTERVAL = env.float("NETWEAVE_SMO_PUSH_INTERVAL", default=2.0)
NETWEAVE_SMO_LEASE_SECONDS = env.float("NETWEAVE_SMO_LEASE_SECONDS", default=120.0)
NETWEAVE_SMO_GAP_WAIT = env.float("NETWEAVE_SMO_GAP_WAIT", default=30.0)
CELERY_BEAT_SCHEDULE["netweave: SMO northbound"] = {"task": "smo.sweep", "schedule": NETWEAVE_SMO_PUSH_INTERVAL}
CELERY_TIMEZONE = "UTC"

# --- Logging --------------------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "netweave.middleware.RequestIdLogFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["request_id"]},
    },
    "root": {"handlers": ["console"], "level": env.str("NETWEAVE_LOG_LEVEL", default="INFO")},
    # At INFO the log says what changed (syncs, imports, plugin instances set up or retired, deliveries that
    # failed); these would bury it: axes announces itself in every process and on each login, Celery logs every
    # task received and succeeded and beat every task it sends (the outbox sweeper alone runs every 10 s).
    # Failures stay (WARNING and above).
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        "celery.app.trace": {"level": "WARNING"},
        "celery.worker.strategy": {"level": "WARNING"},
        "celery.beat": {"level": "WARNING"},
        # httpx logs every request at INFO: one line per delivered notification, callback URL included.
        "httpx": {"level": "WARNING"},
    },
}
