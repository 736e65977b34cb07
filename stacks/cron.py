"""Cron stack: the trends, data and alerts workers, the job sweeper, the schedules that feed them,
and the completion-webhook notifier (stacks/webhooks.py) when the stage names an endpoint.

EventBridge Scheduler puts the task's envelope (with its scheduled time) on
the worker's queue; the queue-worker construct does the rest. Scheduler
retries a failed SendMessage and then parks the event in the schedules' DLQ,
so a missed run is visible rather than silent.

The alerts topic belongs to the Monitoring stack, which is built after this
one; it is referenced by its deterministic name (stacks.naming) so the two
stacks do not depend on each other.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as targets
from constructs import Construct

from common import names
from common.tasks import SCHEDULED_TASKS, TASKS
from stacks import function_settings
from stacks.alert_rules import check_rules
from stacks.config import ConfigError, ScheduleConfig, StageConfig
from stacks.constructs.queue_worker import QueueWorker, dead_letter_queue, visibility_timeout_seconds
from stacks.data import DataStack
from stacks.naming import alerts_topic_arn, dlq_name, keep_queue_exports, queue_arn, queue_name, queue_url
from stacks.webhooks import WebhookNotifier, announce_to

# The scheduled tasks (the cron worker runs them), from the task registry.
CRON_TASKS = SCHEDULED_TASKS
# Every job task's queue: what the sweeper re-sends to, and the DLQs the alerts worker's dlq_depth rules watch.
JOB_TASKS = TASKS
WATCHED_DLQ_TASKS = JOB_TASKS
# Scheduled like the cron tasks, but its runs are not jobs (see lambdas/cron/sweep_handler.py).
SWEEPER = "sweeper"
PACKAGE = "cron"
HANDLER = "cron.handler.lambda_handler"
SWEEPER_HANDLER = "cron.sweep_handler.lambda_handler"


class CronStack(cdk.Stack):
    workers: dict[str, QueueWorker]

    def __init__(self, scope: Construct, construct_id: str, *, cfg: StageConfig, data: DataStack, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.cfg = cfg
        self.workers = {}
        self.schedules: dict[str, scheduler.Schedule] = {}
        self.data = data

        for task in CRON_TASKS:
            worker = QueueWorker(
                self,
                f"{task.capitalize()}Worker",
                cfg=cfg,
                worker=getattr(cfg.cron, task),
                task=task,
                package=PACKAGE,
                handler=HANDLER,
                description=f"Huntaze {cfg.stage} {task} worker (scheduled)",
                environment=self._environment(task),
                database=data.database_access(task),
            )
            self.workers[task] = worker
            keep_queue_exports(worker.queue)

        # Per-task grants beyond the database (a task without an entry needs none).
        grants = {"trends": self._grant_trends, "alerts": self._grant_alerts}
        for task, grant in grants.items():
            grant(self.workers[task])
        self.sweeper = self._sweeper()
        # Completion webhooks: every job worker announces the jobs it ends to the notifier, built here when configured.
        for worker in (*self.workers.values(), self.sweeper):  # the sweeper fails abandoned jobs
            announce_to(worker.function, cfg)
        self.notifier = WebhookNotifier(self, "Webhooks", cfg=cfg, data=data) if cfg.webhooks.enabled else None

        # DESTROY, not CDK's default RETAIN: a group holds no data (its schedules are
        # in this stack), and a retained group under this fixed name would make
        # the retry of a failed first create fail.
        self.schedule_group = scheduler.ScheduleGroup(
            self,
            "Schedules",
            schedule_group_name=names.schedule_group(cfg.prefix),
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )
        self.schedule_dlq = dead_letter_queue(
            self,
            "SchedulesDlq",
            queue_name=names.schedules_dlq(cfg.prefix),
            of_what="the schedules' SendMessage targets",
        )
        for task in CRON_TASKS:
            self.schedules[task] = self._schedule(self.workers[task], getattr(cfg.cron, f"{task}_schedule"))
        self.schedules[SWEEPER] = self._schedule(self.sweeper, cfg.cron.sweeper_schedule)

    # -- the sweeper ------------------------------------------------------------
    def _sweeper(self) -> QueueWorker:
        c = self.cfg.cron
        self._check_sweeper_graces()
        worker = QueueWorker(
            self,
            "SweeperWorker",
            cfg=self.cfg,
            worker=c.sweeper,
            task=SWEEPER,
            package=PACKAGE,
            handler=SWEEPER_HANDLER,
            description=f"Huntaze {self.cfg.stage} job sweeper (scheduled): re-sends lost jobs, settles abandoned ones",
            environment={
                "SWEEP_QUEUE_URLS": cdk.Stack.of(self).to_json_string(
                    {t: queue_url(queue_name(self.cfg, t)) for t in JOB_TASKS}
                ),
                **function_settings.sweeper(self.cfg, JOB_TASKS),
            },
            database=self.data.database_access(SWEEPER),
        )
        worker.function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["sqs:SendMessage"], resources=[queue_arn(queue_name(self.cfg, t)) for t in JOB_TASKS]
            )
        )
        return worker

    def _check_sweeper_graces(self) -> None:
        """Both graces outlast every job queue's visibility timeout (else the sweep races SQS's redelivery)."""
        c = self.cfg.cron
        longest, task = max(
            (visibility_timeout_seconds(function_settings.job_worker(self.cfg, t)), t) for t in JOB_TASKS
        )
        for key in ("sweeper_queued_grace_seconds", "sweeper_lease_grace_seconds"):
            if getattr(c, key) <= longest:
                raise ConfigError(
                    f"cron.{key} = {getattr(c, key)} must exceed the {task} queue's visibility timeout ({longest} s)"
                )

    # -- per-task settings ------------------------------------------------------
    def _environment(self, task: str) -> dict[str, str]:
        if task == "trends":
            return {**function_settings.trends(self.cfg), **self.data.azure_environment()}
        if task == "data":
            return function_settings.data(self.cfg)
        if task != "alerts":
            return {}  # a scheduled task with no settings of its own
        check_rules(self.cfg)  # a bad rule stops synth here, naming the rule and the key
        return {
            **function_settings.alerts(self.cfg),
            "ALERTS_TOPIC_ARN": self.alerts_topic_arn,
            **self.data.slack_environment(),
            "DLQ_URLS": cdk.Stack.of(self).to_json_string(
                {t: queue_url(dlq_name(self.cfg, t)) for t in WATCHED_DLQ_TASKS}
            ),
        }

    @property
    def alerts_topic_arn(self) -> str:
        return alerts_topic_arn(self.cfg)

    def _grant_trends(self, worker: QueueWorker) -> None:
        self.data.grant_azure(worker.function)

    def _grant_alerts(self, worker: QueueWorker) -> None:
        fn = worker.function
        fn.add_to_role_policy(iam.PolicyStatement(actions=["sns:Publish"], resources=[self.alerts_topic_arn]))
        fn.add_to_role_policy(
            iam.PolicyStatement(
                actions=["sqs:GetQueueAttributes"],
                resources=[queue_arn(dlq_name(self.cfg, t)) for t in WATCHED_DLQ_TASKS],
            )
        )
        self.data.grant_slack(fn)

    # -- schedules --------------------------------------------------------------
    def _schedule(self, worker: QueueWorker, sc: ScheduleConfig) -> scheduler.Schedule:
        task = worker.task
        target = targets.SqsSendMessage(
            worker.queue,
            input=scheduler.ScheduleTargetInput.from_object(
                {"task": task, "scheduledTime": scheduler.ContextAttribute.scheduled_time, "payload": {}}
            ),
            retry_attempts=sc.retry_attempts,
            max_event_age=cdk.Duration.minutes(sc.max_event_age_minutes),
            dead_letter_queue=self.schedule_dlq,
        )
        return scheduler.Schedule(
            self,
            f"{task.capitalize()}Schedule",
            schedule_name=names.schedule(self.cfg.prefix, task),
            schedule_group=self.schedule_group,
            description=f"Puts the scheduled {task} envelope on the {task} queue",
            schedule=scheduler.ScheduleExpression.expression(sc.expression, cdk.TimeZone.of(sc.timezone)),
            time_window=scheduler.TimeWindow.flexible(cdk.Duration.minutes(sc.flexible_window_minutes))
            if sc.flexible_window_minutes
            else scheduler.TimeWindow.off(),
            enabled=sc.enabled,
            target=target,
        )
