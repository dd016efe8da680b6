"""Configuration read from the environment."""
import os
from datetime import timedelta
from pathlib import Path


def _instance_dir() -> Path:
    return Path(os.environ.get("ONESTOP_INSTANCE", Path.cwd() / "instance")).resolve()


class Config:
    ENV_NAME = "development"
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-not-secret")
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{_instance_dir() / 'onestop.sqlite'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    INSTANCE_DIR = str(_instance_dir())
    UPLOAD_DIR = str(_instance_dir() / "uploads")
    MAX_CONTENT_LENGTH = 12 * 1024 * 1024
    MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    WTF_CSRF_TIME_LIMIT = None
    BABEL_DEFAULT_LOCALE = "ko"
    BABEL_DEFAULT_TIMEZONE = "Asia/Seoul"
    LANGUAGES = ("ko", "en")
    INVITE_MAX_AGE_SECONDS = 7 * 24 * 3600
    REOPEN_WINDOW_DAYS = 14
    LOGIN_MAX_FAILURES_PER_ACCOUNT = 5
    LOGIN_MAX_FAILURES_PER_ADDRESS = 20
    LOGIN_FAILURE_WINDOW = timedelta(minutes=15)
    PAGE_SIZE = 25
    PROXY_HOPS = int(os.environ.get("PROXY_HOPS", 0))
    PUBLIC_URL = os.environ.get("PUBLIC_URL", "http://127.0.0.1:5000")

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
    NOTIFY_BACKOFF_SECONDS = float(os.environ.get("NOTIFY_BACKOFF_SECONDS", 60))
    NOTIFY_MAX_ATTEMPTS = int(os.environ.get("NOTIFY_MAX_ATTEMPTS", 8))

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
    OUTBOX_DIR = str(_instance_dir() / "outbox")


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True

    @classmethod
    def check(cls) -> None:
        missing = [k for k in ("SECRET_KEY", "DATABASE_URL") if not os.environ.get(k)]
        if missing:
            raise RuntimeError(f"Production needs {', '.join(missing)} in the environment")


class TestConfig(Config):
    ENV_NAME = "test"
    TESTING = True


def config_for(name: str | None) -> type[Config]:
    name = name or os.environ.get("ONESTOP_ENV", "development")
    configs = {"development": Config, "production": ProductionConfig, "test": TestConfig}
    if name not in configs:
        raise RuntimeError(f"ONESTOP_ENV must be one of {', '.join(configs)}, not {name!r}")
    return configs[name]
