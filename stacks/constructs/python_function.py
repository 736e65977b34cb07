"""The one way this app builds a Python Lambda function.

arm64 (Graviton is about 20% cheaper per GB-second), a current Python
runtime, the AWS-managed Powertools layer, JSON logs into a log group with a
retention, X-Ray, and an asset bundled without Docker: pip installs the
function's requirements as aarch64 manylinux wheels, then the function's
package and the shared ``common`` package are copied beside them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import aws_cdk as cdk
import jsii
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from stacks.config import StageConfig
from stacks.constructs.bundling import LAMBDAS_DIR, PYTHON_VERSION, asset_hash, bundle
from stacks.constructs.log_retention import retention
from stacks.constructs.nag import BASIC_EXECUTION_ROLE, acknowledge

RUNTIME = lambda_.Runtime.PYTHON_3_13
# Tags a function the monitoring walk leaves without alarms (see PythonFunction).
UNALARMED_TAG = "huntaze:alarms"
if RUNTIME.name != f"python{PYTHON_VERSION}":
    raise RuntimeError("stacks/constructs/bundling.py PYTHON_VERSION must match RUNTIME")

# The CloudWatch namespace of the functions' own (EMF) metrics.
METRICS_NAMESPACE = "Huntaze"


@jsii.implements(cdk.ILocalBundling)
class _LocalPipBundling:
    def __init__(self, package: str) -> None:
        self._package = package

    def try_bundle(self, output_dir: str, *, image: cdk.DockerImage, **_: object) -> bool:
        bundle(self._package, output_dir)
        return True


def code_for(package: str) -> lambda_.Code:
    if not (LAMBDAS_DIR / package).is_dir():
        raise ValueError(f"no Lambda package lambdas/{package}")
    return lambda_.Code.from_asset(
        str(LAMBDAS_DIR / package),
        asset_hash_type=cdk.AssetHashType.CUSTOM,
        asset_hash=asset_hash(package),
        bundling=cdk.BundlingOptions(
            image=RUNTIME.bundling_image,
            local=_LocalPipBundling(package),
            # Only reached if local bundling is skipped; this app never uses Docker.
            command=["bash", "-c", "echo 'bundling runs locally with pip, not in Docker' >&2; exit 1"],
        ),
    )


@dataclass(frozen=True)
class DatabaseAccess:
    """How a function reaches PostgreSQL as one role: its place in the VPC, and its login
    (environment and grant), applied to the function once it exists (``DataStack.database_access``)."""

    vpc: ec2.IVpc
    security_groups: Sequence[ec2.ISecurityGroup]
    attach: Callable[[lambda_.Function], None]


class PythonFunction(lambda_.Function):
    """A Lambda function of ``lambdas/<package>`` with the app's standard settings."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cfg: StageConfig,
        package: str,
        handler: str,
        description: str,
        memory_mb: int = 256,
        timeout: cdk.Duration | None = None,
        ephemeral_storage_mb: int = 512,
        environment: Mapping[str, str] | None = None,
        database: DatabaseAccess | None = None,
        reserved_concurrency: int | None = None,
        unalarmed_because: str | None = None,
        function_name: str | None = None,
    ) -> None:
        log_group = logs.LogGroup(
            scope,
            f"{construct_id}Logs",
            retention=retention(cfg.log_retention_days),
            removal_policy=cdk.RemovalPolicy.RETAIN if cfg.retain_data else cdk.RemovalPolicy.DESTROY,
        )
        env = {
            "STAGE": cfg.stage,
            "POWERTOOLS_SERVICE_NAME": package,
            "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
            "POWERTOOLS_LOG_LEVEL": cfg.lambdas.log_level,
            **(environment or {}),
        }
        vpc = database.vpc if database else None
        super().__init__(
            scope,
            construct_id,
            runtime=RUNTIME,
            architecture=lambda_.Architecture.ARM_64,
            code=code_for(package),
            handler=handler,
            description=description,
            memory_size=memory_mb,
            timeout=timeout or cdk.Duration.seconds(30),
            ephemeral_storage_size=cdk.Size.mebibytes(ephemeral_storage_mb),
            environment=env,
            layers=[powertools_layer(scope, f"{construct_id}Powertools", cfg)],
            tracing=lambda_.Tracing.ACTIVE,
            log_group=log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            application_log_level_v2=lambda_.ApplicationLogLevel(cfg.lambdas.log_level),
            system_log_level_v2=lambda_.SystemLogLevel.WARN,
            vpc=vpc,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS) if vpc else None,
            security_groups=list(database.security_groups) if database else None,
            reserved_concurrent_executions=reserved_concurrency,
            function_name=function_name,
        )
        if database is not None:
            database.attach(self)
        # A function whose failures already reach a person another way (a deploy that
        # fails, an operator's own command) gets no alarms: each costs $0.10/month.
        self.unalarmed_because = unalarmed_because
        if unalarmed_because:
            cdk.Tags.of(self).add(UNALARMED_TAG, "off")
        managed = {
            BASIC_EXECUTION_ROLE: "The AWS-managed basic execution policy only lets the function write its own logs.",
        }
        if vpc is not None:
            managed[
                "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]"
            ] = "The AWS-managed VPC access policy is what Lambda needs to attach ENIs in the VPC."
        managed["AwsSolutions-L1"] = (
            f"Pinned to {RUNTIME.name}: the managed Powertools layer and the aarch64 wheels are built for it; "
            "RUNTIME here and PYTHON_VERSION in bundling.py move every function at once."
        )
        managed["Serverless-LambdaLatestVersion"] = managed["AwsSolutions-L1"]
        acknowledge(self, managed)
        if self.role is not None:
            acknowledge(
                self.role,
                {
                    "AwsSolutions-IAM5[Resource::*]": "X-Ray's PutTraceSegments and PutTelemetryRecords accept no resource but '*'."
                },
            )


def powertools_layer(scope: Construct, construct_id: str, cfg: StageConfig) -> lambda_.ILayerVersion:
    """The AWS-managed Powertools layer: compiled, and not in our asset."""
    runtime_tag = "python" + PYTHON_VERSION.replace(".", "")
    arn = (
        f"arn:{cdk.Aws.PARTITION}:lambda:{cdk.Aws.REGION}:{cfg.lambdas.powertools_layer_account}:layer:"
        f"AWSLambdaPowertoolsPythonV3-{runtime_tag}-arm64:{cfg.lambdas.powertools_layer_version}"
    )
    return lambda_.LayerVersion.from_layer_version_arn(scope, construct_id, arn)
