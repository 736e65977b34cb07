"""The capacity model (tools/capacity) on known inputs: the dev stage's config, a price table and assumptions written here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stacks.config import load_stage_config
from stacks.synth import cdk_context
from tools.capacity.__main__ import read_measured
from tools.capacity.model import HOURS_PER_MONTH, Worker, load_assumptions, plan, workers
from tools.cost.prices import PriceTable

PRICES = PriceTable(
    region="test",
    hours_per_month=730,
    entries={
        k: {"value": v}
        for k, v in {
            "rds.db.t4g.micro.postgres.hour": 0.01,
            "rds.db.t4g.small.postgres.hour": 0.02,
            "rds.db.t4g.medium.postgres.hour": 0.04,
            "elasticache.cache.t4g.micro.valkey.hour": 0.01,
            "elasticache.cache.t4g.small.valkey.hour": 0.02,
            "lambda.arm64.gb_second": 0.00001,
            "lambda.request": 0.0000002,
            "sqs.request": 0.0000004,
            "apigw.http.request": 0.000001,
        }.items()
    },
)


@pytest.fixture(scope="module")
def cfg():
    return load_stage_config(cdk_context()["config"], "dev", environ={})


def _assumptions(**override: float) -> dict:
    a = load_assumptions()
    for key, value in override.items():
        a[key] = {"value": value, "source": "test"}
    return a


def _worker(name: str, concurrency: int, seconds: float, per_hour: float, *, scales: bool = True) -> Worker:
    return Worker(name, concurrency, seconds, "test", 1024, per_hour, scales, setting=f"{name}.max_concurrency")


def test_jobs_per_hour_is_concurrency_times_an_hour_over_the_seconds_a_job_takes() -> None:
    # Given 2 containers at 30 s a job, Then 240 jobs an hour
    assert _worker("video", 2, 30.0, 1).jobs_per_hour == 240


def test_needed_concurrency_is_littles_law_at_the_peak_and_never_under_sqs_minimum() -> None:
    # Given 120 jobs an hour on average, a 3x peak and 30 s a job: 360/h x 30 s / 3600 = 3 busy at once
    worker = _worker("video", 2, 30.0, 120)
    assert worker.needed_concurrency(1, 3) == 3
    assert worker.needed_concurrency(10, 3) == 30
    # A trickle still needs SQS's minimum of 2; a schedule does not grow with the workload
    assert _worker("video", 2, 1.0, 1).needed_concurrency(1, 3) == 2
    schedule = _worker("alerts", 2, 3.0, 12, scales=False)
    assert schedule.peak_per_hour(100, 3) == 12


def test_every_worker_takes_its_concurrency_from_the_config_and_says_where_its_seconds_come_from(cfg) -> None:
    # Given the dev config and a measured time for the video worker only
    found = {w.name: w for w in workers(cfg, {"video": 4.0}, "a load run")}
    # Then video's seconds are measured, the rest assumed from the workload profile
    assert (found["video"].seconds, found["video"].source) == (4.0, "measured: a load run")
    assert found["router"].source.startswith("assumption: ")
    assert found["router"].seconds == cfg.workload.api_duration_ms_avg / 1000
    assert found["router"].concurrency == cfg.router.reserved_concurrency
    assert found["data"].concurrency == cfg.cron.data.max_concurrency
    assert set(found) == {"video", "router", "imports", "trends", "data", "alerts", "sweeper"}
    # And the S3-fed imports worker is a backfill, not a share of the workload that scales with it
    assert (found["imports"].concurrency, found["imports"].per_hour_at_1x, found["imports"].scales) == (
        cfg.events.imports.max_concurrency,
        0.0,
        False,
    )


def test_a_workload_the_configured_concurrency_carries_changes_nothing(cfg) -> None:
    # Given workers whose peak needs are within their caps
    found = [_worker("video", 2, 10.0, 10), _worker("router", 20, 1.0, 100)]
    # When the 1x plan is made
    step = plan(cfg, PRICES, 1, found, _assumptions(peak_to_average=1))
    # Then no setting changes; connections are every container plus the ops function's
    assert step.changes == []
    assert step.connections == 2 + 20 + cfg.monitoring.ops_reserved_concurrency
    assert step.db_class == cfg.data.db_instance_class
    # And the cost is the price table's: the database and cache nodes for 730 h
    assert step.cost["rds db.t4g.micro"] == pytest.approx(7.30)
    assert step.cost["elasticache cache.t4g.micro"] == pytest.approx(7.30)
    # Lambda: 730 h x (10 jobs x 10 s + 100 calls x 1 s) x 1 GB x $0.00001, plus the requests
    assert step.cost["lambda (GB-s + requests, before free tier)"] == pytest.approx(
        730 * (100 + 100) * 0.00001 + 730 * 110 * 0.0000002, abs=0.01
    )


def test_a_workload_over_the_caps_raises_them_and_the_database_class_when_connections_run_out(cfg) -> None:
    # Given a router needing 3600 calls/h x 36 s / 3600 = 36 containers and a video worker needing 40
    found = [_worker("video", 2, 36.0, 4000), _worker("router", 20, 36.0, 3600)]
    # When the plan is made at 1x (a 1x peak)
    step = plan(cfg, PRICES, 1, found, _assumptions(peak_to_average=1))
    # Then both caps rise, and 40 + 36 + ops connections pass t4g.micro's budget: the next class that fits
    assert "video.max_concurrency: 2 -> 40" in step.changes
    assert "router.max_concurrency: 20 -> 36" in step.changes
    assert step.connections == 40 + 36 + cfg.monitoring.ops_reserved_concurrency
    assert step.db_class == "t4g.small"
    assert step.connections <= step.max_connections
    assert any(c.startswith("data.db_instance_class: t4g.micro -> t4g.small") for c in step.changes)
    assert step.cost["rds db.t4g.small"] == pytest.approx(14.60)


def test_database_cpu_over_the_baseline_is_billed_as_surplus_credits(cfg) -> None:
    # Given 36,000 API calls an hour at 30 ms of database CPU each: 1080 CPU-s/h = 15% of 2 vCPUs, over micro's 10%
    found = [_worker("video", 2, 1.0, 1), _worker("router", 20, 0.01, 36_000)]
    step = plan(cfg, PRICES, 1, found, _assumptions(peak_to_average=1, db_cpu_ms_per_api_call=30))
    assert step.db_class == "t4g.micro"
    # Then the surplus (about 5% of 2 vCPUs for 730 h) is billed at the credit price
    assert step.db_cpu_percent == pytest.approx(100 * (36_000 * 0.03 + 1 * 0.012) / 3600 / 2, rel=1e-3)
    surplus = (step.db_cpu_percent - 10) / 100 * 2 * 730 * 0.075
    assert step.cost["rds cpu credits (unlimited surplus)"] == pytest.approx(surplus, abs=0.01)


def test_cached_answers_over_the_nodes_memory_pick_the_next_node(cfg) -> None:
    # Given 200,000 AI calls an hour of 2,600 bytes held an hour: ~496 MiB, over micro's 0.5 GiB x 80%
    found = [_worker("video", 2, 1.0, 1), _worker("router", 10_000, 0.01, 400_000)]
    step = plan(cfg, PRICES, 1, found, _assumptions(peak_to_average=1))
    assert step.cache_mib == pytest.approx(200_000 * cfg.router.cache_ttl_seconds / 3600 * 2600 / 2**20)
    assert step.cache_node == "cache.t4g.small"
    assert "data.cache_node_type: cache.t4g.micro -> cache.t4g.small (memory)" in step.changes


def test_a_measured_file_is_read_and_a_bad_one_is_refused(tmp_path: Path) -> None:
    # Given a load run's file, a missing one, and bad ones (a string, a zero, no seconds at all)
    good = tmp_path / "good.json"
    good.write_text(
        json.dumps({"source": "make load", "seconds": {"data": 0.5}, "video_work_seconds_per_video_second": 0.05})
    )
    assert read_measured(good) == ({"data": 0.5}, "make load", 0.05)
    assert read_measured(tmp_path / "absent.json") == ({}, "", None)
    for bad, says in (
        ({"seconds": {"data": "fast"}}, "'seconds' must map"),
        ({"seconds": {"data": 0}}, "'seconds' must map"),
        ({"seconds": {"data": True}}, "'seconds' must map"),
        ({"source": "x"}, "'seconds' must map"),
        ({"seconds": {}, "video_work_seconds_per_video_second": -1}, "must be a positive number"),
    ):
        path = tmp_path / "bad.json"
        path.write_text(json.dumps(bad))
        with pytest.raises(SystemExit, match=says):
            read_measured(path)


def test_a_measured_video_rate_is_scaled_to_the_profiles_clip_and_ai_call(cfg) -> None:
    # Given 0.05 s of work per clip second measured locally (short clips, a stub model)
    video = next(w for w in workers(cfg, {}, "a load run", 0.05) if w.name == "video")
    # Then a job is that rate x the profile's clip length + the profile's AI call, and says so
    assert video.seconds == pytest.approx(0.05 * cfg.workload.video_seconds_avg + cfg.workload.ai_call_seconds_avg)
    assert video.source.startswith("measured: 0.05 s per clip second (a load run)")


def test_a_stage_with_webhook_endpoints_counts_the_notifier(cfg) -> None:
    # Given the dev config with two endpoints
    from stacks.config import WebhookEndpointConfig

    hooks = cfg.webhooks.model_copy(
        update={
            "endpoints": (
                WebhookEndpointConfig(name="app", url="https://app.example.com/hooks"),
                WebhookEndpointConfig(name="crm", url="https://crm.example.com/hooks"),
            )
        }
    )
    found = {w.name: w for w in workers(cfg.model_copy(update={"webhooks": hooks}))}
    # Then the notifier posts twice per video job, at its configured concurrency
    notifier = found["webhooks"]
    assert notifier.concurrency == cfg.webhooks.worker.max_concurrency
    assert notifier.per_hour_at_1x == cfg.workload.videos_per_month * 2 / HOURS_PER_MONTH
    assert notifier.seconds == cfg.workload.webhook_post_seconds_avg
