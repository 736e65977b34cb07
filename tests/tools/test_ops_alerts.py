"""Ops CLI alerts commands with --database-url against the real test database (the ops function runs the same actions)."""

from __future__ import annotations

import io
import json

from cron import alerts_store, rule_file
from tools.ops.cli import main

ROUTES = {"critical": ["email", "slack"], "warning": ["slack"]}


def _run(database_url, *args) -> tuple[int, object]:
    out = io.StringIO()
    code = main(["--stage", "dev", "alerts", *args, "--database-url", database_url], out=out)
    return code, (json.loads(out.getvalue()) if out.getvalue() else None)


def _rules(conn, *names):
    rules = [{"name": n, "kind": "dlq_depth", "runbook": "docs/runbooks/dlq-messages.md"} for n in names]
    alerts_store.apply_rules(conn, rule_file.parse({"routes": ROUTES, "rules": rules}).rules)


def test_state_lists_every_rule_before_and_after_a_silence(db_conn, database_url):
    # Given two rules never evaluated yet
    _rules(db_conn, "a", "b")

    # When one is silenced for two hours
    code, silence = _run(database_url, "silence", "b", "--hours", "2", "--reason", "known outage")
    assert code == 0 and silence["rule"] == "b" and silence["reason"] == "known outage"
    code, states = _run(database_url, "state")

    # Then the state lists both rules, with the silenced one marked
    assert code == 0
    assert [(s["name"], s["state"], s["severity"], s["silenced"]) for s in states] == [
        ("a", "unknown", "warning", False),
        ("b", "unknown", "warning", True),
    ]


def test_a_maintenance_window_silences_every_rule_until_ended(db_conn, database_url):
    _rules(db_conn, "a")
    code, window = _run(database_url, "silence", "--all", "--hours", "1", "--reason", "db upgrade")
    assert code == 0 and window["rule"] is None
    assert [s["silenced"] for s in _run(database_url, "state")[1]] == [True]

    code, ended = _run(database_url, "unsilence", str(window["id"]))

    assert code == 0 and ended == {"silenceId": window["id"], "ended": True}
    assert _run(database_url, "silences")[1] == []
    assert [s["silenced"] for s in _run(database_url, "state")[1]] == [False]


def test_silencing_an_unknown_rule_is_refused(db_conn, database_url, capsys):
    code, out = _run(database_url, "silence", "nope", "--hours", "1", "--reason", "x")
    assert code == 2 and out is None
    assert "no alert rule is named 'nope'" in capsys.readouterr().err
