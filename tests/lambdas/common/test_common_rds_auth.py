"""A function's own database role over IAM auth: the token, its cache, the TLS settings."""

from __future__ import annotations

import ssl
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import psycopg
import pytest

from common import db, rds_auth
from common.settings import RDS_CA_BUNDLE, DatabaseSettings, RdsEndpoint
from tools import function_env

ENDPOINT = RdsEndpoint(host="db.internal", port=5432, dbname="huntaze", user="huntaze_video", region="us-east-2")


class _CountingSigner:
    """The real signer, counting the tokens it signs."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, endpoint: RdsEndpoint) -> str:
        self.calls += 1
        return rds_auth.sign(endpoint)


@pytest.fixture(autouse=True)
def _empty_token_cache():
    rds_auth.clear_cache()
    yield
    rds_auth.clear_cache()


def test_settings_with_host_and_user_log_in_as_that_role():
    s = DatabaseSettings.from_env(
        {
            **function_env.database("video"),
            "DB_HOST": "db.internal",
            "DB_PORT": "5432",
            "DB_USER": "huntaze_video",
            "DB_NAME": "huntaze",
            "AWS_REGION": "us-east-2",
        }
    )
    assert (s.iam, s.secret_arn, s.url) == (ENDPOINT, None, None)


def test_a_role_wins_over_the_master_secret():
    s = DatabaseSettings.from_env(
        {
            **function_env.database("ops"),
            "DB_HOST": "h",
            "DB_PORT": "5432",
            "DB_NAME": "huntaze",
            "DB_USER": "huntaze_ops",
            "DB_SECRET_ARN": "arn:master",
        }
    )
    assert s.secret_arn is None and s.iam is not None and s.iam.user == "huntaze_ops"


def test_token_is_signed_for_the_role_host_and_region(aws):
    # When a token is made with the function's (fake) credentials
    token = rds_auth.auth_token(ENDPOINT)
    # Then it is RDS's presigned connect request for exactly this user and host
    url = urlsplit(f"https://{token}")
    query = parse_qs(url.query)
    assert (url.hostname, url.port) == ("db.internal", 5432)
    assert query["Action"] == ["connect"] and query["DBUser"] == ["huntaze_video"]
    assert query["X-Amz-Credential"][0].split("/")[2:4] == ["us-east-2", "rds-db"]
    assert query["X-Amz-Expires"] == ["900"]


def test_token_is_reused_until_a_minute_before_it_expires(aws):
    # Given a clock the test moves
    now = [1000.0]
    rds = _CountingSigner()

    def token() -> str:
        return rds_auth.auth_token(ENDPOINT, clock=lambda: now[0], signer=rds)

    first = token()
    # When 13 minutes 59 seconds pass, the same token serves
    now[0] += 14 * 60 - 1
    assert token() == first and rds.calls == 1
    # When the 14th minute is reached, a new one is signed
    now[0] += 1
    token()
    assert rds.calls == 2


def test_refresh_signs_a_new_token_at_once(aws):
    rds = _CountingSigner()
    rds_auth.auth_token(ENDPOINT, signer=rds)
    rds_auth.auth_token(ENDPOINT, signer=rds, refresh=True)
    assert rds.calls == 2


def test_conninfo_for_a_role_uses_its_token_and_verifies_the_server(aws):
    # Given a function configured for its own role
    settings = DatabaseSettings(
        url=None,
        secret_arn=None,
        connect_timeout_s=5,
        application_name="video",
        statement_timeout_ms=60_000,
        lock_timeout_ms=10_000,
        idle_in_transaction_timeout_ms=60_000,
        dead_peer_timeout_s=10,
        iam=ENDPOINT,
    )
    # When the connection string is built
    info = psycopg.conninfo.conninfo_to_dict(db.conninfo(settings))
    # Then the password is the role's IAM token and TLS is verified against the RDS CAs
    assert (info["user"], info["host"], info["dbname"]) == ("huntaze_video", "db.internal", "huntaze")
    assert info["password"] == rds_auth.auth_token(ENDPOINT)
    assert (info["sslmode"], info["sslrootcert"]) == ("verify-full", RDS_CA_BUNDLE)


def test_the_shipped_ca_bundle_holds_the_rds_roots_of_this_region():
    # The bundle sits beside common/ so the bundler ships it in every asset.
    assert Path(RDS_CA_BUNDLE).parent == Path(db.__file__).parent
    context = ssl.create_default_context(cafile=RDS_CA_BUNDLE)
    names = {dict(part[0] for part in cert["subject"])["commonName"] for cert in context.get_ca_certs()}
    assert {f"Amazon RDS us-east-2 Root CA {kind} G1" for kind in ("RSA2048", "RSA4096", "ECC384")} <= names
