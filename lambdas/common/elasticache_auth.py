"""ElastiCache (Valkey) IAM authentication: a redis-py credential provider.

The cache has no password. Its user group holds one user with IAM
authentication; a client presents that user's name and, as the password, an
IAM auth token: a SigV4-presigned ``GET https://<cache>/?Action=connect&User=<user>``
for the ``elasticache`` service (signed locally by botocore: no AWS call), with
the scheme stripped, as AWS documents for ElastiCache IAM auth. ElastiCache
accepts a token for 15 minutes, and only when a connection opens (it then
ends connections after 12 hours), so a container reuses one until shortly
before it expires. The caller needs ``elasticache:Connect`` on the
replication group and on the user.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from redis.credentials import CredentialProvider

TOKEN_LIFETIME_S = 15 * 60
RENEW_BEFORE_EXPIRY_S = 60


def auth_token(user: str, cache_name: str, region: str, *, session: Any = None) -> str:
    """A fresh IAM auth token for ``user`` on the replication group ``cache_name``."""
    import botocore.session
    from botocore.model import ServiceId
    from botocore.signers import RequestSigner

    session = session or botocore.session.get_session()
    signer = RequestSigner(
        ServiceId("elasticache"),
        region,
        "elasticache",
        "v4",
        session.get_credentials(),
        session.get_component("event_emitter"),
    )
    query = urlencode({"Action": "connect", "User": user})
    request = {"method": "GET", "url": f"https://{cache_name}/?{query}", "body": {}, "headers": {}, "context": {}}
    url = signer.generate_presigned_url(
        request, operation_name="connect", expires_in=TOKEN_LIFETIME_S, region_name=region
    )
    return url.removeprefix("https://")


class IamCredentialProvider(CredentialProvider):
    """(user, token) for each new connection; one token per container until it nears expiry."""

    def __init__(
        self,
        user: str,
        cache_name: str,
        region: str,
        *,
        token: Callable[[], str] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.user = user
        self.cache_name = cache_name
        self.region = region
        self._token = token or (lambda: auth_token(user, cache_name, region))
        self._clock = clock
        self._cached: tuple[str, float] | None = None

    def get_credentials(self) -> tuple[str, str]:
        now = self._clock()
        if self._cached is None or now >= self._cached[1]:
            self._cached = (self._token(), now + TOKEN_LIFETIME_S - RENEW_BEFORE_EXPIRY_S)
        return self.user, self._cached[0]
