"""Fixtures: one app per run, a fresh database per test, a world of demo-like actors."""
import contextvars
import os
import re
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from onestop import create_app
from onestop.extensions import db
from tests import factories

SQLITE = "sqlite"


def database_urls() -> list[str]:
    urls = [SQLITE]
    if os.environ.get("TEST_DATABASE_URL"):
        urls.append(os.environ["TEST_DATABASE_URL"])
    return urls


@pytest.fixture(scope="session", params=database_urls(), ids=lambda u: u.split(":")[0])
def app(request, tmp_path_factory):
    base = tmp_path_factory.mktemp("instance")
    url = request.param if request.param != SQLITE else f"sqlite:///{base / 'test.sqlite'}"
    app = create_app("test", SQLALCHEMY_DATABASE_URI=url, UPLOAD_DIR=str(base / "uploads"),
                     OUTBOX_DIR=str(base / "outbox"), INSTANCE_DIR=str(base),
                     SERVER_NAME="onestop.test", SMTP_URL="",
                     CELERY_BROKER_URL=f"sqla+sqlite:///{base / 'broker.sqlite'}")
    with app.app_context():
        db.drop_all()
        db.create_all()
    return app


def _empty_all_tables() -> None:
    tables = list(reversed(db.metadata.sorted_tables))
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(t.name for t in tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        db.session.execute(text("PRAGMA defer_foreign_keys = ON"))  # users and firms refer both ways
        for table in tables:
            db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture
def ctx(app):
    """An app context over an empty database, with no stored files, no sent emails and no
    API calls counted (the count is kept by token id, which SQLite gives out again)."""
    with app.app_context():
        _empty_all_tables()
        app.extensions.pop("api_rate_limiter", None)
        for stored in Path(app.config["UPLOAD_DIR"]).iterdir():
            stored.unlink()
        for sent in Path(app.config["OUTBOX_DIR"]).glob("*.eml"):
            sent.unlink()
        yield app
        db.session.remove()


@pytest.fixture
def world(ctx):
    w = factories.World.build()
    db.session.commit()
    return w


@pytest.fixture
def now() -> datetime:
    return factories.NOW


class Browser:
    """A test client that signs in through the login form and sends CSRF tokens like a browser."""

    def __init__(self, app):
        self.client = app.test_client()
        self.token = None

    def _refresh_token(self, html: str) -> None:
        match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
        if match:
            self.token = match.group(1)

    def _isolated(self, method, url, **kwargs):
        # Each request gets its own app context (and so its own g and db session), as in a
        # real server, even though the test itself holds one open. Buffered: a streamed
        # body (a download) is read inside that context, as the server would send it.
        kwargs.setdefault("buffered", True)
        return contextvars.Context().run(getattr(self.client, method), url, **kwargs)

    def get(self, url, **kwargs):
        response = self._isolated("get", url, **kwargs)
        if response.mimetype == "text/html":
            self._refresh_token(response.get_data(as_text=True))
        return response

    def post(self, url, data=None, *, csrf=True, **kwargs):
        data = dict(data or {})
        if csrf:
            if self.token is None:
                self.get("/login")
            data.setdefault("csrf_token", self.token)
        response = self._isolated("post", url, data=data, **kwargs)
        if response.mimetype == "text/html":
            self._refresh_token(response.get_data(as_text=True))
        return response

    def submit(self, page: str, action: str, data=None):
        """Open a page and send its form for an action, with the version it shows."""
        from tests.web.helpers import version_of

        html = self.get(page).get_data(as_text=True)
        return self.post(f"{page}/{action}", {"version": version_of(html, action), **(data or {})})

    def login(self, email, password=factories.PASSWORD):
        self.get("/login")
        response = self.post("/login", {"email": email, "password": password})
        assert response.status_code == 303, response.get_data(as_text=True)[:500]
        self.get("/")
        return response


@pytest.fixture
def browser(app, world):
    def make(email: str | None = None) -> Browser:
        b = Browser(app)
        if email:
            b.login(email)
        return b

    return make
