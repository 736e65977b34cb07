"""Offline upgrade check: would an update of the deployed templates fail, or lose data, in CloudFormation?

It compares a base and a changed set of templates using the create-only
properties of the CloudFormation resource schemas (shipped with cfn-lint) and
fails when the update would replace a resource with a fixed name, replace a
stateful resource, change an export another stack imports, or delete (or
move) a retained resource. See ``plan`` (what the update does, and what a
later deploy may do on its own: a create-only property that follows an SSM
parameter), ``rules`` (which of that fails) and ``report`` (printed like ``cdk diff``).

Where the base comes from:

- Pull requests (ci.yml) and ``make upgrade-check``: the base commit is
  synthesized (``synth``), both stages in CI, ~10 s per stage and side. This is
  the exact check; CI fetches the history it needs.
- ``make test`` (tests/infra/test_upgrade_check.py): the base is the dev
  stage as the base commit's own syrupy snapshots record it
  (tests/infra/__snapshots__/test_snapshots.ambr, read with ``git show``,
  ``snapshots``). Those are committed baseline templates the repository
  already keeps and reviews, with code hashes masked, so the suite pays no
  second synth and keeps no second copy of the templates; reading one file at
  a commit also works in a shallow clone, which falls back to HEAD's snapshot
  (the working tree against the last commit). The change is the dev app the
  session has already synthesized. A synth of the base commit in a temp
  worktree would cover prod too, but would add 10-20 s to every run and
  fail in shallow clones; prod is covered by the pull-request check.
"""

from __future__ import annotations

from dataclasses import dataclass

from tools.upgrade_check.plan import Plan, Templates, plan
from tools.upgrade_check.report import render
from tools.upgrade_check.rules import Finding, findings, load_acknowledgements, unacknowledged


@dataclass(frozen=True)
class CheckResult:
    plan: Plan
    findings: list[Finding]
    failing: list[Finding]
    text: str


def check(base: Templates, change: Templates, region: str) -> CheckResult:
    """Plan the update from ``base`` to ``change`` and judge it against the acknowledged findings."""
    result = plan(base, change, region)
    found = findings(result, region)
    acks = load_acknowledgements()
    return CheckResult(result, found, unacknowledged(found, acks), render(result, found, acks))
