"""The application factory."""
import os
from pathlib import Path

from flask import Flask, g, has_request_context, session
from flask_login import current_user
from flask_openapi3 import Info, OpenAPI
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from onestop import i18n
from onestop.api.problems import validation_problem
from onestop.config import config_for
from onestop.db import MAX_ID
from onestop.extensions import babel, csrf, db, login_manager, migrate
from onestop.i18n import lazy_gettext as _l
from onestop.search import not_sqlite_index

ROOT = Path(__file__).resolve().parent.parent


def create_app(config_name: str | None = None, **overrides) -> Flask:
    app = OpenAPI(
        __name__,
        info=Info(title="OneStop API", version="1",
                  description="Requests, tasks and promises of the one-stop desk, as JSON."),
        security_schemes={"bearer": {"type": "http", "scheme": "bearer",
                                     "description": "A personal access token (your account)."}},
        doc_ui=False,  # onestop.api.docs serves the document and its page
        validation_error_callback=validation_problem,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=os.environ.get("ONESTOP_INSTANCE", str(Path.cwd() / "instance")),
    )
    config = config_for(config_name)
    app.config.from_object(config)
    app.config.update(overrides)
    if hasattr(config, "check"):
        config.check(app.config)
    from onestop.notifications.lease import check_lease_seconds
    from onestop.webhooks.delivery import check_timing

    check_lease_seconds(app.config["NOTIFY_LEASE_SECONDS"])
    check_timing(app.config["WEBHOOK_LEASE_SECONDS"], app.config["WEBHOOK_TIMEOUT_SECONDS"])
    Path(app.config["UPLOAD_DIR"]).mkdir(parents=True, exist_ok=True)

    if app.config["PROXY_HOPS"]:
        # Behind a load balancer: the client's address (for the sign-in limits) and scheme.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_HOPS"],
                                x_proto=app.config["PROXY_HOPS"])
    # Ids beyond the database's integer range are no such object (404), not an error.
    app.url_map.converters["int"] = BoundedInt
    from onestop import pages

    # First: the CSRF check reads the form, which these guards must have found readable.
    pages.register_request_guards(app)
    register_extensions(app)
    register_blueprints(app)
    pages.register_error_handlers(app)
    pages.register_template_helpers(app)
    pages.register_security_headers(app)
    from onestop.accounts import sessions
    from onestop.audit import events

    sessions.register(app)
    events.configure()
    register_cli(app)
    return app


class BoundedInt(IntegerConverter):
    """<int:...> up to PostgreSQL's integer maximum."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def _select_locale() -> str:
    languages = ("ko", "en")
    if not has_request_context():
        return "ko"
    if g.get("request_locale") in languages:  # the request asked for one (Open311's locale)
        return g.request_locale
    user = g.get("api_user") or current_user  # an API token's owner, or the signed-in user
    if user and user.is_authenticated and user.locale in languages:
        return user.locale
    if session.get("locale") in languages:
        return session["locale"]
    return "ko"


def register_extensions(app: Flask) -> None:
    from onestop import models  # noqa: F401  (every model registered before Alembic looks)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True,
                     include_name=not_sqlite_index)
    csrf.init_app(app)
    babel.init_app(
        app,
        locale_selector=_select_locale,
        timezone_selector=lambda: "Asia/Seoul",
        default_translation_directories=str(ROOT / "onestop" / "translations"),
    )
    i18n.install(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    # Lazily translated, turned into text in the visitor's language when it is flashed.
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.localize_callback = str
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    from onestop.accounts.services import load_session_user

    login_manager.user_loader(load_session_user)

    from onestop import jobs
    from onestop.notifications import events  # noqa: F401  (every Event written is announced)

    jobs.init_app(app)


# How long an SQLite writer waits for another process's write to finish (milliseconds).
SQLITE_BUSY_TIMEOUT_MS = 30_000


@event.listens_for(Engine, "connect")
def _sqlite_connection(dbapi_connection, connection_record) -> None:
    """Every SQLite connection of the process (the app's and the Celery broker's): foreign
    keys enforced; WAL, so that readers never block the one writer and the web server,
    worker and beat can share the file; and a writer waits its turn instead of failing
    with "database is locked"."""
    if dbapi_connection.__class__.__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")  # kept in the file; an in-memory one ignores it
        cursor.close()


def register_blueprints(app: Flask) -> None:
    # Modules whose routes join another module's blueprint.
    import onestop.accounts.mail_views  # noqa: F401
    import onestop.accounts.token_views  # noqa: F401
    import onestop.accounts.twofactor_views  # noqa: F401
    import onestop.cases.bulk  # noqa: F401
    import onestop.cases.filing  # noqa: F401
    import onestop.cases.objection_pages  # noqa: F401
    import onestop.cases.queue  # noqa: F401
    import onestop.cases.reassign  # noqa: F401
    import onestop.cases.saved_view_pages  # noqa: F401
    import onestop.commitments.import_views  # noqa: F401
    from onestop import api
    from onestop.accounts.views import bp as accounts
    from onestop.admin.views import bp as admin
    from onestop.audit.views import bp as audit
    from onestop.cases.views import bp as cases
    from onestop.commitments.views import bp as commitments
    from onestop.firms.views import bp as firms
    from onestop.home.views import bp as home
    from onestop.notifications.views import bp as notifications
    from onestop.open311.views import bp as open311
    from onestop.replies.views import bp as replies
    from onestop.reports.council import bp as council
    from onestop.reports.service_views import bp as reports
    from onestop.reports.zone_views import bp as zone
    from onestop.tasks.views import bp as tasks
    from onestop.webhooks.views import bp as webhooks

    for bp in (home, accounts, firms, cases, tasks, admin, audit, notifications, reports, zone,
               council, commitments, replies, webhooks, open311):
        app.register_blueprint(bp)
    api.register(app)


def register_cli(app: Flask) -> None:
    from onestop.cli import (
        deadline_command,
        demo_cli,
        housekeeping_command,
        mail_cli,
        reminders_cli,
        tokens_cli,
        workers_cli,
    )

    for command in (deadline_command, demo_cli, housekeeping_command, mail_cli, reminders_cli,
                    tokens_cli, workers_cli):
        app.cli.add_command(command)
