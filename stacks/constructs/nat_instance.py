"""The budget NAT instance, made to come up as a NAT, stay one across reboots, and recover by itself.

* Setup: ``nat_setup.sh`` runs from a systemd unit at every boot, retried
  until it succeeds (CDK's default user data installs iptables once, with no
  retry, and saves the rules through a service AL2023 lacks).
* AMI: see ``NetworkConfig.nat_ami``; by default EC2 resolves the AL2023
  parameter at launch, so no routine deploy replaces the instance.
* Recovery: a failed system status check triggers EC2's recover action (same
  instance id, private and public IP); a failed instance status check (a hung
  kernel, a NAT that never came up) triggers a reboot, which runs the setup
  again. Both alarms notify the alerts topic on ALARM and on OK.
* Hardening: IMDSv2 only; an SSM-managed role, so the instance can be patched
  (State Manager's AWS-RunPatchBaseline on ``nat_patch_schedule``) and reached
  through Session Manager without SSH or a redeploy.
"""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from stacks.config import NetworkConfig, StageConfig
from stacks.constructs.alarms import AlarmFactory
from stacks.constructs.nag import acknowledge

SETUP_SCRIPT = Path(__file__).with_name("nat_setup.sh")
SETUP_PATH = "/usr/local/sbin/nat-setup"
UNIT_NAME = "nat-setup.service"
AL2023_ARM64_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"
# Status checks report every minute; two failed minutes start the recovery.
STATUS_PERIOD = cdk.Duration.minutes(1)
STATUS_PERIODS = 2
RESTART_SECONDS = 20

_UNIT = f"""[Unit]
Description=NAT for the VPC's private subnets
Wants=network-online.target
After=network-online.target
# Retry for as long as it takes: without NAT the private subnets have no egress.
StartLimitIntervalSec=0

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart={SETUP_PATH}
Restart=on-failure
RestartSec={RESTART_SECONDS}

[Install]
WantedBy=multi-user.target
"""


def machine_image(cfg: StageConfig) -> ec2.IMachineImage:
    ami = cfg.network.nat_ami
    if ami == "at-launch":
        return ec2.MachineImage.resolve_ssm_parameter_at_launch(
            AL2023_ARM64_PARAMETER, os=ec2.OperatingSystemType.LINUX
        )
    if ami == "latest":
        return ec2.MachineImage.latest_amazon_linux2023(cpu_type=ec2.AmazonLinuxCpuType.ARM_64)
    return ec2.MachineImage.generic_linux({cfg.region: ami})


def user_data() -> ec2.UserData:
    """Installs the setup script and its unit, then starts it (it runs again at every boot)."""
    data = ec2.UserData.for_linux()
    data.add_commands(
        f"cat > {SETUP_PATH} <<'NAT_SETUP'\n{SETUP_SCRIPT.read_text().rstrip()}\nNAT_SETUP",
        f"chmod 755 {SETUP_PATH}",
        # Forwarding survives a reboot even before the unit has run.
        "echo 'net.ipv4.ip_forward=1' > /etc/sysctl.d/90-nat.conf",
        f"cat > /etc/systemd/system/{UNIT_NAME} <<'NAT_UNIT'\n{_UNIT.rstrip()}\nNAT_UNIT",
        "systemctl daemon-reload",
        f"systemctl enable {UNIT_NAME}",
        # --no-block: user data itself runs inside boot; waiting here could stall it.
        f"systemctl start --no-block {UNIT_NAME}",
    )
    return data


def provider(net: NetworkConfig, cfg: StageConfig) -> ec2.NatInstanceProviderV2:
    return ec2.NatProvider.instance_v2(
        instance_type=ec2.InstanceType(net.nat_instance_type),
        machine_image=machine_image(cfg),
        user_data=user_data(),
        associate_public_ip_address=True,
        # Standard credits: a busy NAT slows down instead of billing surplus credits.
        credit_specification=ec2.CpuCredits.STANDARD,
        # The default would open the instance to the whole internet.
        default_allowed_traffic=ec2.NatTrafficDirection.OUTBOUND_ONLY,
    )


def harden(scope: Construct, cfg: StageConfig, instance: ec2.Instance, alarms: AlarmFactory) -> None:
    """IMDSv2, the SSM role and patching, and the self-recovering status-check alarms of one NAT instance."""
    cfn = instance.instance
    if cfg.network.nat_ami == "at-launch":
        # The schema's AMI-id pattern predates "resolve:ssm:", which RunInstances accepts as ImageId;
        # cfn-lint and the CDK's own CloudFormation validation (the same rule) are told so.
        why = 'RunInstances accepts "resolve:ssm:<public AMI parameter>" as ImageId; the schema pattern predates it.'
        cfn.add_metadata("cfn-lint", {"config": {"ignore_checks": ["E1152"]}})
        cdk.Validations.of(cfn).acknowledge(cdk.Acknowledgment(id="CloudFormation-Validate::E1152", reason=why))
    cfn.metadata_options = ec2.CfnInstance.MetadataOptionsProperty(
        http_tokens="required", http_endpoint="enabled", http_put_response_hop_limit=1
    )
    instance.role.add_managed_policy(iam.ManagedPolicy.from_aws_managed_policy_name("AmazonSSMManagedInstanceCore"))
    if cfg.network.nat_patch_schedule:
        ssm.CfnAssociation(
            scope,
            f"{instance.node.id}Patching",
            name="AWS-RunPatchBaseline",
            targets=[ssm.CfnAssociation.TargetProperty(key="InstanceIds", values=[instance.instance_id])],
            schedule_expression=cfg.network.nat_patch_schedule,
            parameters={"Operation": ["Install"], "RebootOption": ["RebootIfNeeded"]},
            # A run that finds the agent not yet registered waits for the next schedule, not a deploy.
            apply_only_at_cron_interval=True,
        )
    _status_alarm(
        alarms,
        instance,
        "StatusCheckFailed_System",
        cw_actions.Ec2InstanceAction.RECOVER,
        "-System",
        "failed its system status check (AWS hardware or network): EC2 is recovering it onto other hardware",
    )
    _status_alarm(
        alarms,
        instance,
        "StatusCheckFailed_Instance",
        cw_actions.Ec2InstanceAction.REBOOT,
        "-Instance",
        "failed its instance status check (OS or network setup): EC2 is rebooting it, which runs the NAT setup again",
    )
    acknowledge(
        instance,
        {
            "AwsSolutions-EC26": "The NAT instance's root volume holds no data: it only forwards packets.",
            "AwsSolutions-EC28": "Detailed monitoring costs more than the budget NAT it watches; "
            "the free 1-minute status checks drive its recovery.",
            "AwsSolutions-EC29": "A NAT instance recovers or reboots itself and is replaceable by a deploy; "
            "termination protection would block the stack's own updates.",
        },
    )
    acknowledge(
        instance.role,
        {
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]": "The "
            "AWS-managed SSM core policy is what the SSM agent needs for patching and Session Manager.",
        },
    )


def _status_alarm(
    alarms: AlarmFactory,
    instance: ec2.Instance,
    metric_name: str,
    action: cw_actions.Ec2InstanceAction,
    suffix: str,
    what: str,
) -> cloudwatch.Alarm:
    return alarms.alarm(
        "nat-status",
        instance,
        metric=cloudwatch.Metric(
            namespace="AWS/EC2",
            metric_name=metric_name,
            dimensions_map={"InstanceId": instance.instance_id},
            period=STATUS_PERIOD,
            statistic="Maximum",
        ),
        threshold=1,
        periods=STATUS_PERIODS,
        suffix=suffix,
        what=f"The NAT instance {what}. Private subnets have no internet egress meanwhile.",
        actions=[cw_actions.Ec2Action(action)],
    )
