"""Stage config: every bad value stops synth with one message naming its key."""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys

import pytest

from stacks.config import ConfigError, load_stage_config
from tests.infra.conftest import CDK_CONTEXT, ROOT

CONFIG = CDK_CONTEXT["config"]


def _with(stage: str, **overrides) -> dict:
    config = copy.deepcopy(CONFIG)
    block = config["stages"][stage]
    for dotted, value in overrides.items():
        *path, leaf = dotted.split("__")
        node = block
        for key in path:
            node = node.setdefault(key, {})
        node[leaf] = value
    return config


def test_dev_stage_loads_with_budget_defaults():
    # Given the shipped cdk.json, When the dev stage loads
    cfg = load_stage_config(CONFIG, "dev", environ={})
    # Then it is the budget shape the project targets
    assert cfg.region == "us-east-2"
    assert cfg.network.nat_mode == "instance"
    assert cfg.network.availability_zones == ("us-east-2a", "us-east-2b")
    assert cfg.data.db_instance_class == "t4g.micro"
    assert int(cfg.data.db_engine_major) >= 16
    assert cfg.retain_data is False


def test_prod_stage_keeps_its_data():
    cfg = load_stage_config(CONFIG, "prod", environ={})
    assert cfg.retain_data is True


def _without_region() -> dict:
    config = copy.deepcopy(CONFIG)
    config["defaults"].pop("region")
    return config


def test_account_and_region_fall_back_to_cdk_defaults():
    # Given a config that sets no account/region, When the CDK CLI provides CDK_DEFAULT_*
    cfg = load_stage_config(
        _without_region(), "dev", environ={"CDK_DEFAULT_ACCOUNT": "123456789012", "CDK_DEFAULT_REGION": "eu-west-1"}
    )
    # Then both come from the environment, and the AZs follow the region
    assert (cfg.account, cfg.region) == ("123456789012", "eu-west-1")
    assert cfg.network.availability_zones == ("eu-west-1a", "eu-west-1b")


def test_region_defaults_to_us_east_2_without_any_setting():
    assert load_stage_config(_without_region(), "dev", environ={}).region == "us-east-2"


def test_the_shipped_stages_pin_their_region():
    # The CLI sets CDK_DEFAULT_REGION=us-east-1 when nothing is configured; the shipped
    # stages name us-east-2 (the region the cost report prices) so every machine synthesizes the same app.
    for stage in ("dev", "prod"):
        assert load_stage_config(CONFIG, stage, environ={"CDK_DEFAULT_REGION": "us-east-1"}).region == "us-east-2"


@pytest.mark.parametrize(
    ("config", "stage", "expected"),
    [
        (CONFIG, "staging", "unknown stage 'staging'; known stages: dev, prod"),
        (
            _with("dev", monitoring__alert_email="not-an-email"),
            "dev",
            "stages.dev.monitoring.alert_email: 'not-an-email' is not an email address",
        ),
        (
            _with("dev", monitoring__monthly_budget_usd=0),
            "dev",
            "stages.dev.monitoring.monthly_budget_usd: must be greater than 0",
        ),
        (
            _with("dev", monitoring__monthly_budget_usd=-5),
            "dev",
            "stages.dev.monitoring.monthly_budget_usd: must be greater than 0",
        ),
        (
            _with("dev", network__nat_mode="nat-gw"),
            "dev",
            "stages.dev.network.nat_mode: Input should be 'instance' or 'gateway'",
        ),
        (_with("dev", data__db_engine_major="13"), "dev", "stages.dev.data.db_engine_major"),
        (_with("dev", account="12345"), "dev", "stages.dev.account: '12345' is not a 12-digit AWS account id"),
        (
            _with("dev", network__nat_ami="ubuntu-latest"),
            "dev",
            "stages.dev.network.nat_ami: String should match pattern",
        ),
        (
            _with("prod", network__nat_ami="latest"),
            "prod",
            "network.nat_ami: a stage that keeps its data must not follow the latest AMI",
        ),
        (
            _with("dev", log_retention_days=10),
            "dev",
            "stages.dev.log_retention_days: 10 is not a CloudWatch Logs retention",
        ),
        (_with("dev", netwrok={"nat_mode": "gateway"}), "dev", "stages.dev.netwrok: Extra inputs are not permitted"),
        ({"stages": "nope"}, "dev", "needs 'config' with a 'stages' block"),
        (None, "dev", "needs 'config' with a 'stages' block"),
    ],
    ids=[
        "unknown-stage",
        "bad-email",
        "zero-budget",
        "negative-budget",
        "unknown-nat-mode",
        "extended-support-postgres",
        "bad-account",
        "bad-ami",
        "prod-follows-latest-ami",
        "bad-retention",
        "typo-key",
        "stages-not-a-map",
        "no-config",
    ],
)
def test_bad_config_is_one_clear_error_naming_the_key(config, stage, expected):
    with pytest.raises(ConfigError) as err:
        load_stage_config(config, stage, environ={})
    assert expected in str(err.value)
    assert "\n" not in str(err.value)


def test_missing_required_value_names_it():
    config = copy.deepcopy(CONFIG)
    del config["stages"]["dev"]["monitoring"]["alert_email"]
    with pytest.raises(ConfigError, match=r"stages\.dev\.monitoring\.alert_email: Field required"):
        load_stage_config(config, "dev", environ={})


def test_cdk_app_exits_with_the_message_and_no_traceback():
    # Given a stage that does not exist, When the CDK app command runs
    env = {**os.environ, "CDK_CONTEXT_JSON": json.dumps({**CDK_CONTEXT, "stage": "qa"})}
    proc = subprocess.run([sys.executable, "app.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    # Then it stops before synth with one line naming the key
    assert proc.returncode != 0
    assert "error: config stage: unknown stage 'qa'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_overriding_one_key_of_a_section_keeps_the_sections_other_defaults():
    # Given a stage that only changes the video worker's batch size
    config = copy.deepcopy(CONFIG)
    config["stages"]["dev"]["video"] = {"worker": {"batch_size": 5}}
    cfg = load_stage_config(config, "dev", environ={})
    default = load_stage_config(CONFIG, "dev", environ={}).video.worker
    # Then the video worker keeps its own sizing (300 s, 2 GB of /tmp), not WorkerConfig's bare defaults
    assert cfg.video.worker.batch_size == 5
    worker = cfg.video.worker
    assert (worker.memory_mb, worker.timeout_seconds, worker.ephemeral_storage_mb) == (
        default.memory_mb,
        default.timeout_seconds,
        default.ephemeral_storage_mb,
    )
    assert (default.timeout_seconds, default.ephemeral_storage_mb) == (300, 2048)


def test_the_config_reads_without_the_cdk() -> None:
    # Given a fresh interpreter (tools, tests and benchmarks read the config to build function settings)
    code = "import sys; import stacks.config, stacks.function_settings; print('aws_cdk' in sys.modules)"
    # When it imports the config and the function settings
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    # Then the CDK (a second of jsii start-up) was not loaded
    assert out.stdout.strip() == "False"


def test_every_retention_the_config_accepts_is_that_many_days_in_the_template() -> None:
    import aws_cdk as cdk
    from aws_cdk import aws_logs as logs
    from aws_cdk.assertions import Template

    from stacks.config.base import LOG_RETENTION_NAMES
    from stacks.constructs.log_retention import retention

    # Given a log group for every retention the config accepts
    stack = cdk.Stack(cdk.App(), "Retentions")
    for days in LOG_RETENTION_NAMES:
        logs.LogGroup(stack, f"Days{days}", retention=retention(days))
    # When the stack is synthesized
    groups = Template.from_stack(stack).find_resources("AWS::Logs::LogGroup")
    # Then each keeps its logs exactly the days the config said
    kept = {
        int(re.match(r"Days(\d+)[0-9A-F]{8}$", k)[1]): g["Properties"]["RetentionInDays"] for k, g in groups.items()
    }
    assert kept == {days: days for days in LOG_RETENTION_NAMES}


def test_a_retention_cloudwatch_does_not_offer_is_refused_by_the_construct() -> None:
    from stacks.constructs.log_retention import retention

    with pytest.raises(ValueError, match="10 days is not a supported log retention"):
        retention(10)
