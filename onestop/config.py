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
    DEMO_SEED_WHEN_EMPTY = False


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
