"""Network stack: two AZs, three subnet tiers, a budget NAT, S3 without NAT."""

from __future__ import annotations

import json

from aws_cdk.assertions import Match, Template

from stacks.constructs import nat_instance
from tests.infra.conftest import synth_app


def test_vpc_spans_two_azs_with_public_private_and_isolated_subnets(templates):
    t = templates["Network"]
    subnets = t.find_resources("AWS::EC2::Subnet")
    assert len(subnets) == 6
    azs = {s["Properties"]["AvailabilityZone"] for s in subnets.values()}
    assert azs == {"us-east-2a", "us-east-2b"}
    kinds = sorted(
        next(tag["Value"] for tag in s["Properties"]["Tags"] if tag["Key"] == "aws-cdk:subnet-type")
        for s in subnets.values()
    )
    assert kinds == ["Isolated", "Isolated", "Private", "Private", "Public", "Public"]


def test_dev_nat_is_one_t4g_nano_instance_with_standard_credits(templates):
    t = templates["Network"]
    t.resource_count_is("AWS::EC2::NatGateway", 0)
    t.resource_count_is("AWS::EC2::Instance", 1)
    t.has_resource_properties(
        "AWS::EC2::Instance",
        {"InstanceType": "t4g.nano", "SourceDestCheck": False, "CreditSpecification": {"CPUCredits": "standard"}},
    )


def test_nat_instance_admits_only_the_vpc(templates):
    t = templates["Network"]
    groups = t.find_resources(
        "AWS::EC2::SecurityGroup", {"Properties": {"GroupDescription": "Security Group for NAT instances"}}
    )
    assert len(groups) == 1
    ingress = next(iter(groups.values()))["Properties"]["SecurityGroupIngress"]
    # one rule, from the VPC's own CIDR block: never the internet
    assert len(ingress) == 1
    assert ingress[0]["CidrIp"]["Fn::GetAtt"][1] == "CidrBlock"


def test_gateway_mode_uses_a_nat_gateway_instead():
    _, stacks = synth_app("dev", overrides={"network": {"nat_mode": "gateway"}})
    t = Template.from_stack(stacks.network)
    t.resource_count_is("AWS::EC2::NatGateway", 1)
    t.resource_count_is("AWS::EC2::Instance", 0)


def test_s3_gateway_endpoint_keeps_video_downloads_off_the_nat(templates):
    templates["Network"].has_resource_properties(
        "AWS::EC2::VPCEndpoint",
        {"VpcEndpointType": "Gateway", "ServiceName": Match.object_like({"Fn::Join": Match.any_value()})},
    )


def test_rejected_flows_are_logged_with_a_retention(templates):
    t = templates["Network"]
    t.has_resource_properties("AWS::EC2::FlowLog", {"TrafficType": "REJECT"})
    t.has_resource_properties("AWS::Logs::LogGroup", {"RetentionInDays": 30})


def test_workers_security_group_exists_for_later_stacks(stacks):
    assert stacks.network.workers_sg.security_group_id


def test_a_pinned_nat_ami_is_used_as_is():
    # Given a pinned AMI id
    _, stacks = synth_app("dev", overrides={"network": {"nat_ami": "ami-0123456789abcdef0"}})
    instance = _nat_instance(Template.from_stack(stacks.network))
    assert instance["Properties"]["ImageId"] == "ami-0123456789abcdef0"


def test_by_default_ec2_resolves_the_al2023_arm64_ami_at_launch_so_no_deploy_replaces_the_nat(
    templates, prod_templates
):
    # Given dev's and prod's config / Then ImageId is the same literal on every deploy (EC2 resolves it at launch),
    # never a template parameter CloudFormation re-resolves on each deploy (a new AMI would replace the instance)
    for t in (templates["Network"], prod_templates["Network"]):
        image = _nat_instance(t)["Properties"]["ImageId"]
        assert image == f"resolve:ssm:{nat_instance.AL2023_ARM64_PARAMETER}"
        assert "al2023" in image and "arm64" in image


def test_latest_follows_the_deploy_time_parameter():
    _, stacks = synth_app("dev", overrides={"network": {"nat_ami": "latest"}})
    image = _nat_instance(Template.from_stack(stacks.network))["Properties"]["ImageId"]
    assert "Ref" in image


def test_the_nat_instance_requires_imdsv2(templates):
    options = _nat_instance(templates["Network"])["Properties"]["MetadataOptions"]
    assert options["HttpTokens"] == "required"


def test_the_nat_instance_is_ssm_managed_and_patched_on_a_schedule(templates, cfg):
    t = templates["Network"]
    instance_id, instance = next(iter(t.find_resources("AWS::EC2::Instance").items()))
    profile = t.find_resources("AWS::IAM::InstanceProfile")[instance["Properties"]["IamInstanceProfile"]["Ref"]]
    role = t.find_resources("AWS::IAM::Role")[profile["Properties"]["Roles"][0]["Ref"]]
    assert "AmazonSSMManagedInstanceCore" in json.dumps(role["Properties"]["ManagedPolicyArns"])
    t.has_resource_properties(
        "AWS::SSM::Association",
        {
            "Name": "AWS-RunPatchBaseline",
            "ScheduleExpression": cfg.network.nat_patch_schedule,
            "Targets": [{"Key": "InstanceIds", "Values": [{"Ref": instance_id}]}],
            "Parameters": {"Operation": ["Install"], "RebootOption": ["RebootIfNeeded"]},
        },
    )


def _user_data(t: Template) -> str:
    """The NAT instance's user data script, tokens joined as text."""
    data = _nat_instance(t)["Properties"]["UserData"]["Fn::Base64"]
    return (
        data
        if isinstance(data, str)
        else "".join(p if isinstance(p, str) else json.dumps(p) for p in data["Fn::Join"][1])
    )


def test_nat_setup_runs_at_every_boot_and_is_retried_until_it_succeeds(templates):
    script = _user_data(templates["Network"])
    # a unit enabled for every boot, not a one-time user-data command
    assert f"systemctl enable {nat_instance.UNIT_NAME}" in script
    assert "WantedBy=multi-user.target" in script
    # retried without a limit
    assert "Restart=on-failure" in script and "StartLimitIntervalSec=0" in script
    # the setup itself is in the unit, and nothing relies on a service AL2023 lacks
    assert nat_instance.SETUP_SCRIPT.read_text().strip() in script
    assert "service iptables save" not in script and "yum install" not in script


def test_status_check_alarms_recover_or_reboot_the_nat_and_notify_on_alarm_and_ok(templates, cfg):
    alarms = {
        p["MetricName"]: p
        for p in (r["Properties"] for r in templates["Network"].find_resources("AWS::CloudWatch::Alarm").values())
    }
    assert set(alarms) == {"StatusCheckFailed_System", "StatusCheckFailed_Instance"}
    ec2_action = {"StatusCheckFailed_System": ":ec2:recover", "StatusCheckFailed_Instance": ":ec2:reboot"}
    for metric, props in alarms.items():
        actions = json.dumps(props["AlarmActions"])
        assert ec2_action[metric] in actions, metric
        # the alerts topic, by its name: no import from the Monitoring stack
        assert f":{cfg.prefix}-alerts" in actions and f":{cfg.prefix}-alerts" in json.dumps(props["OKActions"])
        assert "ImportValue" not in actions


def test_the_nat_instance_id_is_never_exported(templates):
    # An export of it would block the instance's replacement ("export in use").
    instance_id = next(iter(templates["Network"].find_resources("AWS::EC2::Instance")))
    outputs = templates["Network"].to_json().get("Outputs") or {}
    assert not [name for name, o in outputs.items() if instance_id in json.dumps(o["Value"])]


def _nat_instance(t: Template) -> dict:
    instances = t.find_resources("AWS::EC2::Instance")
    assert len(instances) == 1
    return next(iter(instances.values()))
