"""ElastiCache IAM auth: the SigV4-presigned token, its per-container cache, and redis-py logging in with it."""

from __future__ import annotations

import uuid
from urllib.parse import parse_qs, urlsplit

import botocore.session
import pytest
import redis

from common import elasticache_auth
from common.elasticache_auth import IamCredentialProvider, auth_token


def _session(secret: str = "secret-1") -> botocore.session.Session:
    session = botocore.session.get_session()
    session.set_credentials("AKIDEXAMPLE", secret)
    return session


def test_token_is_a_presigned_connect_request_without_its_scheme():
    # Given static credentials / When a token is made for a user on a replication group
    token = auth_token("hz-router", "huntaze-dev-cache-rg", "us-east-2", session=_session())
    # Then it is host + query of a SigV4-presigned GET ?Action=connect&User=..., scheme stripped
    assert not token.startswith(("https://", "http://"))
    parts = urlsplit("https://" + token)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert parts.hostname == "huntaze-dev-cache-rg" and parts.path == "/"
    assert (query["Action"], query["User"]) == ("connect", "hz-router")
    assert query["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    assert query["X-Amz-Credential"].startswith("AKIDEXAMPLE/") and query["X-Amz-Credential"].endswith(
        "/us-east-2/elasticache/aws4_request"
    )
    assert query["X-Amz-Expires"] == "900" and len(query["X-Amz-Signature"]) == 64


def test_signature_depends_on_the_user_and_the_secret_key():
    base = auth_token("hz-router", "rg", "us-east-2", session=_session())

    def signature(token: str) -> str:
        return parse_qs(urlsplit("https://" + token).query)["X-Amz-Signature"][0]

    assert signature(auth_token("other-user", "rg", "us-east-2", session=_session())) != signature(base)
    assert signature(auth_token("hz-router", "rg", "us-east-2", session=_session("secret-2"))) != signature(base)


def test_provider_reuses_a_token_until_a_minute_before_expiry():
    # Given a provider whose tokens are counted, on a controllable clock
    now, made = [0.0], []

    def token() -> str:
        made.append(f"t{len(made)}")
        return made[-1]

    provider = IamCredentialProvider("hz-router", "rg", "us-east-2", token=token, clock=lambda: now[0])
    # When connections open 13 minutes apart / Then they share one token
    assert provider.get_credentials() == ("hz-router", "t0")
    now[0] = 13 * 60
    assert provider.get_credentials() == ("hz-router", "t0")
    # And one opening 14 minutes after the token was made (15-minute lifetime) gets a new one
    now[0] = 14 * 60
    assert provider.get_credentials() == ("hz-router", "t1")


@pytest.fixture
def acl_user(redis_server):
    """A Valkey ACL user whose password stands in for an IAM token (ElastiCache checks the token itself)."""
    host, port = redis_server
    admin = redis.Redis(host=host, port=port)
    name, password = f"iam-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    admin.acl_setuser(name, enabled=True, passwords=[f"+{password}"], keys=["*"], commands=["+@all"])
    yield host, port, name, password
    admin.acl_deluser(name)
    admin.close()


def test_redis_logs_in_as_the_user_with_the_providers_token(acl_user):
    host, port, name, password = acl_user
    # Given a client whose credentials come from the IAM provider
    good = IamCredentialProvider(name, "rg", "us-east-2", token=lambda: password)
    client = redis.Redis(host=host, port=port, credential_provider=good)
    # Then it is logged in as that user
    assert client.acl_whoami() in (name, name.encode())
    client.close()
    # And a wrong token is refused at connect
    bad = redis.Redis(
        host=host, port=port, credential_provider=IamCredentialProvider(name, "rg", "x", token=lambda: "no")
    )
    with pytest.raises(redis.AuthenticationError):
        bad.ping()


def test_router_cache_client_signs_as_the_configured_user(monkeypatch):
    from common import settings
    from router import cache

    # Given the environment the Data stack sets in AWS
    monkeypatch.delenv("REDIS_URL", raising=False)
    for name, value in {
        "REDIS_HOST": "master.example.cache.amazonaws.com",
        "REDIS_PORT": "6379",
        "REDIS_TLS": "true",
        "REDIS_IAM_USER": "huntaze-dev-router",
        "REDIS_CACHE_NAME": "rg-1",
        "AWS_REGION": "us-east-2",
    }.items():
        monkeypatch.setenv(name, value)
    settings.reset()
    try:
        # When the router builds its cache client (no connection is opened yet)
        client = cache.connect_from_settings()
        kwargs = client.connection_pool.connection_kwargs
        provider = kwargs["credential_provider"]
        # Then it connects over TLS with no password, signing tokens for that user and cache
        assert isinstance(provider, elasticache_auth.IamCredentialProvider)
        assert (provider.user, provider.cache_name, provider.region) == ("huntaze-dev-router", "rg-1", "us-east-2")
        assert kwargs.get("password") is None and client.connection_pool.connection_class.__name__ == "SSLConnection"
    finally:
        settings.reset()
