"""Lambda-wide settings, queue-fed workers and the video worker."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from stacks.config.base import Section

# Layer version of AWSLambdaPowertoolsPythonV3-python313-arm64 -> the Powertools
# release it holds. The tests run on the aws-lambda-powertools pinned in
# requirements-dev.txt, so the deployed layer must hold that same release
# (tests/infra/test_powertools_layer.py checks the pin against this table).
# Issue 18 item 7: the tests are pinned to the release a layer version is shown to hold.
# Evidence (read offline from aws-powertools/powertools-lambda-python):
# - commit 0219b401d6a97e222cb26ade10456f8626a716d3: docs/includes/_layer_homepage_arm64.md lists
#   arn:aws:lambda:us-east-2:017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-arm64:25 (every
#   region, every Python), and aws_lambda_powertools/shared/version.py in the same tree says 3.22.0.
#   Each release's "docs(layer): update layer version number" change sets both together, e.g.
#   https://github.com/aws-powertools/powertools-lambda-python/pull/5869 (v3.4.1 -> layer 6, 2025-01-14);
#   also #5426 (v3.2.0 -> 3, 2024-10-22), #5785 (v3.4.0 -> 5, 2024-12-23).
# - layer 27 (the version configured before): docs/index.md moves from :18 to :27 in
#   https://github.com/aws-powertools/powertools-lambda-python/pull/7757 (index.md lags the regional
#   tables), and schubergphilis/terraform-aws-mcaf-securityhub-findings-manager#91 (2026-06-24) calls
#   :27 the latest V3 layer (an earlier note here dated 3.37.0, the pin before, to 2026-10; not
#   re-checked). So 27 holds a release after 3.22.0; which one, and which layer holds 3.37.0, no
#   source read offline says.
# The lambda tests (router, ops, notify, cron and video handlers, common) pass on 3.22.0.
# To move up: `aws lambda get-layer-version-by-arn --arn <arn>:<n>` (its Description names the
# release), then change this table, cdk.json and requirements-dev.txt together.
POWERTOOLS_LAYER_RELEASES: dict[int, str] = {25: "3.22.0"}


class LambdaConfig(Section):
    # The AWS-managed Powertools layer (python313, arm64); bump together with the
    # pinned aws-lambda-powertools in requirements-dev.txt and POWERTOOLS_LAYER_RELEASES.
    powertools_layer_account: str = "017000801446"
    powertools_layer_version: int = Field(25, ge=1)
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
    # 512 MB: the cheapest size that keeps a 3-minute clip within the time budget
    # (bench/bench_unit_cost.py, docs/performance/unit-cost.md); videos go to /tmp, not memory.
    worker: WorkerConfig = WorkerConfig(memory_mb=512, timeout_seconds=300, ephemeral_storage_mb=2048)
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
