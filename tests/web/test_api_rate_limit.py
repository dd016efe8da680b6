"""The API's rate limit per token is counted in Redis, so two web processes (here two apps,
each with its own limiter) share one count; past it, 429 with Retry-After."""
import contextvars
import os

import pytest
import redis

from onestop import create_app
from onestop.accounts.access_tokens import create_token
from onestop.db import utcnow
from onestop.extensions import db

REDIS_URL = os.environ.get("TEST_RATE_REDIS_URL", "redis://127.0.0.1:6379/6")


@pytest.fixture
def shared_redis():
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError:
        pytest.fail(f"Redis is not reachable at {REDIS_URL}")
    yield
    for key in client.scan_iter("LIMITS:*onestop-api-token*"):
        client.delete(key)


def test_two_web_processes_share_one_count_per_token(app, world, shared_redis, tmp_path):
    secret = create_token(world.desk, "busy", "read", 1, now=utcnow())[1]
    other = create_token(world.univ_staff, "calm", "read", 1, now=utcnow())[1]
    db.session.commit()
    webs = [create_app("test", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                       UPLOAD_DIR=str(tmp_path / "uploads"), API_RATE_LIMIT="4/minute",
                       API_RATE_LIMIT_STORAGE=REDIS_URL) for _ in range(2)]

    def call(web, token):
        return contextvars.Context().run(web.test_client().get, "/api/v1/organizations",
                                         headers={"Authorization": f"Bearer {token}"})

    answers = [call(webs[n % 2], secret).status_code for n in range(5)]
    assert answers == [200, 200, 200, 200, 429]
    refused = call(webs[0], secret)
    assert refused.status_code == 429 and refused.mimetype == "application/problem+json"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert call(webs[1], other).status_code == 200  # another token has its own count
