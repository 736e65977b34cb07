"""The capacity model: each worker's jobs per hour, where the data tier saturates, and the settings (and
monthly cost) that carry 10x and 100x the stage's workload. No AWS, no synth: the stage config, the price
table and ``assumptions.json``.

Per worker: jobs/hour = concurrency x 3600 / seconds per job, the seconds measured (a load run's file)
or the workload profile's (an assumption, said so). Demand at a scale is the profile's monthly volume x
the scale / 730 h x the peak factor; the concurrency a worker needs is Little's law on that peak
(arrivals/s x seconds per job). The data tier is then checked in the order it gives way:

* connections: one per warm container of every function that logs in (stacks/connection_budget.py),
  against the class's max_connections (stacks.monitoring) less the reserve;
* CPU credits: the database's average CPU against the T4g baseline (unlimited mode bills the surplus);
* cache memory: the AI answers cached for their TTL against the node's memory x the alarm threshold.

Each limit passed picks the next class (or bills the surplus, when that is cheaper).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stacks.config import StageConfig
from tools.cost.prices import PriceTable
from tools.cost.workload import runs_per_month

ASSUMPTIONS = Path(__file__).with_name("assumptions.json")
HOURS_PER_MONTH = 730.0
DB_CLASSES = ("t4g.micro", "t4g.small", "t4g.medium")
CACHE_NODES = ("cache.t4g.micro", "cache.t4g.small")


@dataclass(frozen=True)
class Worker:
    name: str
    concurrency: int  # the configured cap (SQS maximum concurrency, or reserved concurrency)
    seconds: float  # per job (per request for the router)
    source: str  # "measured: ..." or "assumption: ..."
    memory_mb: int
    per_hour_at_1x: float  # average demand of the stage's workload
    scales: bool = True  # scheduled runs do not multiply with the workload
    setting: str = ""  # where its concurrency is set

    @property
    def jobs_per_hour(self) -> float:
        return self.concurrency * 3600 / self.seconds if self.seconds else math.inf

    def peak_per_hour(self, scale: float, peak: float) -> float:
        return self.per_hour_at_1x * (scale * peak if self.scales else 1)

    def needed_concurrency(self, scale: float, peak: float) -> int:
        """Little's law at the peak hour: containers busy at once, at least SQS's minimum of 2."""
        busy = self.peak_per_hour(scale, peak) / 3600 * self.seconds
        return max(2, math.ceil(busy))


@dataclass
class Step:
    scale: float
    changes: list[str] = field(default_factory=list)
    concurrency: dict[str, int] = field(default_factory=dict)
    db_class: str = "t4g.micro"
    cache_node: str = "cache.t4g.micro"
    connections: int = 0
    max_connections: int = 0
    db_cpu_percent: float = 0.0
    db_baseline_percent: float = 0.0
    cache_mib: float = 0.0
    cache_limit_mib: float = 0.0
    cost: dict[str, float] = field(default_factory=dict)

    @property
    def monthly(self) -> float:
        return round(sum(self.cost.values()), 2)


def load_assumptions(path: Path = ASSUMPTIONS) -> dict[str, Any]:
    return json.loads(path.read_text())


def _value(a: Mapping[str, Any], key: str) -> float:
    return float(a[key]["value"])


# Seconds one events import file takes (an assumption until bench/ measures one).
IMPORT_FILE_SECONDS = 60.0


def workers(
    cfg: StageConfig,
    measured: Mapping[str, float] | None = None,
    measured_from: str = "",
    video_rate: float | None = None,
) -> list[Worker]:
    """The stage's workers with their seconds per job: measured where the file has them, else the profile's.

    ``video_rate``: measured video work seconds per second of clip. A local run's clips are short and
    its model a stub, so the video job is that rate x the profile's clip length + the profile's AI call.
    """
    w, measured = cfg.workload, measured or {}

    def seconds(name: str, assumed: float, why: str) -> tuple[float, str]:
        if name in measured:
            return float(measured[name]), f"measured: {measured_from}"
        return assumed, f"assumption: {why}"

    if video_rate is not None:
        video = (
            video_rate * w.video_seconds_avg + w.ai_call_seconds_avg,
            f"measured: {video_rate:g} s per clip second ({measured_from}) x the profile's "
            f"{w.video_seconds_avg:g} s clip + its {w.ai_call_seconds_avg:g} s AI call",
        )
    else:
        video = seconds(
            "video",
            w.video_seconds_avg * w.video_work_seconds_per_video_second + w.ai_call_seconds_avg,
            "workload profile: video seconds x work per second + one AI call",
        )
    found = [
        Worker(
            "video",
            cfg.video.worker.max_concurrency,
            *video,
            memory_mb=cfg.video.worker.memory_mb,
            per_hour_at_1x=w.videos_per_month / HOURS_PER_MONTH,
            setting="video.worker.max_concurrency",
        ),
        Worker(
            "router",
            cfg.router.reserved_concurrency,
            *seconds("router", w.api_duration_ms_avg / 1000, "workload profile: api_duration_ms_avg"),
            memory_mb=cfg.router.memory_mb,
            per_hour_at_1x=w.api_calls_per_month / HOURS_PER_MONTH,
            setting="router.reserved_concurrency",
        ),
    ]
    # The S3-fed events imports worker: backfills, not a steady load (the profile has no import rate).
    found.append(
        Worker(
            "imports",
            cfg.events.imports.max_concurrency,
            *seconds("imports", IMPORT_FILE_SECONDS, "one events file of about 100,000 lines, no benchmark yet"),
            memory_mb=cfg.events.imports.memory_mb,
            per_hour_at_1x=0.0,
            scales=False,
            setting="events.imports.max_concurrency",
        )
    )
    if cfg.webhooks.enabled:
        found.append(
            Worker(
                "webhooks",
                cfg.webhooks.worker.max_concurrency,
                *seconds("webhooks", w.webhook_post_seconds_avg, "workload profile: webhook_post_seconds_avg"),
                memory_mb=cfg.webhooks.worker.memory_mb,
                # One post per endpoint for each finished video job (the bulk of the jobs).
                per_hour_at_1x=w.videos_per_month * len(cfg.webhooks.endpoints) / HOURS_PER_MONTH,
                setting="webhooks.worker.max_concurrency",
            )
        )
    for task in ("trends", "data", "alerts", "sweeper"):
        worker = getattr(cfg.cron, task)
        schedule = getattr(cfg.cron, f"{task}_schedule")
        found.append(
            Worker(
                task,
                worker.max_concurrency,
                *seconds(task, w.scheduled_run_seconds.get(task, 5), "workload profile: scheduled_run_seconds"),
                memory_mb=worker.memory_mb,
                per_hour_at_1x=runs_per_month(schedule.expression) / HOURS_PER_MONTH,
                scales=False,
                setting=f"cron.{task}.max_concurrency",
            )
        )
    return found


def plan(
    cfg: StageConfig,
    prices: PriceTable,
    scale: float,
    found: list[Worker],
    assumptions: Mapping[str, Any],
) -> Step:
    """The settings that carry ``scale`` x the workload through its peak hour, and their monthly cost."""
    from stacks.monitoring import max_db_connections

    peak = _value(assumptions, "peak_to_average")
    step = Step(scale, db_class=cfg.data.db_instance_class, cache_node=cfg.data.cache_node_type)
    for worker in found:
        need = worker.needed_concurrency(scale, peak)
        step.concurrency[worker.name] = max(worker.concurrency, need)
        if need > worker.concurrency:
            step.changes.append(f"{worker.setting}: {worker.concurrency} -> {need}")
    # Connections: every container of every database client, and the ops function's.
    step.connections = sum(step.concurrency.values()) + cfg.monitoring.ops_reserved_concurrency
    for db_class in _from(DB_CLASSES, cfg.data.db_instance_class):
        step.db_class = db_class
        step.max_connections = max_db_connections(f"db.{db_class}", cfg.monitoring) - cfg.data.db_connection_reserve
        if step.connections <= step.max_connections:
            break
    # CPU: the month's average, against the class's baseline.
    jobs_per_hour = sum(w.per_hour_at_1x * (scale if w.scales else 1) for w in found if w.name != "router")
    calls_per_hour = next(w for w in found if w.name == "router").per_hour_at_1x * scale
    cpu_s_per_hour = (
        jobs_per_hour * _value(assumptions, "db_cpu_ms_per_job")
        + calls_per_hour * _value(assumptions, "db_cpu_ms_per_api_call")
    ) / 1000
    spec = assumptions["db_classes"][f"db.{step.db_class}"]
    step.db_cpu_percent = 100 * cpu_s_per_hour / 3600 / spec["vcpus"]
    step.db_baseline_percent = 100 * spec["baseline"]
    surplus_vcpu_hours = (
        max(0.0, step.db_cpu_percent - step.db_baseline_percent) / 100 * spec["vcpus"] * HOURS_PER_MONTH
    )
    surplus_cost = surplus_vcpu_hours * _value(assumptions, "rds_cpu_credit_vcpu_hour")
    # Cache: AI answers held for their TTL.
    ai_per_hour = calls_per_hour * _value(assumptions, "ai_share_of_api_calls")
    held = ai_per_hour * cfg.router.cache_ttl_seconds / 3600 * _value(assumptions, "cache_bytes_per_ai_answer")
    step.cache_mib = held / 2**20
    for node in _from(CACHE_NODES, cfg.data.cache_node_type):
        step.cache_node = node
        step.cache_limit_mib = (
            assumptions["cache_nodes"][node]["gib"] * 1024 * cfg.monitoring.cache_memory_percent / 100
        )
        if step.cache_mib <= step.cache_limit_mib:
            break
    if step.db_class != cfg.data.db_instance_class:
        step.changes.append(f"data.db_instance_class: {cfg.data.db_instance_class} -> {step.db_class} (connections)")
    if step.cache_node != cfg.data.cache_node_type:
        step.changes.append(f"data.cache_node_type: {cfg.data.cache_node_type} -> {step.cache_node} (memory)")
    step.cost = _cost(cfg, prices, step, found, scale)
    if surplus_cost:
        step.cost["rds cpu credits (unlimited surplus)"] = round(surplus_cost, 2)
        step.changes.append(
            f"database CPU {step.db_cpu_percent:.1f}% over the {step.db_baseline_percent:.0f}% baseline: "
            f"${surplus_cost:.2f}/month of surplus credits"
        )
    return step


def _from(options: tuple[str, ...], current: str) -> tuple[str, ...]:
    """The options from the configured one up (a class not in the list: that class only)."""
    return options[options.index(current) :] if current in options else (current,)


def _cost(cfg: StageConfig, prices: PriceTable, step: Step, found: list[Worker], scale: float) -> dict[str, float]:
    """The monthly cost of what changes with the workload: the data tier's nodes and the pay-per-use parts."""
    gb_second = prices["lambda.arm64.gb_second"]
    lambda_cost = 0.0
    invocations = 0.0
    for w in found:
        count = w.per_hour_at_1x * (scale if w.scales else 1) * HOURS_PER_MONTH
        invocations += count
        lambda_cost += count * w.seconds * w.memory_mb / 1024 * gb_second + count * prices["lambda.request"]
    api_calls = cfg.workload.api_calls_per_month * scale
    # Each job: a send, a receive and a delete.
    jobs = invocations - api_calls
    return {
        f"rds db.{step.db_class}": round(prices.monthly(f"rds.db.{step.db_class}.postgres.hour"), 2),
        f"elasticache {step.cache_node}": round(prices.monthly(f"elasticache.{step.cache_node}.valkey.hour"), 2),
        "lambda (GB-s + requests, before free tier)": round(lambda_cost, 2),
        "sqs (3 requests a job)": round(jobs * 3 * prices["sqs.request"], 2),
        "http api requests": round(api_calls * prices["apigw.http.request"], 2),
    }
