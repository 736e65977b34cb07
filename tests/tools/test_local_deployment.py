"""tools/local/deployment: what the local system creates is what the dev stage's templates deploy."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stacks.config import load_stage_config
from stacks.cron import CRON_TASKS
from stacks.router import api_routes
from tools.local import deployment
from tools.local.synth import templates

ROOT = Path(__file__).resolve().parents[2]
WORKER_TASKS = ("video", *CRON_TASKS)


@pytest.fixture(scope="module")
def cfg():
    return load_stage_config(json.loads((ROOT / "cdk.json").read_text())["context"]["config"], "dev", environ={})


@pytest.fixture(scope="module")
def dep(cfg) -> deployment.Deployment:
    return deployment.read(templates("dev"), cfg.region)


def _worker(cfg, task: str):
    return cfg.video.worker if task == "video" else getattr(cfg.cron, task)


@pytest.mark.parametrize("task", WORKER_TASKS)
def test_each_worker_queue_has_its_dlq_and_max_receive_count(dep, cfg, task: str) -> None:
    queue = dep.queues[f"{cfg.prefix}-{task}"]

    assert queue.dlq_name == f"{cfg.prefix}-{task}-dlq"
    assert queue.dlq_name in dep.queues
    assert queue.max_receive_count == _worker(cfg, task).max_receive_count
    assert json.loads(queue.attributes["RedrivePolicy"])["deadLetterTargetArn"] == dep.queue_arn(queue.dlq_name)


@pytest.mark.parametrize("task", WORKER_TASKS)
def test_each_worker_function_is_fed_by_its_queue_as_configured(dep, cfg, task: str) -> None:
    (fn,) = [f for f in dep.functions.values() if f.environment.get("TASK") == task]
    (source,) = fn.event_sources

    assert source.queue == f"{cfg.prefix}-{task}"
    assert source.batch_size == _worker(cfg, task).batch_size
    assert source.batching_window_s == _worker(cfg, task).max_batching_window_seconds
    assert source.partial_batch_responses
    assert fn.timeout_s == _worker(cfg, task).timeout_seconds


def test_uploads_notify_the_video_queue_and_events_files_the_imports_queue(dep, cfg) -> None:
    by_prefix = {n["Filter"]["Key"]["FilterRules"][0]["Value"]: n["QueueArn"] for n in dep.notifications}

    assert by_prefix == {
        "uploads/": dep.queue_arn(f"{cfg.prefix}-video"),
        "events/": dep.queue_arn(f"{cfg.prefix}-imports"),
    }
    assert dep.bucket.startswith(f"{cfg.prefix}-uploads-")


def test_the_api_has_the_documented_routes_authorizer_throttle_and_cors(dep, cfg) -> None:
    assert sorted((r.method, r.path, r.jwt) for r in dep.api.routes) == sorted(
        (r.method, r.path, r.secured) for r in api_routes()
    )
    assert (dep.api.issuer, dep.api.audience) == (cfg.router.jwt_issuer, list(cfg.router.jwt_audience))
    assert (dep.api.throttle_rate, dep.api.throttle_burst) == (cfg.router.throttle_rate, cfg.router.throttle_burst)
    assert dep.api.cors["AllowOrigins"] == list(cfg.router.cors_origins)
    assert dep.functions[dep.api.function].handler == "router.handler.lambda_handler"


@pytest.mark.parametrize("task", CRON_TASKS)
def test_each_schedule_sends_its_envelope_to_its_queue(dep, cfg, task: str) -> None:
    (schedule,) = [s for s in dep.schedules if s.queue == f"{cfg.prefix}-{task}"]

    assert schedule.expression == getattr(cfg.cron, f"{task}_schedule").expression
    assert json.loads(schedule.input)["task"] == task
    assert "<aws.scheduler.scheduled-time>" in schedule.input


def test_queue_urls_in_function_environments_resolve_to_the_local_queue_names(dep, cfg) -> None:
    router = dep.functions[dep.api.function]

    urls = {k: v for k, v in router.environment.items() if k.startswith("QUEUE_URL_")}

    assert {url.rsplit("/", 1)[-1] for url in urls.values()} == {f"{cfg.prefix}-{t}" for t in WORKER_TASKS}
