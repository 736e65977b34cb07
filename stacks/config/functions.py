"""Lambda-wide settings, queue-fed workers and the video worker."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from stacks.config.base import Section

# Layer version of AWSLambdaPowertoolsPythonV3-python313-arm64 -> the Powertools
# release it holds. The tests run on the aws-lambda-powertools pinned in
# requirements-dev.txt, so the deployed layer must hold that same release
# (tests/infra/test_powertools_layer.py checks the pin against this table).
# KNOWN WRONG, to be fixed before a deploy (issue 18 item 7). Evidence gathered offline:
# - layer 27 is what docs/index.md moved to in aws-powertools/powertools-lambda-python#7757
#   (from 18); one layer version is published per release (v3.2.0 -> 3, v3.4.0 -> 5, v3.4.1 -> 6,
#   per that repository's "docs(layer): update layer version number" PRs #5426, #5785, #5869);
# - a public PR of 2026-06-24 (schubergphilis/terraform-aws-mcaf-securityhub-findings-manager#91)
#   calls :27 "the latest V3 layer", while aws-lambda-powertools 3.37.0 was published 2026-10;
# - public code already deploys python313-arm64 layer versions up to :36.
# So layer 27 predates 3.37.0 and does not hold it; which version does could not be read here.
# Before a deploy: `aws lambda list-layer-versions --layer-name
# arn:aws:lambda:us-east-2:017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-arm64`
# (each Description names the Powertools release), then put that version here and in cdk.json.
POWERTOOLS_LAYER_RELEASES: dict[int, str] = {27: "3.37.0"}


class LambdaConfig(Section):
    # The AWS-managed Powertools layer (python313, arm64); bump together with the
    # pinned aws-lambda-powertools in requirements-dev.txt and POWERTOOLS_LAYER_RELEASES.
    powertools_layer_account: str = "017000801446"
    powertools_layer_version: int = Field(27, ge=1)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("powertools_layer_version")
    @classmethod
    def _known_layer(cls, v: int) -> int:
        if v not in POWERTOOLS_LAYER_RELEASES:
            known = ", ".join(f"{k} (Powertools {r})" for k, r in sorted(POWERTOOLS_LAYER_RELEASES.items()))
            raise ValueError(f"layer version {v} is not in POWERTOOLS_LAYER_RELEASES (known: {known})")
        return v

    @property
    def powertools_release(self) -> str:
        """The aws-lambda-powertools release the configured layer holds."""
        return POWERTOOLS_LAYER_RELEASES[self.powertools_layer_version]


class WorkerConfig(Section):
    """Settings of one queue-fed worker (queue, DLQ, function, event source)."""

    memory_mb: int = Field(512, ge=128, le=10240)
    timeout_seconds: int = Field(60, ge=1, le=900)
    ephemeral_storage_mb: int = Field(512, ge=512, le=10240)
    batch_size: int = Field(1, ge=1, le=10)
    max_batching_window_seconds: int = Field(0, ge=0, le=300)
    # Caps the pollers (and so DB connections); SQS's minimum is 2.
    max_concurrency: int = Field(2, ge=2, le=1000)
    max_receive_count: int = Field(3, ge=1, le=1000)


class VideoConfig(Section):
    worker: WorkerConfig = WorkerConfig(memory_mb=2048, timeout_seconds=300, ephemeral_storage_mb=2048)
    max_bytes: int = Field(500 * 1024 * 1024, ge=1)
    max_duration_seconds: float = Field(180.0, gt=0)
    sample_fps: float = Field(1.0, gt=0)
    max_sampled_frames: int = Field(180, ge=1)
    frames_for_model: int = Field(6, ge=1, le=20)
    # The longest side of a frame sent to the model, and the analysis' answer budget.
    model_frame_max_side: int = Field(512, ge=16, le=4096)
    analysis_max_tokens: int = Field(800, ge=1)
    # Where the worker downloads an upload (Lambda's ephemeral storage).
    work_dir: str = Field("/tmp", min_length=1)  # noqa: S108 - Lambda's only writable directory
    # Decoder threads; None: as many as the CPUs the function may use.
    decode_threads: int | None = Field(None, ge=1, le=16)
    # The worker stops this long before the function timeout and hands unfinished messages back.
    time_reserve_seconds: float = Field(10.0, ge=1)
