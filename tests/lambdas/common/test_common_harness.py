"""The shared fixtures other test suites rely on."""

from __future__ import annotations

import pytest


@pytest.mark.redis
def test_redis_client_is_on_this_workers_db_and_starts_empty(redis_client, redis_url):
    # Given the worker's Redis DB / When a key is written
    assert redis_client.dbsize() == 0
    redis_client.set("harness:key", "v", ex=30)
    # Then it is readable on the URL other code would use
    import redis

    other = redis.Redis.from_url(redis_url, decode_responses=True)
    assert other.get("harness:key") == "v"
    assert redis_url.rsplit("/", 1)[1] != "0"


@pytest.mark.pg
@pytest.mark.parametrize("round_", [1, 2])
def test_db_conn_starts_from_empty_tables_with_identities_reset(db_conn, round_):
    # Given whatever the previous test left / When a row is added
    assert db_conn.execute("SELECT count(*) AS n FROM content_events").fetchone()["n"] == 0
    row = db_conn.execute(
        "INSERT INTO content_events (account_id, content_id, event_type, occurred_at) "
        "VALUES ('a', 'c', 'view', now()) RETURNING id"
    ).fetchone()
    db_conn.commit()
    # Then identities restart for every test
    assert row["id"] == 1
