"""The router when the database falls silent (packets dropped, nothing reset: a failover, a network hiccup)."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from common import db, settings

pytestmark = pytest.mark.pg

# API Gateway's HTTP API answers 503 itself when the integration has not answered by then.
API_GATEWAY_LIMIT_S = 30


def test_a_request_after_the_database_fell_silent_is_503_well_inside_the_api_limit(
    call, silent_database_env, monkeypatch
):
    # Given the router's connection made through a path that can fall silent, and requests that
    # check it first (as after any pause of the container)
    monkeypatch.setattr(db, "PING_AFTER_IDLE_S", 0.0)
    assert call("GET", f"/v1/jobs/{uuid.uuid4()}").status == 404
    stage = settings.database_settings()
    # When the network drops everything and the next request arrives
    silent_database_env.silence()
    pool = ThreadPoolExecutor(1)  # not waited for: a hung request must fail the test, not hang it
    try:
        started = time.monotonic()
        answer = pool.submit(call, "GET", f"/v1/jobs/{uuid.uuid4()}").result(timeout=API_GATEWAY_LIMIT_S)
        took = time.monotonic() - started
    finally:
        pool.shutdown(wait=False)
    # Then the dead connection is given up within the dead-peer bound, a new one within the connect
    # timeout, and the caller is told to retry: at most half of API Gateway's limit
    assert (answer.status, answer.body["error"], answer.headers["Retry-After"]) == (503, "db_unavailable", "5")
    assert took < stage.dead_peer_timeout_s + stage.connect_timeout_s <= API_GATEWAY_LIMIT_S / 2
