"""Network stack: the VPC every worker runs in, and its NAT."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from constructs import Construct

from stacks.config import StageConfig
from stacks.constructs import nat_instance
from stacks.constructs.alarms import AlarmFactory
from stacks.constructs.log_retention import retention
from stacks.constructs.nag import acknowledge


class NetworkStack(cdk.Stack):
    """VPC over two AZs with public, private (egress) and isolated data subnets.

    The NAT is a t4g.nano instance by default (about $7/month with its IPv4)
    instead of a NAT gateway (about $33/month before data); ``nat_mode:
    gateway`` in the stage config switches to the managed gateway. The
    instance's setup, recovery and patching are in ``constructs/nat_instance``;
    its alarms stay here, beside the instance id they need.
    """

    def __init__(self, scope: Construct, construct_id: str, *, cfg: StageConfig, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        net = cfg.network

        self.nat_instance_provider: ec2.NatInstanceProviderV2 | None = None
        if net.nat_mode == "instance":
            self.nat_instance_provider = nat_instance.provider(net, cfg)
            nat_provider: ec2.NatProvider = self.nat_instance_provider
        else:
            nat_provider = ec2.NatProvider.gateway()

        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=ec2.IpAddresses.cidr(net.cidr),
            availability_zones=list(net.availability_zones or ()),
            nat_gateway_provider=nat_provider,
            nat_gateways=net.nat_count,
            subnet_configuration=[
                ec2.SubnetConfiguration(name="public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=24),
                ec2.SubnetConfiguration(name="workers", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS, cidr_mask=22),
                ec2.SubnetConfiguration(name="data", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=24),
            ],
            # S3 traffic (video downloads) skips the NAT: free and faster.
            gateway_endpoints={"S3": ec2.GatewayVpcEndpointOptions(service=ec2.GatewayVpcEndpointAwsService.S3)},
            restrict_default_security_group=True,
        )
        if self.nat_instance_provider is not None:
            nat_sg = self.nat_instance_provider.security_group
            nat_sg.add_ingress_rule(
                ec2.Peer.ipv4(self.vpc.vpc_cidr_block), ec2.Port.all_traffic(), "NAT for the VPC's private subnets"
            )
            acknowledge(
                nat_sg,
                {
                    "AwsSolutions-EC23": "Ingress is the VPC's own CIDR (a token the rule cannot evaluate), never 0.0.0.0/0."
                },
            )

        # Rejected flows only: enough to debug security groups, cheap to ingest.
        flow_logs = logs.LogGroup(
            self,
            "FlowLogs",
            retention=retention(net.flow_log_retention_days),
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )
        self.vpc.add_flow_log(
            "RejectedFlows",
            destination=ec2.FlowLogDestination.to_cloud_watch_logs(flow_logs),
            traffic_type=ec2.FlowLogTrafficType.REJECT,
        )

        # Every Lambda attaches to this group; the data tier admits only it.
        self.workers_sg = ec2.SecurityGroup(
            self, "WorkersSg", vpc=self.vpc, description="Huntaze Lambda workers", allow_all_outbound=True
        )

        self.alarms = AlarmFactory(self, cfg)
        for instance in self.nat_instance_provider.gateway_instances if self.nat_instance_provider else []:
            nat_instance.harden(self, cfg, instance, self.alarms)
