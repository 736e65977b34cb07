# Two entry points from a fresh clone: `make synth` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
STAGE ?= dev
VENV := .venv
PY := $(VENV)/bin/python
CHECKOV_VENV := .venv-checkov
NODE_BIN := $(CURDIR)/node_modules/.bin
CDK := $(NODE_BIN)/cdk
export JSII_NODE := $(NODE_BIN)/node
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export PATH := $(NODE_BIN):$(PATH)
# The source roots, as in pyproject's pytest pythonpath and the Lambda assets: the
# tools, the benchmarks and import-linter import the function packages (common,
# router, ...) as top-level packages, exactly as the Lambda runtime does.
export PYTHONPATH := $(CURDIR):$(CURDIR)/lambdas$(if $(PYTHONPATH),:$(PYTHONPATH))
CDK_FLAGS := -c stage=$(STAGE)
# A template diff needs only the read-only lookup role (the PR diff role); set
# CDK_DIFF_FLAGS=--method=auto to let CloudFormation build a change set.
CDK_DIFF_FLAGS ?= --method=template

LOCAL_PORT ?= 8000

.PHONY: help setup synth test lint deploy diff cost bench clean upgrade-check local mutate capacity load

help:
	@echo "make synth   - set up, then cdk synth every stack of STAGE=$(STAGE) (bundled, nag-checked) and print the cost report"
	@echo "make test    - set up, then run the whole test suite"
	@echo "make lint    - ruff check, ruff format --check, import-linter (the layers in pyproject.toml)"
	@echo "make diff    - cdk diff against the deployed STAGE (needs AWS credentials)"
	@echo "make deploy  - cdk deploy --all for STAGE (needs AWS credentials)"
	@echo "make cost    - monthly cost report from the synthesized templates"
	@echo "make upgrade-check [BASE=ref] - offline: would STAGE's update from BASE to this tree fail or lose data?"
	@echo "make bench   - benchmarks (each against its peer, in one run)"
	@echo "make local   - the whole app on this machine (API on LOCAL_PORT=$(LOCAL_PORT)) until Ctrl-C"
	@echo "make mutate [MODULES=\"path ...\"] [CHANGED_SINCE=ref] - mutation score of the core modules (tools/mutate/targets.toml)"
	@echo "make capacity - jobs/hour per worker, where the data tier saturates, the settings and cost of 10x/100x"
	@echo "make load    - locust against make local (started if not running); ends with the audit's lost/duplicated line"

# Installs only what the lock files pin, each file checked against its hash
# (requirements-dev.lock is compiled from requirements*.txt; see its header).
# The .pth puts lambdas/ on this venv's path (what `pip install -e` would write), so
# `python -m tools.ops` imports the functions' code outside make too.
$(VENV)/.installed: requirements-dev.lock
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-dev.lock
	echo "$(CURDIR)/lambdas" > "$$($(PY) -c 'import sysconfig; print(sysconfig.get_path("purelib"))')/huntaze-lambdas.pth"
	touch $@

node_modules/.installed: package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The TypeScript client (clients/typescript) has its own package.json and lockfile;
# its tests run inside `make test` (tests/clients, tests/e2e) on the Node pinned above.
# None of its packages needs an install script, so none runs.
clients/typescript/node_modules/.installed: clients/typescript/package-lock.json node_modules/.installed
	cd clients/typescript && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

# checkov pins dependencies (boto3 among them) that the app's own venv must not
# downgrade, so it gets a venv of its own, from its own hashed lock.
$(CHECKOV_VENV)/.installed: requirements-checkov.lock
	test -x $(CHECKOV_VENV)/bin/python || python3 -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-checkov.lock
	touch $@

setup: $(VENV)/.installed node_modules/.installed clients/typescript/node_modules/.installed $(CHECKOV_VENV)/.installed

synth: setup
	$(CDK) synth $(CDK_FLAGS) --quiet
	$(PY) -m tools.cost --cdk-out cdk.out --stage $(STAGE)

test: setup
	$(PY) -m pytest -n 2 $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

diff: setup
	$(CDK) diff --all $(CDK_FLAGS) $(CDK_DIFF_FLAGS)

deploy: setup
	$(CDK) deploy --all $(CDK_FLAGS) --require-approval never

cost: setup
	@test -d cdk.out || $(CDK) synth $(CDK_FLAGS) --quiet
	$(PY) -m tools.cost --cdk-out cdk.out --stage $(STAGE)

# BASE: a git ref; empty = what the repository last accepted (the merge-base
# with origin/main or main; on main, HEAD~1). See tools/upgrade_check.
BASE ?=
upgrade-check: setup
	$(PY) -m tools.upgrade_check --stage $(STAGE) $(if $(BASE),--base $(BASE))

# Not part of `make test`: each module's tests run once per mutant (minutes).
# MODULES: paths from tools/mutate/targets.toml; CHANGED_SINCE: a git ref, only
# the modules whose source or tests changed since its merge-base.
MODULES ?=
CHANGED_SINCE ?=
mutate: $(VENV)/.installed
	$(PY) -m tools.mutate $(MODULES) $(if $(CHANGED_SINCE),--changed-since $(CHANGED_SINCE))

# Each benchmark ends with its ratio lines; the summary repeats them all, with the wall time (issue 16: < 15 min).
bench: setup
	@set -o pipefail; out=$$(mktemp -d); start=$$SECONDS; \
	for b in bench/bench_*.py; do echo "== $$b"; $(PY) $$b | tee $$out/last || exit 1; grep -E ': [0-9.]+x .*[(]target (>=|<=) [0-9.]+[)]$$' $$out/last >> $$out/summary; done; \
	echo "== summary: $$(ls bench/bench_*.py | wc -l) benchmarks in $$((SECONDS - start)) s"; cat $$out/summary; rm -rf $$out

# The whole app here, no Docker, no AWS: embedded PostgreSQL/Valkey, moto, the
# HTTP API front, the workers and schedules (tools/local). Foreground until Ctrl-C.
local: setup
	LOCAL_PORT=$(LOCAL_PORT) STAGE=$(STAGE) $(PY) -m tools.local run

# Per-job seconds measured by the last `make load` are used where it has them (else the workload profile's).
JOB_SECONDS := docs/performance/job_seconds.json
capacity: $(VENV)/.installed
	$(PY) -m tools.capacity --stage $(STAGE) $(if $(wildcard $(JOB_SECONDS)),--measured $(JOB_SECONDS))

# locust against make local (started here when it is not running); bounded: LOAD_USERS users,
# LOAD_SECONDS seconds, LOAD_MAX_REQUESTS requests. Ends with the audit's `lost: N, duplicated: N`.
load: setup
	$(PY) -m tools.load

clean:
	rm -rf cdk.out .pytest_cache .ruff_cache
