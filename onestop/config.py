"""Configuration read from the environment."""
import os
import re
from datetime import timedelta
from pathlib import Path

# Signs nothing that matters: refused in production, and served only to loopback elsewhere.
DEV_SECRET_KEY = "dev-only-not-secret"
MIN_SECRET_KEY_BYTES = 32


def _instance_dir() -> Path:
    return Path(os.environ.get("ONESTOP_INSTANCE", Path.cwd() / "instance")).resolve()


def _key_list(text: str) -> list[str]:
    """SECRET_KEY_FALLBACKS: keys separated by commas or spaces, oldest first."""
    return [key for key in re.split(r"[,\s]+", text) if key]


def _minutes(name: str, default: int) -> timedelta:
    return timedelta(minutes=int(os.environ.get(name, default)))


class Config:
    ENV_NAME = "development"
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
    # Earlier keys, still accepted (sessions, invitation links, known-device cookies) while
    # they rotate out; everything new is signed with SECRET_KEY.
    SECRET_KEY_FALLBACKS = _key_list(os.environ.get("SECRET_KEY_FALLBACKS", ""))
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{_instance_dir() / 'onestop.sqlite'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    INSTANCE_DIR = str(_instance_dir())
    UPLOAD_DIR = str(_instance_dir() / "uploads")
    MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
    MAX_FILES_PER_SUBMIT = 5
    # A request may carry every file at its limit, plus the form's text.
    MAX_CONTENT_LENGTH = MAX_FILES_PER_SUBMIT * MAX_ATTACHMENT_BYTES + 1024 * 1024
    # What an OOXML or HWPX package may inflate to (a zip bomb inflates far beyond).
    MAX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024
    SESSION_COOKIE_NAME = "session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    # A signed-in session ends this long after the sign-in, however active it is ...
    SESSION_ABSOLUTE_LIFETIME = timedelta(hours=12)
    # ... or after this long without a request (staff = caseworkers and admins).
    SESSION_IDLE_STAFF = _minutes("SESSION_IDLE_MINUTES_STAFF", 30)
    SESSION_IDLE_OTHERS = _minutes("SESSION_IDLE_MINUTES", 120)
    # Admin changes to other accounts ask for the password again after this long.
    REAUTH_AFTER = timedelta(minutes=10)
    # Between the password and the authenticator code of a two-factor sign-in.
    TWO_FACTOR_PENDING = timedelta(minutes=5)
    HSTS = False
    DEVICE_COOKIE_NAME = "onestop_device"
    DEVICE_COOKIE_MAX_AGE = timedelta(days=180)
    WTF_CSRF_TIME_LIMIT = None
    BABEL_DEFAULT_LOCALE = "ko"
    BABEL_DEFAULT_TIMEZONE = "Asia/Seoul"
    LANGUAGES = ("ko", "en")
    INVITE_MAX_AGE_SECONDS = 7 * 24 * 3600
    # A "forgot password" link, and the link that confirms a new email address.
    PASSWORD_RESET_MAX_AGE_SECONDS = 3600
    EMAIL_CHANGE_MAX_AGE_SECONDS = 24 * 3600
    REOPEN_WINDOW_DAYS = 14
    # The desk's own deadline to review a new request (accept or reject it), in working
    # days counted like any period (deadlines.WorkCalendar.due_at); set on the case when filed.
    INTAKE_WORKING_DAYS = int(os.environ.get("INTAKE_WORKING_DAYS", 1))
    # Sign-in throttling: attempts free of delay per key, then waits growing to the last one.
    # "reset" counts "forgot password" requests per email typed, "reset_from" per address.
    THROTTLE_FREE = {"account": 5, "address": 20, "device": 5, "code": 5, "reauth": 5,
                     "reset": 3, "reset_from": 10}
    THROTTLE_DELAYS = tuple(timedelta(minutes=m) for m in (1, 2, 4, 8, 15))
    # A counter starts again after this long without an attempt; rows are purged after KEEP.
    THROTTLE_QUIET = timedelta(hours=1)
    THROTTLE_KEEP = timedelta(days=1)
    PAGE_SIZE = 25
    PROXY_HOPS = int(os.environ.get("PROXY_HOPS", 0))
    # The address in emails and links; follows PORT (the port `make run` serves on) unless set.
    PUBLIC_URL = os.environ.get("PUBLIC_URL") or f"http://127.0.0.1:{os.environ.get('PORT', '5000')}"

    # Celery: Redis in production; with no broker configured, a broker on a local SQLite
    # file, so the worker and beat run as real processes with no server installed.
    CELERY_BROKER_URL = os.environ.get(
        "CELERY_BROKER_URL", f"sqla+sqlite:///{_instance_dir() / 'celery-broker.sqlite'}"
    )
    # Each worker death may send again what the worker was delivering: at most this many.
    CELERY_WORKER_CONCURRENCY = int(os.environ.get("CELERY_WORKER_CONCURRENCY", 2))
    REMINDER_SWEEP_SECONDS = float(os.environ.get("REMINDER_SWEEP_SECONDS", 300))
    # A delivery holds its row this long and renews the hold every third of it while it
    # sends; a worker that dies stops renewing, and a sweep hands the row out again.
    NOTIFY_LEASE_SECONDS = float(os.environ.get("NOTIFY_LEASE_SECONDS", 120))
    # A queued row whose broker message has not been consumed for this long is sent again.
    NOTIFY_REQUEUE_AFTER_SECONDS = float(os.environ.get("NOTIFY_REQUEUE_AFTER_SECONDS", 120))
    # A delivery task starts no send after this long; the rows left go back to the queue, one
    # a message, for the idle processes (a fast server sends a whole batch in a fraction).
    NOTIFY_BATCH_SECONDS = float(os.environ.get("NOTIFY_BATCH_SECONDS", 2))
    NOTIFY_BACKOFF_SECONDS = float(os.environ.get("NOTIFY_BACKOFF_SECONDS", 60))
    NOTIFY_MAX_ATTEMPTS = int(os.environ.get("NOTIFY_MAX_ATTEMPTS", 8))
    # An agreement import holds its run this long, renewed while its worker lives; a run
    # whose worker died is queued again by the sweep, and given up after this many workers.
    IMPORT_LEASE_SECONDS = float(os.environ.get("IMPORT_LEASE_SECONDS", 60))
    IMPORT_MAX_ATTEMPTS = int(os.environ.get("IMPORT_MAX_ATTEMPTS", 3))

    # Webhooks: each attempt waits this long to connect and for each read of the answer; a
    # message is held this long by its attempt (a worker that dies lets it go after it).
    WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", 10))
    WEBHOOK_LEASE_SECONDS = float(os.environ.get("WEBHOOK_LEASE_SECONDS", 60))
    # After the first failed attempt, the next ones this many seconds after the one before
    # (the Standard Webhooks schedule); then the message has failed.
    WEBHOOK_RETRY_SECONDS = [float(s) for s in os.environ.get(
        "WEBHOOK_RETRY_SECONDS", "5,300,1800,7200,18000,36000,36000").split(",")]
    WEBHOOK_DISABLE_AFTER_HOURS = float(os.environ.get("WEBHOOK_DISABLE_AFTER_HOURS", 24))
    # Plain http:// endpoints are for development; production calls https:// only.
    WEBHOOK_HTTPS_ONLY = False

    # The JSON API's requests per token (limits' notation), counted where every web process
    # sees the same count: the Redis of the broker unless set; in memory (each process its
    # own count) on the embedded default.
    API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "600/minute")
    API_RATE_LIMIT_STORAGE = os.environ.get("API_RATE_LIMIT_STORAGE") or (
        CELERY_BROKER_URL if CELERY_BROKER_URL.startswith(("redis://", "rediss://"))
        else "memory://")
    # Open311's discovery document: how to reach the people behind the API (an address, a
    # phone number); without it, the discovery points to the site itself.
    OPEN311_CONTACT = os.environ.get("OPEN311_CONTACT", "")

    # Email: SMTP_URL like smtp://user:pass@host:587?starttls=1 or smtps://host:465;
    # without it, messages are written as .eml files to OUTBOX_DIR.
    SMTP_URL = os.environ.get("SMTP_URL", "")
    # How long to wait (RFC 5321 §4.5.3.2): to connect; for each reply before the message is
    # handed over (greeting, EHLO, MAIL, RCPT, DATA: 5 minutes); for the answer to the
    # message itself (10 minutes: giving up sooner turns a slow server into a duplicate).
    SMTP_CONNECT_TIMEOUT = float(os.environ.get("SMTP_CONNECT_TIMEOUT", 30))
    SMTP_COMMAND_TIMEOUT = float(os.environ.get("SMTP_COMMAND_TIMEOUT", 300))
    SMTP_REPLY_TIMEOUT = float(os.environ.get("SMTP_REPLY_TIMEOUT", 600))
    MAIL_FROM = os.environ.get("MAIL_FROM", "OneStop <onestop@city.example>")
    # Replies to notifications come back to reply+<token>@REPLY_DOMAIN (the inbound listener).
    REPLY_DOMAIN = os.environ.get("REPLY_DOMAIN", "onestop.city.example")
    # A reply address is honoured this long after the email that carried it was sent.
    REPLY_TOKEN_MAX_AGE_DAYS = int(os.environ.get("REPLY_TOKEN_MAX_AGE_DAYS", 60))
    # The inbound listener refuses larger messages at DATA (552); the sender's server bounces.
    INBOUND_MAX_BYTES = int(os.environ.get("INBOUND_MAX_BYTES", 25 * 1024 * 1024))
    OUTBOX_DIR = str(_instance_dir() / "outbox")


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    # __Host-: only ever set over HTTPS, for this host alone, for every path.
    SESSION_COOKIE_NAME = "__Host-session"
    DEVICE_COOKIE_NAME = "__Host-device"
    HSTS = True
    WEBHOOK_HTTPS_ONLY = True

    @classmethod
    def check(cls, settings) -> None:
        """Refuse to start without a database or with a weak or missing secret key."""
        missing = [name for name, absent in (
            ("SECRET_KEY", settings.get("SECRET_KEY") in (None, "", DEV_SECRET_KEY)),
            ("DATABASE_URL", not os.environ.get("DATABASE_URL"))) if absent]
        if missing:
            raise RuntimeError(f"Production needs {', '.join(missing)} in the environment "
                               "(the development key does not count)")
        key = settings["SECRET_KEY"]
        if len(key.encode() if isinstance(key, str) else key) < MIN_SECRET_KEY_BYTES:
            raise RuntimeError(f"SECRET_KEY must be at least {MIN_SECRET_KEY_BYTES} bytes "
                               "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))')")


class TestConfig(Config):
    ENV_NAME = "test"
    TESTING = True


def config_for(name: str | None) -> type[Config]:
    name = name or os.environ.get("ONESTOP_ENV", "development")
    configs = {"development": Config, "production": ProductionConfig, "test": TestConfig}
    if name not in configs:
        raise RuntimeError(f"ONESTOP_ENV must be one of {', '.join(configs)}, not {name!r}")
    return configs[name]
