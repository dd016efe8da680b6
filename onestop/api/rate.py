"""The API's rate limit per token (the `limits` library, a moving window), counted in shared
storage so that every web process sees the same count."""
import math
import time

from flask import current_app
from limits import parse, storage, strategies
from limits.errors import StorageError
from redis.exceptions import RedisError

NAMESPACE = "onestop-api-token"


def _limiter() -> strategies.MovingWindowRateLimiter:
    extensions = current_app.extensions
    if "api_rate_limiter" not in extensions:
        extensions["api_rate_limiter"] = strategies.MovingWindowRateLimiter(
            storage.storage_from_string(current_app.config["API_RATE_LIMIT_STORAGE"]))
    return extensions["api_rate_limiter"]


def wait_seconds(token_id: int) -> int | None:
    """Counts one request of the token: None when it is within its limit, else the seconds
    until the window lets the next one in (Retry-After)."""
    limit = parse(current_app.config["API_RATE_LIMIT"])
    limiter = _limiter()
    try:
        if limiter.hit(limit, NAMESPACE, str(token_id)):
            return None
        reset = limiter.get_window_stats(limit, NAMESPACE, str(token_id)).reset_time
    except (StorageError, RedisError, OSError):
        # The count is out of reach (Redis down): serve, as the pages do, and say so.
        current_app.logger.warning("API rate limit not counted: its storage is out of reach")
        return None
    return max(1, math.ceil(reset - time.time()))
