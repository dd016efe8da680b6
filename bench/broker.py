"""The benchmarks' Redis broker: BENCH_REDIS_URL, database 9 by default, refused unless empty
or the benchmarks' own; only the keys they write are deleted afterwards."""
import os
import sys

import redis

from onestop.jobs import CONTROL_QUEUE, DELIVERY_QUEUE

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
MARK = "onestop-bench"
# What a Celery worker, the enqueueing and the API's rate limit (onestop/api/rate.py) write
# into the broker's database.
OWN_KEYS = (DELIVERY_QUEUE, CONTROL_QUEUE, "_kombu.*", "unacked*", "LIMITS:*", MARK)


def claim_redis() -> redis.Redis:
    client = redis.Redis.from_url(REDIS_URL)
    if client.dbsize() and not client.exists(MARK):
        sys.exit(f"{REDIS_URL} holds keys the bench did not write: set BENCH_REDIS_URL to an "
                 "empty Redis database")
    clear_own_keys(client)
    client.set(MARK, 1)
    return client


def clear_own_keys(client: redis.Redis) -> None:
    for pattern in OWN_KEYS:
        for key in client.scan_iter(match=pattern):
            client.delete(key)
