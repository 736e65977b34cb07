"""RDS IAM auth tokens for the function's own database role, cached per container.

A token is a presigned URL (signed locally by botocore's signer, see
`common.aws_sigv4`: no AWS call, no boto3 client) that RDS accepts as the
password for 15 minutes. It is only checked when a connection opens, so a
container reuses one until shortly before it expires, and a token RDS
rejected is replaced at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from common.settings import RdsEndpoint

# RDS accepts a token for 15 minutes; renew it a minute early so a connect that
# starts just before expiry does not present a stale one.
TOKEN_LIFETIME_S = 15 * 60
RENEW_BEFORE_EXPIRY_S = 60

_cache: dict[RdsEndpoint, tuple[str, float]] = {}


def sign(endpoint: RdsEndpoint) -> str:
    """A new token for ``endpoint.user`` (the region's, or the function's when it has none)."""
    from common import aws_sigv4

    return aws_sigv4.rds_auth_token(endpoint.host, endpoint.port, endpoint.user, endpoint.region)


def auth_token(
    endpoint: RdsEndpoint,
    *,
    refresh: bool = False,
    clock: Callable[[], float] = time.monotonic,
    signer: Callable[[RdsEndpoint], str] = sign,
) -> str:
    """A token for ``endpoint.user``: the cached one while it has over a minute left."""
    now = clock()
    cached = _cache.get(endpoint)
    if cached is not None and not refresh and now < cached[1]:
        return cached[0]
    token = signer(endpoint)
    _cache[endpoint] = (token, now + TOKEN_LIFETIME_S - RENEW_BEFORE_EXPIRY_S)
    return token


def clear_cache() -> None:
    _cache.clear()
