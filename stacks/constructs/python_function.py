"""The one way this app builds a Python Lambda function.

arm64 (Graviton is about 20% cheaper per GB-second), a current Python
runtime, the AWS-managed Powertools layer, JSON logs into a log group with a
retention, X-Ray, and an asset bundled without Docker: pip installs the
function's requirements as aarch64 manylinux wheels, then the function's
package and the shared ``common`` package are copied beside them.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import aws_cdk as cdk
import jsii
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from stacks.config import StageConfig
from stacks.constructs.log_retention import retention
from stacks.constructs.nag import acknowledge

ROOT = Path(__file__).resolve().parents[2]
LAMBDAS_DIR = ROOT / "lambdas"
COMMON_PACKAGE = "common"
RUNTIME = lambda_.Runtime.PYTHON_3_13
PYTHON_VERSION = "3.13"
# pip matches platform tags exactly: psycopg-binary 3.3 ships only
# manylinux_2_28 for aarch64, older wheels only manylinux2014.
PLATFORMS = ("manylinux_2_28_aarch64", "manylinux_2_17_aarch64", "manylinux2014_aarch64")
DEPS_CACHE = Path(os.environ.get("HUNTAZE_DEPS_CACHE", ROOT / ".cache" / "lambda-deps"))
_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", "requirements.txt")


def requirement_files(package: str) -> list[Path]:
    """The shared package's requirements plus the function's own."""
    return [p for p in (LAMBDAS_DIR / COMMON_PACKAGE / "requirements.txt", LAMBDAS_DIR / package / "requirements.txt") if p.is_file()]


def _source_files(package: str) -> list[Path]:
    files: list[Path] = []
    for top in (LAMBDAS_DIR / COMMON_PACKAGE, LAMBDAS_DIR / package):
        files += [p for p in top.rglob("*") if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"]
    return sorted(files)


def _requirements_key(package: str) -> str:
    digest = hashlib.sha256(f"{PYTHON_VERSION}|{','.join(PLATFORMS)}".encode())
    for req in requirement_files(package):
        digest.update(req.read_bytes())
    return digest.hexdigest()[:24]


def asset_hash(package: str) -> str:
    """Changes exactly when the deployed code or its dependencies change."""
    digest = hashlib.sha256(_requirements_key(package).encode())
    for path in _source_files(package):
        digest.update(str(path.relative_to(LAMBDAS_DIR)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def install_requirements(package: str) -> Path:
    """pip-install the function's requirements for Lambda arm64, cached by their hash."""
    reqs = requirement_files(package)
    target = DEPS_CACHE / _requirements_key(package)
    if target.is_dir():
        return target
    DEPS_CACHE.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=DEPS_CACHE, prefix="tmp-"))
    if reqs:
        cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
               "--target", str(staging), "--implementation", "cp", "--python-version", PYTHON_VERSION,
               "--only-binary=:all:", "--upgrade"]
        for platform in PLATFORMS:
            cmd += ["--platform", platform]
        for req in reqs:
            cmd += ["-r", str(req)]
        try:
            subprocess.run(cmd, check=True)
        except subprocess.CalledProcessError:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        # Entry-point scripts are useless in Lambda and point at this machine's Python.
        shutil.rmtree(staging / "bin", ignore_errors=True)
        for cache in staging.rglob("__pycache__"):
            shutil.rmtree(cache, ignore_errors=True)
    try:
        staging.rename(target)
    except OSError:  # another synth filled the cache first
        shutil.rmtree(staging, ignore_errors=True)
    return target


def bundle(package: str, output_dir: str | Path) -> None:
    """Write the complete asset of ``package`` into ``output_dir``."""
    out = Path(output_dir)
    shutil.copytree(install_requirements(package), out, dirs_exist_ok=True)
    shutil.copytree(LAMBDAS_DIR / COMMON_PACKAGE, out / COMMON_PACKAGE, ignore=_IGNORE, dirs_exist_ok=True)
    shutil.copytree(LAMBDAS_DIR / package, out / package, ignore=_IGNORE, dirs_exist_ok=True)


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
        vpc: ec2.IVpc | None = None,
        security_groups: Sequence[ec2.ISecurityGroup] | None = None,
        reserved_concurrency: int | None = None,
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
            "POWERTOOLS_METRICS_NAMESPACE": "Huntaze",
            "POWERTOOLS_LOG_LEVEL": cfg.lambdas.log_level,
            **(environment or {}),
        }
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
            security_groups=list(security_groups) if security_groups else None,
            reserved_concurrent_executions=reserved_concurrency,
        )
        managed = {
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]":
                "The AWS-managed basic execution policy only lets the function write its own logs.",
        }
        if vpc is not None:
            managed["AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]"] = (
                "The AWS-managed VPC access policy is what Lambda needs to attach ENIs in the VPC."
            )
        managed["AwsSolutions-L1"] = (
            f"Pinned to {RUNTIME.name}: the managed Powertools layer and the aarch64 wheels are built for it; "
            "RUNTIME in stacks/constructs/python_function.py moves every function at once."
        )
        acknowledge(self, managed)
        if self.role is not None:
            acknowledge(
                self.role,
                {"AwsSolutions-IAM5[Resource::*]": "X-Ray's PutTraceSegments and PutTelemetryRecords accept no resource but '*'."},
            )


def powertools_layer(scope: Construct, construct_id: str, cfg: StageConfig) -> lambda_.ILayerVersion:
    """The AWS-managed Powertools layer: compiled, and not in our asset."""
    runtime_tag = "python" + PYTHON_VERSION.replace(".", "")
    arn = (
        f"arn:{cdk.Aws.PARTITION}:lambda:{cdk.Aws.REGION}:{cfg.lambdas.powertools_layer_account}:layer:"
        f"AWSLambdaPowertoolsPythonV3-{runtime_tag}-arm64:{cfg.lambdas.powertools_layer_version}"
    )
    return lambda_.LayerVersion.from_layer_version_arn(scope, construct_id, arn)
