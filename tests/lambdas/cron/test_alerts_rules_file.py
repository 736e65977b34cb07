"""Rules as code: a mistake in the rules file is an error naming the rule and the key."""

from __future__ import annotations

import json

import pytest

from cron import alert_rules, rule_file
from stacks.alert_rules import check_rules
from stacks.config import ConfigError, load_stage_config

ROUTES = {"critical": ["email", "slack"], "warning": ["slack"]}
VOCABULARY = alert_rules.Vocabulary(event_types=("view", "like"))


def parse(*rules):
    return rule_file.parse({"routes": ROUTES, "rules": list(rules)}, vocabulary=VOCABULARY)


@pytest.mark.parametrize(
    ("rule", "error"),
    [
        (
            {"name": "low", "kind": "threshold", "definition": {"event_type": "view", "operator": "<", "value": 50}},
            "rule 'low': unknown key 'operator' in 'definition'",
        ),
        (
            {"name": "quiet", "kind": "no_data", "definition": {"event_type": "view", "window_hour": 24}},
            "rule 'quiet': unknown key 'window_hour' in 'definition'",
        ),
        (
            {"name": "typo", "kind": "no_data", "definition": {"event_type": "veiw"}},
            "rule 'typo': 'event_type' must be one of like, view; got 'veiw'",
        ),
        (
            {"name": "op", "kind": "threshold", "definition": {"event_type": "view", "op": "!=", "value": 1}},
            "rule 'op': 'op' must be one of",
        ),
        (
            {"name": "m", "kind": "threshold", "definition": {"event_type": "view", "metric": "sum", "value": 1}},
            "rule 'm': 'metric' must be one of event_count, value_sum; got 'sum'",
        ),
        ({"name": "k", "kind": "treshold"}, "rule 'k': unknown kind 'treshold'"),
        ({"name": "c", "kind": "dlq_depth", "channels": ["pager"]}, "rule 'c': 'channels': unknown channel 'pager'"),
        (
            {"name": "s", "kind": "dlq_depth", "severity": "high"},
            "rule 's': 'severity' must be one of critical, warning",
        ),
        ({"name": "x", "kind": "dlq_depth", "cooldown": 60}, "rule 'x': unknown key 'cooldown'"),
        ({"name": "n", "kind": "dlq_depth", "breaches": 3, "evaluations": 2}, "rule 'n': 'breaches' (3) cannot exceed"),
    ],
    ids=["operator", "window_hour", "event-type", "op", "metric", "kind", "channel", "severity", "rule-key", "n-of-m"],
)
def test_a_typo_is_an_error_naming_the_rule_and_the_key(rule, error):
    with pytest.raises(rule_file.RuleFileError) as err:
        parse(rule)
    assert error in str(err.value)


def test_severity_routes_unless_the_rule_names_its_channels():
    parsed = parse(
        {"name": "a", "kind": "dlq_depth", "severity": "critical"},
        {"name": "b", "kind": "dlq_depth"},
        {"name": "c", "kind": "dlq_depth", "severity": "critical", "channels": ["email"]},
    )
    assert [r.channels for r in parsed.rules] == [("email", "slack"), ("slack",), ("email",)]


def test_a_runbook_path_must_exist_in_the_repository():
    with pytest.raises(rule_file.RuleFileError, match="rule 'r': 'runbook': no file 'docs/nope.md'"):
        rule_file.parse(
            {"routes": ROUTES, "rules": [{"name": "r", "kind": "dlq_depth", "runbook": "docs/nope.md"}]},
            runbook_exists=lambda path: False,
        )


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_the_shipped_rules_pass_synth_and_cover_the_apps_health(cdk_json_config, stage):
    rules = check_rules(load_stage_config(cdk_json_config, stage)).rules
    assert {r.kind for r in rules} >= {"dlq_depth", "failed_jobs", "analyses", "ai_spend"}
    assert all(r.runbook for r in rules)


def test_synth_stops_on_a_bad_rules_file(cdk_json_config, tmp_path, monkeypatch):
    bad = {
        "routes": ROUTES,
        "rules": [
            {"name": "low", "kind": "threshold", "definition": {"event_type": "view", "operator": "<", "value": 5}}
        ],
    }
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    monkeypatch.setattr(rule_file, "RULES_DIR", tmp_path)
    cfg = load_stage_config(
        {**cdk_json_config, "defaults": {**cdk_json_config["defaults"], "alerts": {"rules_file": "bad.json"}}}, "dev"
    )
    with pytest.raises(
        ConfigError, match=r"stages.dev.alerts.rules_file: bad.json: rule 'low': unknown key 'operator'"
    ):
        check_rules(cfg)


@pytest.fixture
def cdk_json_config():
    from pathlib import Path

    return json.loads((Path(__file__).parents[3] / "cdk.json").read_text())["context"]["config"]
