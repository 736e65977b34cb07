"""The cost model on small hand-written templates, priced from the shipped table."""

from __future__ import annotations

import json

import pytest
from botocore.stub import Stubber

from stacks.config import load_stage_config
from stacks.synth import ROOT
from tools.cost import prices
from tools.cost.model import UnpricedResourceError, price_templates
from tools.cost.prices import PriceError
from tools.cost.refresh import fetch, on_demand_usd
from tools.cost.report import table as report_table
from tools.cost.workload import runs_per_month


@pytest.fixture(scope="module")
def cfg():
    return load_stage_config(json.loads((ROOT / "cdk.json").read_text())["context"]["config"], "dev", environ={})


@pytest.fixture(scope="module")
def table():
    return prices.load()


def test_every_price_names_its_source_and_date(table):
    for key, entry in table.entries.items():
        assert entry["source"] and entry["checked"], key


def test_schedule_expressions_become_monthly_runs():
    assert runs_per_month("rate(15 minutes)") == pytest.approx(4 * runs_per_month("rate(1 hour)"))
    assert runs_per_month("cron(0/15 * * * ? *)") == pytest.approx(runs_per_month("rate(15 minutes)"))
    assert runs_per_month("cron(0 9 ? * MON-FRI *)") == pytest.approx(5 / 7 * runs_per_month("rate(1 day)"))
    with pytest.raises(ValueError, match="not a schedule expression"):
        runs_per_month("every 5 minutes")


def test_rds_and_cache_are_fixed_monthly_costs(cfg, table):
    templates = {
        "Huntaze-Dev-Data": {
            "Resources": {
                "Db": {
                    "Type": "AWS::RDS::DBInstance",
                    "Properties": {
                        "DBInstanceClass": "db.t4g.micro",
                        "Engine": "postgres",
                        "AllocatedStorage": "20",
                        "StorageType": "gp3",
                    },
                },
                "Cache": {
                    "Type": "AWS::ElastiCache::ReplicationGroup",
                    "Properties": {"CacheNodeType": "cache.t4g.micro", "Engine": "valkey", "NumCacheClusters": 2},
                },
            }
        }
    }
    report = price_templates(templates, cfg, table)
    expected = (
        table.monthly("rds.db.t4g.micro.postgres.hour")
        + 20 * table["rds.storage.gp3.gb_month"]
        + table.monthly("elasticache.cache.t4g.micro.valkey.hour", 2)
    )
    assert report.fixed == pytest.approx(expected, abs=0.01)
    assert report.usage == 0


def test_alarms_beyond_the_ten_free_ones_are_charged(cfg, table):
    alarms = {f"A{i}": {"Type": "AWS::CloudWatch::Alarm", "Properties": {}} for i in range(13)}
    report = price_templates({"Huntaze-Dev-Monitoring": {"Resources": alarms}}, cfg, table)
    assert report.fixed == pytest.approx(3 * table["cloudwatch.alarm.month"])


def test_lambda_usage_follows_memory_architecture_and_the_free_tier(cfg, table):
    fn = {
        "Type": "AWS::Lambda::Function",
        "Properties": {"MemorySize": 2048, "Architectures": ["arm64"], "Environment": {"Variables": {"TASK": "video"}}},
    }
    big = cfg.model_copy(update={"workload": cfg.workload.model_copy(update={"videos_per_month": 100_000})})
    report = price_templates({"Huntaze-Dev-Video": {"Resources": {"Fn": fn}}}, big, table)
    w = big.workload
    gb_s = (
        w.videos_per_month * (w.video_seconds_avg * w.video_work_seconds_per_video_second + w.ai_call_seconds_avg) * 2
    )
    expected = (gb_s - table["lambda.free.gb_seconds"]) * table["lambda.arm64.gb_second"]
    assert report.usage == pytest.approx(expected, rel=0.01)


def test_a_resource_without_a_price_is_a_clear_error(cfg, table):
    # bad input tried: an instance class the table does not know
    templates = {
        "S": {
            "Resources": {
                "Db": {
                    "Type": "AWS::RDS::DBInstance",
                    "Properties": {"DBInstanceClass": "db.x9.huge", "Engine": "postgres"},
                }
            }
        }
    }
    with pytest.raises(PriceError, match="rds.db.x9.huge.postgres.hour"):
        price_templates(templates, cfg, table)


def test_price_list_api_answer_is_parsed_to_its_on_demand_price():
    import boto3

    client = boto3.client("pricing", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    product = {
        "product": {"sku": "ABC"},
        "terms": {
            "OnDemand": {
                "ABC.JRTCKXETXF": {
                    "priceDimensions": {
                        "ABC.JRTCKXETXF.6YS6EN2CT7": {"unit": "Hrs", "pricePerUnit": {"USD": "0.0160000000"}}
                    }
                }
            }
        },
    }
    query = {"service": "AmazonRDS", "filters": {"instanceType": "db.t4g.micro"}}
    with Stubber(client) as stub:
        stub.add_response(
            "get_products",
            {"PriceList": [json.dumps(product)], "FormatVersion": "aws_v1"},
            {
                "ServiceCode": "AmazonRDS",
                "MaxResults": 10,
                "Filters": [{"Type": "TERM_MATCH", "Field": "instanceType", "Value": "db.t4g.micro"}],
            },
        )
        assert fetch(client, query) == 0.016
    assert on_demand_usd(product) == 0.016


def _with_workload(cfg, **update):
    return cfg.model_copy(update={"workload": cfg.workload.model_copy(update=update)})


def _polled_queue_templates() -> dict:
    """One idle SQS queue that a Lambda event source polls."""
    return {
        "Huntaze-Dev-Cron": {
            "Resources": {
                "Q": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "huntaze-dev-unknown"}},
                "Esm": {
                    "Type": "AWS::Lambda::EventSourceMapping",
                    "Properties": {"EventSourceArn": {"Fn::GetAtt": ["Q", "Arn"]}},
                },
            }
        }
    }


def test_idle_long_polls_of_an_event_source_queue_are_a_fixed_cost(cfg, table):
    # Given a polled queue with no workload and no free tier credited
    report = price_templates(_polled_queue_templates(), _with_workload(cfg, free_tiers="none"), table)
    # Then its polls cost the same with zero messages: fixed, not usage
    assert report.fixed == pytest.approx(
        cfg.workload.sqs_idle_receives_per_queue_month * table["sqs.request"], abs=1e-4
    )
    assert report.usage == 0


def test_sqs_free_tier_is_credited_to_the_fixed_idle_polls_first(cfg, table):
    # Given two polled queues (1.3M idle requests > the 1M free) in a stage that takes the account's free tiers
    templates = _polled_queue_templates()
    templates["Huntaze-Dev-Video"] = _polled_queue_templates()["Huntaze-Dev-Cron"]
    report = price_templates(templates, _with_workload(cfg, free_tiers="account"), table)
    idle = 2 * cfg.workload.sqs_idle_receives_per_queue_month
    assert report.fixed_before_credits == pytest.approx(idle * table["sqs.request"], abs=1e-3)
    assert report.fixed_credits == pytest.approx(-table["sqs.free.requests"] * table["sqs.request"], abs=1e-4)


def test_free_tiers_none_credits_nothing_and_says_so(cfg, table):
    alarms = {f"A{i}": {"Type": "AWS::CloudWatch::Alarm", "Properties": {}} for i in range(13)}
    templates = {"Huntaze-Dev-Monitoring": {"Resources": {**alarms, "D": {"Type": "AWS::CloudWatch::Dashboard"}}}}
    # Given the same alarms and dashboard under both settings
    shared = price_templates(templates, _with_workload(cfg, free_tiers="account"), table)
    alone = price_templates(templates, _with_workload(cfg, free_tiers="none"), table)
    # Then "none" pays all 13 alarms and the dashboard, "account" is credited 10 alarms and the dashboard
    gross = 13 * table["cloudwatch.alarm.month"] + table["cloudwatch.dashboard.month"]
    assert alone.fixed == alone.fixed_before_credits == pytest.approx(gross)
    assert shared.fixed_before_credits == pytest.approx(gross)
    assert shared.fixed == pytest.approx(3 * table["cloudwatch.alarm.month"])
    assert "free tiers: 'none'" in report_table(alone) and "free tiers: 'account'" in report_table(shared)


def test_the_table_subtotals_fixed_before_and_after_credits(cfg, table):
    alarms = {f"A{i}": {"Type": "AWS::CloudWatch::Alarm", "Properties": {}} for i in range(13)}
    report = price_templates({"Huntaze-Dev-Monitoring": {"Resources": alarms}}, cfg, table)
    text = report_table(report, budget=40, target=0.2)
    assert f"{report.fixed_before_credits:.2f} before free-tier credits" in text
    assert f"{report.fixed:.2f} after" in text
    assert "OVER the stage's fixed-cost target of 0.20" in text and "within the stage budget of 40.00" in text


def test_a_new_paid_resource_type_is_caught_not_priced_at_zero(cfg, table):
    # bad input tried: an RDS Proxy (billed per vCPU-hour) and a metric filter (its custom metric is billed),
    # which the model neither prices nor lists as free
    templates = {
        "Huntaze-Dev-Data": {
            "Resources": {
                "Proxy": {"Type": "AWS::RDS::DBProxy", "Properties": {}},
                "Filter": {"Type": "AWS::Logs::MetricFilter", "Properties": {}},
                "Role": {"Type": "AWS::IAM::Role", "Properties": {}},
            }
        }
    }
    with pytest.raises(UnpricedResourceError) as err:
        price_templates(templates, cfg, table)
    assert "AWS::RDS::DBProxy (Data/Proxy)" in str(err.value)
    assert "AWS::Logs::MetricFilter (Data/Filter)" in str(err.value)
    assert "IAM::Role" not in str(err.value)


def test_free_types_and_custom_resources_pass_without_a_line_of_cost(cfg, table):
    templates = {
        "Huntaze-Dev-Network": {
            "Resources": {
                "Role": {"Type": "AWS::IAM::Role", "Properties": {}},
                "Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {}},
                "Custom": {"Type": "Custom::VpcRestrictDefaultSG", "Properties": {}},
            }
        }
    }
    report = price_templates(templates, cfg, table)
    assert report.total == 0


def test_the_webhook_notifier_is_priced_per_finished_job_and_endpoint(cfg):
    from stacks.config import WebhookEndpointConfig
    from tools.cost.workload import function_use

    endpoints = tuple(WebhookEndpointConfig(name=n, url=f"https://{n}.example.com/hooks") for n in ("a", "b"))
    two = cfg.model_copy(update={"webhooks": cfg.webhooks.model_copy(update={"endpoints": endpoints})})
    use = function_use(two, {"TASK": "webhooks"})
    scheduled = sum(runs_per_month(getattr(cfg.cron, f"{t}_schedule").expression) for t in ("trends", "data", "alerts"))
    assert use.invocations == pytest.approx(cfg.workload.videos_per_month + scheduled)
    assert use.seconds == pytest.approx(2 * cfg.workload.webhook_post_seconds_avg)
