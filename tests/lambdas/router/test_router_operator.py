"""The operator routes: alert rule states and silences, only with the operator scope."""

from __future__ import annotations

import pytest
from router_events import CLAIMS

from cron import alerts_store, rule_file

OPERATOR = {**CLAIMS, "scope": "openid huntaze/operator"}
ROUTES = {"critical": ["email", "slack"], "warning": ["slack"]}


@pytest.fixture
def operator_env(router_env, monkeypatch, db_conn):
    monkeypatch.setenv("OPERATOR_SCOPE", "huntaze/operator")
    rules = [{"name": "dlq", "kind": "dlq_depth", "severity": "critical"}, {"name": "jobs", "kind": "failed_jobs"}]
    alerts_store.apply_rules(db_conn, rule_file.parse({"routes": ROUTES, "rules": rules}).rules)
    return router_env


def test_an_operator_reads_every_rules_state(operator_env, call):
    answer = call("GET", "/v1/ops/alerts", claims=OPERATOR)

    assert answer.status == 200
    assert [(r["name"], r["severity"], r["state"], r["silenced"]) for r in answer.body["rules"]] == [
        ("dlq", "critical", "unknown", False),
        ("jobs", "warning", "unknown", False),
    ]
    assert answer.body["silences"] == []


def test_an_operator_silences_a_rule_with_an_expiry(operator_env, call):
    created = call("POST", "/v1/ops/alerts/silences", {"rule": "dlq", "hours": 2, "reason": "redrive"}, claims=OPERATOR)

    assert created.status == 201 and created.body["rule"] == "dlq" and created.body["endsAt"] > created.body["startsAt"]
    states = call("GET", "/v1/ops/alerts", claims=OPERATOR).body
    assert [(r["name"], r["silenced"]) for r in states["rules"]] == [("dlq", True), ("jobs", False)]
    assert [(s["rule"], s["reason"], s["createdBy"]) for s in states["silences"]] == [("dlq", "redrive", "user-123")]


def test_a_maintenance_window_mutes_every_rule(operator_env, call):
    created = call("POST", "/v1/ops/alerts/silences", {"hours": 1, "reason": "db upgrade"}, claims=OPERATOR)

    assert created.status == 201 and created.body["rule"] is None
    assert {r["silenced"] for r in call("GET", "/v1/ops/alerts", claims=OPERATOR).body["rules"]} == {True}


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"rule": "nope", "hours": 1, "reason": "x"}, "invalid_silence"),
        ({"rule": "dlq", "hours": 1000, "reason": "x"}, "invalid_request"),
        ({"rule": "dlq", "hours": 1}, "invalid_request"),
        ({"hours": 1, "reason": "  "}, "invalid_silence"),
    ],
    ids=["unknown-rule", "too-long", "no-reason", "blank-reason"],
)
def test_a_bad_silence_is_refused_and_nothing_is_stored(operator_env, call, body, error):
    answer = call("POST", "/v1/ops/alerts/silences", body, claims=OPERATOR)

    assert answer.status == 400 and answer.body["error"] == error
    assert call("GET", "/v1/ops/alerts", claims=OPERATOR).body["silences"] == []


@pytest.mark.parametrize("claims", [CLAIMS, {**CLAIMS, "scope": "huntaze/admin"}], ids=["no-scope", "other-scope"])
def test_without_the_operator_scope_it_is_403(operator_env, call, claims):
    assert call("GET", "/v1/ops/alerts", claims=claims).status == 403
    answer = call("POST", "/v1/ops/alerts/silences", {"hours": 1, "reason": "x"}, claims=claims)
    assert answer.status == 403 and answer.body["error"] == "operator_scope_required"
