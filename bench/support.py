"""What the benchmarks share: a throwaway migrated database, the router's environment, a Lambda context.

The benchmarks call the real handlers, which read every setting from the
environment with no defaults of their own; `router_env` builds it from the dev
stage's config the way the stacks and the tests do (tools/function_env.py), so
a new setting cannot leave the benchmarks behind. The database comes from
TEST_PG_ADMIN_DSN, else the PostgreSQL on 127.0.0.1:5432, else an embedded one
(pgserver), and the cache likewise (REDIS_URL, :6379, embedded Valkey), as in the
test harness.
"""

from __future__ import annotations

import contextlib
import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for _path in (str(ROOT), str(ROOT / "lambdas")):
    if _path not in sys.path:
        sys.path.insert(0, _path)

LOCAL_ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
REGION = "us-east-2"


@contextlib.contextmanager
def scratch_database(prefix: str, *, migrated: bool = True) -> Iterator[str]:
    """A new database (with the app's migrations applied), dropped afterwards: its DSN."""
    from tools.local import services

    with services.postgres(os.environ.get("TEST_PG_ADMIN_DSN") or LOCAL_ADMIN_DSN) as admin:
        name = f"{prefix}_{uuid.uuid4().hex[:8]}"
        with services.scratch_database(admin, name, migrated=migrated) as dsn:
            yield dsn


@contextlib.contextmanager
def redis_url(db: int) -> Iterator[str]:
    """A Valkey/Redis URL: REDIS_URL, else the server on TEST_REDIS_HOST:TEST_REDIS_PORT
    (127.0.0.1:6379), else an embedded Valkey."""
    from tools.local import services

    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    address = os.environ.get("TEST_REDIS_HOST", "127.0.0.1"), int(os.environ.get("TEST_REDIS_PORT", "6379"))
    with services.valkey(*address) as (host, port):
        yield f"redis://{host}:{port}/{db}"


def router_env(**deployment: str) -> dict[str, str]:
    """The router's environment as the dev stage deploys it, plus ``deployment``'s values
    (DATABASE_URL, REDIS_URL, QUEUE_URL_*, ...): what only a deployment knows."""
    from tools import function_env

    return {
        **function_env.router(),
        **function_env.database("router"),
        "AWS_DEFAULT_REGION": REGION,
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "UPLOADS_BUCKET": "bench-uploads",
        **deployment,
    }


class LambdaContext:
    """The attributes of Lambda's context object that the handlers and Powertools read."""

    function_name = "router"
    memory_limit_in_mb = 512
    aws_request_id = "bench"
    invoked_function_arn = f"arn:aws:lambda:{REGION}:123456789012:function:router"

    def get_remaining_time_in_millis(self) -> int:
        return 29_000


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank ``q`` quantile (0 <= q <= 1) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]
