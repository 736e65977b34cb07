"""One way to make an alarm: named, linked to its runbook, and heard both when it fires and when it recovers.

Every alarm notifies the alerts topic on ALARM and on OK, so the channel's last
word on an incident is its recovery, not the firing. Stacks other than
Monitoring (the NAT's own alarms, which need the instance id that only the
Network stack may hold) reach the topic by its name.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_sns as sns
from constructs import Construct, IConstruct

from common import names
from stacks.config import StageConfig
from stacks.constructs.watched import label
from stacks.naming import alerts_topic_arn

RUNBOOKS_DIR = "docs/runbooks"


def runbook_url(cfg: StageConfig, kind: str) -> str:
    repo, branch = cfg.deploy.github_repository, cfg.deploy.github_branch
    return f"https://github.com/{repo}/blob/{branch}/{RUNBOOKS_DIR}/{kind}.md"


class AlarmFactory:
    """Makes the alarms of one stack; ``alarms`` holds them by kind."""

    def __init__(self, scope: Construct, cfg: StageConfig, topic: sns.ITopic | None = None) -> None:
        self.scope = scope
        self.cfg = cfg
        self.topic = topic or sns.Topic.from_topic_arn(scope, "AlertsTopic", alerts_topic_arn(cfg))
        self.alarms: dict[str, list[cloudwatch.Alarm]] = {}

    def alarm(
        self,
        kind: str,
        target: IConstruct,
        *,
        metric: cloudwatch.IMetric,
        threshold: float,
        what: str,
        comparison: cloudwatch.ComparisonOperator = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        periods: int = 1,
        suffix: str = "",
        actions: Sequence[cloudwatch.IAlarmAction] = (),
    ) -> cloudwatch.Alarm:
        """``actions`` run on ALARM besides the notification (an EC2 recover or reboot)."""
        name = f"{label(target)}{suffix}"
        alarm = cloudwatch.Alarm(
            self.scope,
            f"{kind}-{name}",
            alarm_name=names.alarm(self.cfg.prefix, kind, name),
            alarm_description=f"{what} Runbook: {runbook_url(self.cfg, kind)}",
            metric=metric,
            threshold=threshold,
            comparison_operator=comparison,
            evaluation_periods=periods,
            datapoints_to_alarm=periods,
            # No data means nothing ran or nothing failed: not an alert.
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        notify = cw_actions.SnsAction(self.topic)
        alarm.add_alarm_action(notify, *actions)
        alarm.add_ok_action(notify)
        self.alarms.setdefault(kind, []).append(alarm)
        return alarm
