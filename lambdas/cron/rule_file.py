"""Rules as code: the versioned rules file, read strictly.

The file (``lambdas/cron/rules/<name>.json``, chosen by the stage config's
``alerts.rules_file``) is checked at synth, so a typo stops the deploy with a
message naming the rule and the key, and again by the alerts worker that
ships it and applies it to ``alert_rules``. Standard library only: synth
imports this module.

    {"routes": {"critical": ["email", "slack"], "warning": ["slack"]},
     "rules": [{"name": "...", "kind": "...", "severity": "warning",
                "runbook": "docs/runbooks/x.md", "definition": {...},
                "breaches": 2, "evaluations": 2, "repeat_interval_minutes": 240,
                "keep_firing_minutes": 0, "channels": ["slack"], "enabled": true}]}

``channels`` overrides the severity's route for one rule.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cron.alert_rules import ANY, RuleError, Vocabulary, check

RULES_DIR = Path(__file__).with_name("rules")
CHANNELS = ("email", "slack")
SEVERITIES = ("critical", "warning")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_DEFAULTS = {
    "severity": "warning",
    "breaches": 2,
    "evaluations": 2,
    "repeat_interval_minutes": 240,
    "keep_firing_minutes": 0,
    "enabled": True,
}


class RuleFileError(ValueError):
    """The rules file is wrong; the message names the rule and the key."""


@dataclass(frozen=True)
class RuleSpec:
    """One rule as the file gives it, with the channels its severity routes to."""

    name: str
    kind: str
    definition: dict[str, Any]
    severity: str
    channels: tuple[str, ...]
    runbook: str | None
    breaches: int
    evaluations: int
    repeat_interval_seconds: int
    keep_firing_seconds: int
    enabled: bool = True


@dataclass(frozen=True)
class RuleFile:
    routes: dict[str, tuple[str, ...]]
    rules: tuple[RuleSpec, ...] = field(default_factory=tuple)


def load(path: Path, *, vocabulary: Vocabulary = ANY, runbook_exists: Callable[[str], bool] | None = None) -> RuleFile:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RuleFileError(f"{path.name}: cannot read the rules file ({exc})") from None
    return parse(raw, vocabulary=vocabulary, runbook_exists=runbook_exists, source=path.name)


def parse(
    raw: Any,
    *,
    vocabulary: Vocabulary = ANY,
    runbook_exists: Callable[[str], bool] | None = None,
    source: str = "rules",
) -> RuleFile:
    if not isinstance(raw, Mapping):
        raise RuleFileError(f"{source}: must be an object with 'routes' and 'rules'")
    _known(raw, ("routes", "rules"), f"{source}")
    routes = _routes(raw.get("routes"), source)
    items = raw.get("rules")
    if not isinstance(items, list):
        raise RuleFileError(f"{source}: 'rules' must be a list")
    rules: list[RuleSpec] = []
    for index, item in enumerate(items):
        name = item.get("name") if isinstance(item, Mapping) else None
        where = f"{source}: rule {name!r}" if isinstance(name, str) else f"{source}: rules[{index}]"
        try:
            rules.append(_rule(item, routes, vocabulary, runbook_exists))
        except RuleError as exc:
            raise RuleFileError(f"{where}: {exc}") from None
    names = [r.name for r in rules]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate:
        raise RuleFileError(f"{source}: rule {duplicate!r}: 'name' is used by more than one rule")
    return RuleFile(routes, tuple(rules))


def _known(raw: Mapping[str, Any], keys: Collection[str], where: str) -> None:
    unknown = sorted(set(raw) - set(keys))
    if unknown:
        raise RuleFileError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(keys))})")


def _routes(raw: Any, source: str) -> dict[str, tuple[str, ...]]:
    if not isinstance(raw, Mapping) or set(raw) != set(SEVERITIES):
        raise RuleFileError(f"{source}: 'routes' must give the channels of each severity ({', '.join(SEVERITIES)})")
    for severity, channels in raw.items():
        try:
            _channels(channels)
        except RuleError as exc:
            raise RuleFileError(f"{source}: routes.{severity}: {exc}") from None
    return {severity: tuple(raw[severity]) for severity in SEVERITIES}


def _channels(raw: Any) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(c, str) for c in raw):
        raise RuleError("'channels' must be a list of channel names")
    for channel in raw:
        if channel not in CHANNELS:
            raise RuleError(f"'channels': unknown channel {channel!r} (known: {', '.join(CHANNELS)})")
    return tuple(dict.fromkeys(raw))


def _rule(
    raw: Any,
    routes: Mapping[str, tuple[str, ...]],
    vocabulary: Vocabulary,
    runbook_exists: Callable[[str], bool] | None,
) -> RuleSpec:
    if not isinstance(raw, Mapping):
        raise RuleError("must be an object")
    keys = ("name", "kind", "definition", "runbook", "channels", *_DEFAULTS)
    unknown = sorted(set(raw) - set(keys))
    if unknown:
        raise RuleError(f"unknown key {unknown[0]!r} (known: {', '.join(sorted(keys))})")
    name = raw.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise RuleError("'name' must be 1-64 of a-z, 0-9, '-', '_'")
    kind = raw.get("kind")
    if not isinstance(kind, str):
        raise RuleError("'kind' is required")
    check(kind, raw.get("definition", {}), vocabulary)
    v = {**_DEFAULTS, **{k: raw[k] for k in _DEFAULTS if k in raw}}
    if v["severity"] not in SEVERITIES:
        raise RuleError(f"'severity' must be one of {', '.join(SEVERITIES)}; got {v['severity']!r}")
    for key, low, high in (
        ("breaches", 1, 60),
        ("evaluations", 1, 60),
        ("repeat_interval_minutes", 5, 7 * 24 * 60),
        ("keep_firing_minutes", 0, 24 * 60),
    ):
        if isinstance(v[key], bool) or not isinstance(v[key], int) or not low <= v[key] <= high:
            raise RuleError(f"'{key}' must be a whole number from {low} to {high}; got {v[key]!r}")
    if v["breaches"] > v["evaluations"]:
        raise RuleError(f"'breaches' ({v['breaches']}) cannot exceed 'evaluations' ({v['evaluations']})")
    if not isinstance(v["enabled"], bool):
        raise RuleError("'enabled' must be true or false")
    return RuleSpec(
        name=name,
        kind=kind,
        definition=dict(raw.get("definition", {})),
        severity=v["severity"],
        channels=_channels(raw["channels"]) if "channels" in raw else routes[v["severity"]],
        runbook=_runbook(raw.get("runbook"), runbook_exists),
        breaches=v["breaches"],
        evaluations=v["evaluations"],
        repeat_interval_seconds=v["repeat_interval_minutes"] * 60,
        keep_firing_seconds=v["keep_firing_minutes"] * 60,
        enabled=v["enabled"],
    )


def _runbook(raw: Any, exists: Callable[[str], bool] | None) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str) or not raw:
        raise RuleError("'runbook' must be a URL or a path in the repository")
    if not raw.startswith("https://") and exists is not None and not exists(raw):
        raise RuleError(f"'runbook': no file {raw!r} in the repository")
    return raw
