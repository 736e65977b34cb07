"""Every resource type the cost model prices: each line's fixed and usage side, and each free-tier credit.

Expected amounts are written from the rule (price x quantity), with prices
read from the shipped table, so a changed rule or quantity fails here.
"""

from __future__ import annotations

import pytest

from stacks.config import load_stage_config
from stacks.synth import cdk_context
from tools.cost import prices
from tools.cost.model import FREE_TIER, UnpricedResourceError, price_templates
from tools.cost.prices import PriceError

HOURS = 730


@pytest.fixture(scope="module")
def cfg():
    return load_stage_config(cdk_context()["config"], "dev", environ={})


@pytest.fixture(scope="module")
def table():
    return prices.load()


def _cfg(cfg, **workload):
    return cfg.model_copy(update={"workload": cfg.workload.model_copy(update=workload)})


def _price(cfg, resources, *, stack="Huntaze-Dev-Stack", free_tiers="none", **workload):
    return price_templates(
        {stack: {"Resources": resources}}, _cfg(cfg, free_tiers=free_tiers, **workload), prices.load()
    )


def _lines(report, credits=False):
    """(stack, resource, what, fixed, usage) of each line, resource lines or credit lines."""
    return [(i.stack, i.resource, i.what, i.fixed, i.usage) for i in report.items if i.credit == credits]


def _money(value):
    return pytest.approx(value, abs=1e-4)


# -- RDS ------------------------------------------------------------------------------------------


def test_rds_instance_and_storage_are_fixed_and_multi_az_doubles_both(cfg, table):
    db = {
        "Type": "AWS::RDS::DBInstance",
        "Properties": {
            "DBInstanceClass": "db.t4g.small",
            "Engine": "postgres",
            "AllocatedStorage": "50",
            "StorageType": "gp3",
            "MultiAZ": True,
        },
    }
    report = _price(cfg, {"Db": db})
    assert _lines(report) == [
        ("Stack", "Db", "RDS db.t4g.small postgres, Multi-AZ", _money(0.032 * HOURS * 2), 0),
        ("Stack", "Db", "RDS storage gp3 50 GB", _money(50 * table["rds.storage.gp3.gb_month"] * 2), 0),
    ]


def test_rds_single_az_defaults_to_postgres_and_20_gb(cfg, table):
    # Given no engine, no size (or one that is not a number), and MultiAZ only as a string
    for props in ({}, {"AllocatedStorage": "lots", "MultiAZ": "true"}):
        db = {
            "Type": "AWS::RDS::DBInstance",
            "Properties": {"DBInstanceClass": "db.t4g.micro", "StorageType": "gp3", **props},
        }
        assert _lines(_price(cfg, {"Db": db})) == [
            ("Stack", "Db", "RDS db.t4g.micro postgres", _money(0.016 * HOURS), 0),
            ("Stack", "Db", "RDS storage gp3 20 GB", _money(20 * table["rds.storage.gp3.gb_month"]), 0),
        ]


def test_rds_storage_type_defaults_to_gp2(cfg):
    db = {"Type": "AWS::RDS::DBInstance", "Properties": {"DBInstanceClass": "db.t4g.micro"}}
    with pytest.raises(PriceError, match=r"rds\.storage\.gp2\.gb_month"):
        _price(cfg, {"Db": db})


# -- ElastiCache ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("props", "nodes"),
    [
        ({"NumNodeGroups": 2, "ReplicasPerNodeGroup": 1}, 4),
        ({"NumNodeGroups": 3}, 3),
        ({"NumCacheClusters": 2}, 2),
        ({}, 1),
    ],
)
def test_cache_nodes_are_fixed_per_node(cfg, props, nodes):
    cache = {"Type": "AWS::ElastiCache::ReplicationGroup", "Properties": {"CacheNodeType": "cache.t4g.micro", **props}}
    # Then the engine defaults to redis, and each node is paid by the hour
    assert _lines(_price(cfg, {"C": cache})) == [
        ("Stack", "C", f"ElastiCache cache.t4g.micro redis x{nodes}", _money(0.016 * HOURS * nodes), 0)
    ]


def test_cache_engine_name_is_read_case_blind(cfg):
    cache = {
        "Type": "AWS::ElastiCache::ReplicationGroup",
        "Properties": {"CacheNodeType": "cache.t4g.micro", "Engine": "Valkey"},
    }
    assert _lines(_price(cfg, {"C": cache})) == [
        ("Stack", "C", "ElastiCache cache.t4g.micro valkey x1", _money(0.0128 * HOURS), 0)
    ]


# -- EC2, NAT, EIP, EBS, endpoints ------------------------------------------------------------------


def test_nat_instance_is_fixed_with_its_disks_and_public_address(cfg, table):
    nat = {
        "Type": "AWS::EC2::Instance",
        "Properties": {
            "InstanceType": "t4g.nano",
            "SourceDestCheck": False,
            "BlockDeviceMappings": [{"Ebs": {"VolumeSize": 10}}, {"Ebs": {"VolumeSize": "5"}}, {"DeviceName": "x"}],
            "NetworkInterfaces": [{"AssociatePublicIpAddress": False}, {"AssociatePublicIpAddress": True}],
        },
    }
    report = _price(cfg, {"Nat": nat}, nat_gb_per_month=7.0)
    assert _lines(report) == [
        ("Stack", "Nat", "EC2 t4g.nano (NAT instance)", _money(0.0042 * HOURS), 0),
        ("Stack", "Nat", "EBS gp3 root volume 15 GB", _money(15 * table["ebs.gp3.gb_month"]), 0),
        ("Stack", "Nat", "public IPv4 address", _money(0.005 * HOURS), 0),
        ("Stack", "Nat", "NAT instance data", 0, 0),
    ]
    assert report.items[-1].note == "7 GB: no processing charge"


def test_plain_instance_has_the_ami_root_volume_and_no_public_address(cfg, table):
    vm = {"Type": "AWS::EC2::Instance", "Properties": {"InstanceType": "t4g.micro", "SourceDestCheck": True}}
    assert _lines(_price(cfg, {"Vm": vm})) == [
        ("Stack", "Vm", "EC2 t4g.micro", _money(0.0084 * HOURS), 0),
        ("Stack", "Vm", "EBS gp3 root volume 8 GB", _money(8 * table["ebs.gp3.gb_month"]), 0),
    ]


def test_nat_gateways_are_fixed_by_the_hour_and_share_the_processed_data(cfg):
    gw = {"Type": "AWS::EC2::NatGateway", "Properties": {}}
    one = _price(cfg, {"Gw": gw}, nat_gb_per_month=8.0)
    assert _lines(one) == [("Stack", "Gw", "NAT gateway", _money(0.045 * HOURS), _money(8.0 * 0.045))]
    assert one.items[0].note == "8 GB processed"
    two = _price(cfg, {"A": gw, "B": gw}, nat_gb_per_month=8.0)
    assert _lines(two) == [
        ("Stack", "A", "NAT gateway", _money(0.045 * HOURS), _money(4.0 * 0.045)),
        ("Stack", "B", "NAT gateway", _money(0.045 * HOURS), _money(4.0 * 0.045)),
    ]


def test_elastic_ip_and_ebs_volume_are_fixed(cfg):
    resources = {
        "Ip": {"Type": "AWS::EC2::EIP", "Properties": {}},
        "Vol": {"Type": "AWS::EC2::Volume", "Properties": {"Size": 30}},
    }
    assert _lines(_price(cfg, resources)) == [
        ("Stack", "Ip", "Elastic IP (public IPv4)", _money(0.005 * HOURS), 0),
        ("Stack", "Vol", "EBS gp3 30 GB", _money(30 * 0.08), 0),
    ]


def test_interface_endpoints_are_fixed_per_az_and_gateway_endpoints_free(cfg):
    resources = {
        "Two": {
            "Type": "AWS::EC2::VPCEndpoint",
            "Properties": {"VpcEndpointType": "Interface", "SubnetIds": ["a", "b"]},
        },
        "One": {"Type": "AWS::EC2::VPCEndpoint", "Properties": {"VpcEndpointType": "Interface"}},
        "S3": {"Type": "AWS::EC2::VPCEndpoint", "Properties": {}},
        "Ddb": {"Type": "AWS::EC2::VPCEndpoint", "Properties": {"VpcEndpointType": "Gateway"}},
    }
    assert _lines(_price(cfg, resources)) == [
        ("Stack", "Two", "interface VPC endpoint x2 AZ", _money(0.01 * HOURS * 2), 0),
        ("Stack", "One", "interface VPC endpoint x1 AZ", _money(0.01 * HOURS), 0),
        ("Stack", "S3", "gateway VPC endpoint", 0, 0),
        ("Stack", "Ddb", "gateway VPC endpoint", 0, 0),
    ]


def test_an_endpoint_of_an_unknown_type_is_unpriced(cfg):
    ep = {"Type": "AWS::EC2::VPCEndpoint", "Properties": {"VpcEndpointType": "GatewayLoadBalancer"}}
    with pytest.raises(UnpricedResourceError, match=r"AWS::EC2::VPCEndpoint \(Stack/Ep\)"):
        _price(cfg, {"Ep": ep})


# -- secrets, keys ----------------------------------------------------------------------------------


def test_secrets_and_keys_are_fixed_monthly(cfg):
    resources = {
        "S": {"Type": "AWS::SecretsManager::Secret", "Properties": {}},
        "K": {"Type": "AWS::KMS::Key", "Properties": {}},
    }
    assert _lines(_price(cfg, resources)) == [
        ("Stack", "S", "Secrets Manager secret", _money(0.4), 0),
        ("Stack", "K", "KMS customer-managed key", _money(1.0), 0),
    ]


# -- CloudWatch ---------------------------------------------------------------------------------------


def test_an_alarm_pays_per_metric_it_reads_not_per_expression(cfg):
    math_alarm = {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {"Metrics": [{"MetricStat": {}}, {"MetricStat": {}}, {"Expression": "m1+m2"}]},
    }
    plain = {"Type": "AWS::CloudWatch::Alarm", "Properties": {"MetricName": "Errors"}}
    report = _price(cfg, {"Sum": math_alarm, "Plain": plain})
    assert _lines(report) == [("*", "CloudWatch", "3 alarm metrics", _money(0.3), 0)]


def test_alarm_and_dashboard_free_tiers_are_fixed_credits(cfg):
    resources = {f"A{i}": {"Type": "AWS::CloudWatch::Alarm", "Properties": {}} for i in range(12)}
    resources |= {f"D{i}": {"Type": "AWS::CloudWatch::Dashboard", "Properties": {}} for i in range(4)}
    report = _price(cfg, resources, free_tiers="account")
    assert _lines(report) == [
        ("*", "CloudWatch", "12 alarm metrics", _money(1.2), 0),
        ("*", "CloudWatch", "4 dashboards", _money(12.0), 0),
    ]
    assert _lines(report, credits=True) == [
        ("*", FREE_TIER, "10 alarm metrics free", _money(-1.0), 0),
        ("*", FREE_TIER, "3 dashboards free", _money(-9.0), 0),
    ]


def test_few_alarms_and_dashboards_are_credited_in_full(cfg):
    resources = {"A": {"Type": "AWS::CloudWatch::Alarm"}, "D": {"Type": "AWS::CloudWatch::Dashboard"}}
    report = _price(cfg, resources, free_tiers="account")
    assert _lines(report, credits=True) == [
        ("*", FREE_TIER, "1 alarm metrics free", _money(-0.1), 0),
        ("*", FREE_TIER, "1 dashboards free", _money(-3.0), 0),
    ]
    assert report.fixed == 0


def test_logs_are_usage_ingested_and_kept_for_the_retention(cfg):
    # Given 12 GB a month kept 14 days (dev): 5.6 GB stored
    groups = {f"L{i}": {"Type": "AWS::Logs::LogGroup", "Properties": {}} for i in range(2)}
    report = _price(cfg, groups, free_tiers="account", log_gb_per_month=12.0)
    stored = 12.0 * cfg.log_retention_days / 30
    assert cfg.log_retention_days == 14
    assert _lines(report) == [("*", "CloudWatch Logs", "2 log groups", 0, _money(12 * 0.5 + stored * 0.03))]
    assert report.items[0].note == "12 GB ingested, 5.6 GB kept"
    # And the free 5 GB of each is a usage credit
    assert _lines(report, credits=True) == [
        ("*", FREE_TIER, "5 GB logs ingested + 5 GB kept", 0, _money(-(5 * 0.5 + 5 * 0.03)))
    ]


def test_little_logging_is_credited_in_full(cfg):
    report = _price(cfg, {"L": {"Type": "AWS::Logs::LogGroup"}}, free_tiers="account", log_gb_per_month=1.5)
    assert report.usage_before_credits > 0
    assert report.usage == _money(0)


# -- Lambda, X-Ray ---------------------------------------------------------------------------------------


def test_lambda_is_usage_by_gb_seconds_and_requests(cfg):
    # Given the router (x86_64 and 128 MB by default) with active tracing
    fn = {
        "Type": "AWS::Lambda::Function",
        "Properties": {
            "Environment": {"Variables": {"POWERTOOLS_SERVICE_NAME": "router", "SOME_ARN": {"Ref": "X"}}},
            "TracingConfig": {"Mode": "Active"},
        },
    }
    report = _price(cfg, {"Fn": fn}, api_calls_per_month=2_000_000, api_duration_ms_avg=1000)
    gb_s = 2_000_000 * 1.0 * 128 / 1024
    assert _lines(report) == [
        ("Stack", "Fn", "Lambda x86_64 128 MB", 0, _money(gb_s * 1.66667e-05 + 2_000_000 * 2e-07)),
        ("*", "X-Ray", "traces", 0, _money(2_000_000 * 5e-06)),
    ]
    assert report.items[0].note == "2000000 API calls: 2,000,000 x 1 s = 250,000 GB-s"


def test_lambda_and_xray_free_tiers_are_usage_credits_capped_at_the_tier(cfg):
    fn = {
        "Type": "AWS::Lambda::Function",
        "Properties": {
            "MemorySize": 1024,
            "Architectures": ["arm64"],
            "Environment": {"Variables": {"POWERTOOLS_SERVICE_NAME": "router"}},
            "TracingConfig": {"Mode": "Active"},
        },
    }
    report = _price(cfg, {"Fn": fn}, free_tiers="account", api_calls_per_month=2_000_000, api_duration_ms_avg=500)
    # 1M GB-s and 2M requests: the credit is 400k GB-s and 1M requests; 2M traces: 100k free
    assert _lines(report, credits=True) == [
        ("*", FREE_TIER, "Lambda 400k GB-s + 1M requests", 0, _money(-(400_000 * 1.33334e-05 + 1_000_000 * 2e-07))),
        ("*", FREE_TIER, "X-Ray 100k traces", 0, _money(-100_000 * 5e-06)),
    ]


def test_small_lambda_use_is_credited_in_full(cfg):
    fn = {
        "Type": "AWS::Lambda::Function",
        "Properties": {"Architectures": ["arm64"], "Environment": {"Variables": {"POWERTOOLS_SERVICE_NAME": "notify"}}},
    }
    report = _price(cfg, {"Fn": fn}, free_tiers="account", alert_notifications_per_month=1000)
    gb_s = 1000 * 1 * 128 / 1024
    assert _lines(report, credits=True) == [
        ("*", FREE_TIER, "Lambda 400k GB-s + 1M requests", 0, _money(-(gb_s * 1.33334e-05 + 1000 * 2e-07)))
    ]


def test_a_function_without_workload_costs_nothing_and_takes_no_credit(cfg):
    fn = {"Type": "AWS::Lambda::Function", "Properties": {"Environment": {"Variables": {}}}}
    report = _price(cfg, {"Fn": fn}, free_tiers="account")
    assert _lines(report) == [("Stack", "Fn", "Lambda x86_64 128 MB", 0, 0)]
    assert _lines(report, credits=True) == []


# -- SQS --------------------------------------------------------------------------------------------------


def test_a_task_queue_is_usage_per_message_and_its_dlq_costs_nothing(cfg):
    resources = {
        "Q": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "huntaze-dev-video"}},
        "Dlq": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "huntaze-dev-video-dlq"}},
    }
    report = _price(cfg, resources, videos_per_month=5000)
    # send, receive and delete: 3 requests a message
    assert _lines(report) == [
        ("Stack", "Q", "SQS queue", 0, _money(5000 * 3 * 4e-07)),
        ("Stack", "Dlq", "SQS queue (DLQ)", 0, 0),
    ]
    assert report.items[0].note == "5,000 messages"


def test_a_polled_queue_adds_its_idle_polls_as_fixed(cfg):
    resources = {
        "Q": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "huntaze-dev-video"}},
        "Esm": {"Type": "AWS::Lambda::EventSourceMapping", "Properties": {"EventSourceArn": {"Fn::GetAtt": "Q.Arn"}}},
    }
    report = _price(cfg, resources, videos_per_month=5000, sqs_idle_receives_per_queue_month=100_000)
    assert _lines(report) == [("Stack", "Q", "SQS queue", _money(100_000 * 4e-07), _money(5000 * 3 * 4e-07))]
    assert report.items[0].note == "5,000 messages; fixed: 100,000 idle long polls"


def test_sqs_free_tier_covers_idle_polls_then_messages(cfg):
    resources = {
        "Q": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "huntaze-dev-video"}},
        "Esm": {
            "Type": "AWS::Lambda::EventSourceMapping",
            "Properties": {"EventSourceArn": {"Fn::GetAtt": ["Q", "Arn"]}},
        },
    }
    # 600k idle polls + 600k message requests: 1M free covers the polls and 400k of the rest
    report = _price(
        cfg, resources, free_tiers="account", videos_per_month=200_000, sqs_idle_receives_per_queue_month=600_000
    )
    assert _lines(report, credits=True) == [("*", FREE_TIER, "SQS 1M requests", _money(-0.24), _money(-0.16))]


def test_a_queue_without_a_name_is_priced_by_its_id(cfg):
    report = _price(cfg, {"Q": {"Type": "AWS::SQS::Queue", "Properties": {}}})
    assert _lines(report) == [("Stack", "Q", "SQS queue", 0, 0)]
    assert report.items[0].note == "0 messages"


# -- API, S3, Scheduler ----------------------------------------------------------------------------------


def test_http_api_is_usage_per_call(cfg):
    api = {"Type": "AWS::ApiGatewayV2::Api", "Properties": {"ProtocolType": "HTTP"}}
    report = _price(cfg, {"Api": api}, api_calls_per_month=400_000)
    assert _lines(report) == [("Stack", "Api", "HTTP API", 0, _money(0.4))]


def test_a_websocket_api_is_unpriced(cfg):
    api = {"Type": "AWS::ApiGatewayV2::Api", "Properties": {"ProtocolType": "WEBSOCKET"}}
    with pytest.raises(UnpricedResourceError, match=r"AWS::ApiGatewayV2::Api WEBSOCKET \(Router/Api\)"):
        _price(cfg, {"Api": api}, stack="Huntaze-Dev-Router")


def test_the_uploads_bucket_is_usage_by_stored_gb_and_requests(cfg):
    bucket = {
        "Type": "AWS::S3::Bucket",
        "Properties": {"LifecycleConfiguration": {"Rules": [{"Prefix": "tmp/"}, {"Prefix": "uploads/"}]}},
    }
    report = _price(cfg, {"B": bucket}, videos_per_month=2048, video_mb_avg=50)
    gb = 2048 * 50 / 1024  # kept about a month
    assert _lines(report) == [("Stack", "B", "S3 uploads bucket", 0, _money(gb * 0.023 + 2048 * (5e-06 + 4e-07)))]


def test_other_buckets_are_a_zero_line(cfg):
    bucket = {"Type": "AWS::S3::Bucket", "Properties": {"LifecycleConfiguration": {"Rules": [{"Prefix": "logs/"}]}}}
    report = _price(cfg, {"B": bucket, "Plain": {"Type": "AWS::S3::Bucket"}})
    assert _lines(report) == [("Stack", "B", "S3 bucket", 0, 0), ("Stack", "Plain", "S3 bucket", 0, 0)]


def test_schedules_are_usage_per_run_with_their_free_tier(cfg):
    resources = {
        "Hourly": {"Type": "AWS::Scheduler::Schedule", "Properties": {"ScheduleExpression": "rate(1 hour)"}},
        "Daily": {"Type": "AWS::Scheduler::Schedule", "Properties": {"ScheduleExpression": "rate(1 day)"}},
        "Token": {"Type": "AWS::Scheduler::Schedule", "Properties": {"ScheduleExpression": {"Ref": "Expr"}}},
    }
    report = _price(cfg, resources, free_tiers="account")
    runs = 730 + 730 / 24
    assert _lines(report) == [("*", "Scheduler", "EventBridge Scheduler", 0, _money(runs * 1e-06))]
    assert _lines(report, credits=True) == [("*", FREE_TIER, "Scheduler 14M invocations", 0, _money(-runs * 1e-06))]


# -- the report -----------------------------------------------------------------------------------------


def test_report_totals_are_fixed_plus_usage_after_credits(cfg):
    resources = {
        "K": {"Type": "AWS::KMS::Key"},
        "Api": {"Type": "AWS::ApiGatewayV2::Api", "Properties": {"ProtocolType": "HTTP"}},
        "A": {"Type": "AWS::CloudWatch::Alarm"},
    }
    report = _price(cfg, resources, free_tiers="account", api_calls_per_month=400_000)
    assert (report.fixed_before_credits, report.fixed_credits) == (_money(1.1), _money(-0.1))
    assert (report.usage_before_credits, report.usage_credits) == (_money(0.4), 0)
    assert (report.fixed, report.usage, report.total) == (_money(1.0), _money(0.4), _money(1.4))


def test_a_stack_name_without_a_stage_prefix_is_kept_whole(cfg):
    report = _price(cfg, {"K": {"Type": "AWS::KMS::Key"}}, stack="Solo")
    assert _lines(report) == [("Solo", "K", "KMS customer-managed key", _money(1.0), 0)]


def test_a_resource_without_a_type_is_unpriced(cfg):
    with pytest.raises(UnpricedResourceError, match=r"None \(Stack/X\)"):
        _price(cfg, {"X": {"Properties": {}}})


# -- what the mutation run found unasserted ------------------------------------------------------------------


def test_amounts_are_kept_to_a_hundredth_of_a_cent_on_lines_and_credits(cfg):
    # Given amounts with more than 4 decimals: 123,457 idle polls and 1,234 videos' 3,702 requests
    resources = {
        "Q": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "huntaze-dev-video"}},
        "Esm": {
            "Type": "AWS::Lambda::EventSourceMapping",
            "Properties": {"EventSourceArn": {"Fn::GetAtt": ["Q", "Arn"]}},
        },
    }
    report = _price(
        cfg, resources, free_tiers="account", videos_per_month=1234, sqs_idle_receives_per_queue_month=123_457
    )
    # Then each side is rounded to 4 decimals, not more, not fewer
    assert _lines(report) == [("Stack", "Q", "SQS queue", 0.0494, 0.0015)]
    assert _lines(report, credits=True) == [("*", FREE_TIER, "SQS 1M requests", -0.0494, -0.0015)]


def test_report_lines_cannot_be_changed_after_pricing(cfg):
    report = _price(cfg, {"K": {"Type": "AWS::KMS::Key"}})
    with pytest.raises(AttributeError):
        report.items[0].fixed = 0.0


@pytest.mark.parametrize(("calls", "credit"), [(200, -0.0), (260, -0.0001)])
def test_lambda_gb_seconds_are_counted_from_zero(cfg, calls, credit):
    # Given a function that takes no time (0 GB-s): its free-tier credit is its requests alone,
    # 200 x $0.0000002 = $0.00004 (rounds to 0) and 260 x = $0.000052 (rounds to 0.0001)
    fn = {
        "Type": "AWS::Lambda::Function",
        "Properties": {"Environment": {"Variables": {"POWERTOOLS_SERVICE_NAME": "router"}}},
    }
    report = _price(cfg, {"Fn": fn}, free_tiers="account", api_calls_per_month=calls, api_duration_ms_avg=0)
    assert _lines(report, credits=True) == [("*", FREE_TIER, "Lambda 400k GB-s + 1M requests", 0, credit)]


def test_node_groups_that_are_not_a_number_count_as_one(cfg):
    cache = {
        "Type": "AWS::ElastiCache::ReplicationGroup",
        "Properties": {
            "CacheNodeType": "cache.t4g.micro",
            "NumNodeGroups": {"Ref": "Groups"},
            "ReplicasPerNodeGroup": 1,
        },
    }
    assert _lines(_price(cfg, {"C": cache})) == [
        ("Stack", "C", "ElastiCache cache.t4g.micro redis x2", _money(0.016 * HOURS * 2), 0)
    ]


def test_an_instance_whose_interfaces_ask_no_public_address_pays_none(cfg, table):
    vm = {
        "Type": "AWS::EC2::Instance",
        "Properties": {"InstanceType": "t4g.micro", "NetworkInterfaces": [{"AssociatePublicIpAddress": False}, {}]},
    }
    assert [line[2] for line in _lines(_price(cfg, {"Vm": vm}))] == ["EC2 t4g.micro", "EBS gp3 root volume 8 GB"]


def test_a_dlq_counts_no_messages(cfg):
    report = _price(cfg, {"Dlq": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "huntaze-dev-video-dlq"}}})
    assert report.items[0].note == "0 messages"


def test_a_volume_without_a_size_costs_nothing(cfg):
    report = _price(cfg, {"Vol": {"Type": "AWS::EC2::Volume", "Properties": {}}})
    assert [(i.fixed, i.usage) for i in report.items] == [(0, 0)]


def test_an_event_source_that_is_not_a_queue_attribute_marks_no_queue_polled(cfg):
    # Given mappings whose source is a parameter reference or missing: no queue of this template is polled
    resources = {
        "Q": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "huntaze-dev-video"}},
        "ByRef": {"Type": "AWS::Lambda::EventSourceMapping", "Properties": {"EventSourceArn": {"Ref": "QueueArn"}}},
        "Bare": {"Type": "AWS::Lambda::EventSourceMapping", "Properties": {}},
    }
    report = _price(cfg, resources, videos_per_month=0)
    assert _lines(report) == [("Stack", "Q", "SQS queue", 0, 0)]
