"""Network stack: two AZs, three subnet tiers, a budget NAT, S3 without NAT."""

from __future__ import annotations

from aws_cdk.assertions import Match, Template

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
    # Given a pinned AMI (prod should pin: the latest-AMI lookup replaces the NAT on every AMI release)
    _, stacks = synth_app("dev", overrides={"network": {"nat_ami_id": "ami-0123456789abcdef0"}})
    instance = next(iter(Template.from_stack(stacks.network).find_resources("AWS::EC2::Instance").values()))
    assert instance["Properties"]["ImageId"] == "ami-0123456789abcdef0"


def test_by_default_the_nat_follows_the_latest_arm64_al2023(templates):
    instance = next(iter(templates["Network"].find_resources("AWS::EC2::Instance").values()))
    param = instance["Properties"]["ImageId"]["Ref"]
    assert "al2023" in param.lower() and "arm64" in param.lower()
