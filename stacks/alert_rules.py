"""Synth-time check of the alert rules file: the worker's own reader, with the stage's vocabulary.

A mistake (unknown key, operator, metric, event type, channel, runbook path)
stops synth with a `ConfigError` naming the rule and the key, so a bad rule
never reaches a deploy. The reader is imported from the worker's package
(``lambdas/cron/rule_file.py``, standard library only) so synth and the
worker cannot disagree on what a valid rule is.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

from stacks.config import ConfigError, StageConfig

REPO = Path(__file__).resolve().parent.parent
LAMBDAS = REPO / "lambdas"


def _reader() -> Any:
    if str(LAMBDAS) not in sys.path:
        sys.path.append(str(LAMBDAS))
    return importlib.import_module("cron.rule_file"), importlib.import_module("cron.alert_rules")


def check_rules(cfg: StageConfig) -> Any:
    """The stage's parsed rules file; `ConfigError` naming the rule and key if it is wrong."""
    rule_file, alert_rules = _reader()
    path = rule_file.RULES_DIR / cfg.alerts.rules_file
    try:
        return rule_file.load(
            path,
            vocabulary=alert_rules.Vocabulary(event_types=cfg.events.types),
            runbook_exists=lambda p: (REPO / p).is_file(),
        )
    except rule_file.RuleFileError as exc:
        raise ConfigError(f"config stages.{cfg.stage}.alerts.rules_file: {exc}") from None


def runbook_base_url(cfg: StageConfig) -> str:
    """Where a rule's repository runbook path resolves (the deployed branch on GitHub)."""
    return f"https://github.com/{cfg.deploy.github_repository}/blob/{cfg.deploy.github_branch}/"
