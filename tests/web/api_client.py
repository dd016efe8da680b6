"""Calling the API from a test: a case filed, a token made, its header, and a client that
runs each request in its own context, as on a real server."""
import contextvars

from onestop.accounts.access_tokens import create_token
from onestop.cases import services as cases
from onestop.db import utcnow
from onestop.extensions import db

PROBLEM = "application/problem+json"


def file_case(world, title, user=None):
    case = cases.file_case(user or world.firm_a_user, world.hiring_type, title=title,
                           description="d", priority="normal", form_data={}, checked_items=[],
                           files=[], now=utcnow())
    db.session.commit()
    return case


def token(user, scope="write", days=30) -> str:
    secret = create_token(user, "test", scope, days, now=utcnow())[1]
    db.session.commit()
    return secret


def auth(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


class Client:
    """A program calling the API: each request in its own context, as on a real server."""

    def __init__(self, app):
        self.client = app.test_client()

    def get(self, url, **kwargs):
        return contextvars.Context().run(self.client.get, url, **kwargs)

    def post(self, url, **kwargs):
        return contextvars.Context().run(self.client.post, url, **kwargs)

    def put(self, url, **kwargs):
        return contextvars.Context().run(self.client.put, url, **kwargs)

