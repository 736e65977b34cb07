"""The stage's monthly cost budget, notifying the alerts topic.

A budget's notifications are create-only: changing a threshold or the topic
replaces the budget, and CloudFormation creates the replacement before it
deletes the old one. Under one fixed name that fails (DuplicateRecordException),
so the name ends in a digest of everything create-only: a change gives a new
name, and the replacement goes through like any other.
"""

from __future__ import annotations

import hashlib
import json

import aws_cdk as cdk
from aws_cdk import aws_budgets as budgets
from aws_cdk import aws_sns as sns

from common import names
from stacks.config import StageConfig

DIGEST_CHARS = 8


def monthly_budget(stack: cdk.Stack, cfg: StageConfig, topic: sns.Topic) -> budgets.CfnBudget:
    s = cfg.monitoring

    def notify(kind: str, percent: float) -> budgets.CfnBudget.NotificationWithSubscribersProperty:
        return budgets.CfnBudget.NotificationWithSubscribersProperty(
            notification=budgets.CfnBudget.NotificationProperty(
                notification_type=kind,
                comparison_operator="GREATER_THAN",
                threshold=percent,
                threshold_type="PERCENTAGE",
            ),
            # Only the topic: its email subscription (and Slack) already reach
            # people, and an EMAIL subscriber too would send each notice twice.
            subscribers=[budgets.CfnBudget.SubscriberProperty(subscription_type="SNS", address=topic.topic_arn)],
        )

    notifications = [notify("FORECASTED", s.budget_forecast_percent), notify("ACTUAL", s.budget_actual_percent)]
    digest = hashlib.sha256(json.dumps(stack.resolve(notifications), sort_keys=True).encode()).hexdigest()
    cost_filters = {"TagKeyValue": [f"user:stage${cfg.stage}"]} if s.budget_scope == "stage_tag" else None
    budget = budgets.CfnBudget(
        stack,
        "MonthlyBudget",
        budget=budgets.CfnBudget.BudgetDataProperty(
            budget_name=names.budget(cfg.prefix, digest[:DIGEST_CHARS]),
            budget_type="COST",
            time_unit="MONTHLY",
            budget_limit=budgets.CfnBudget.SpendProperty(amount=s.monthly_budget_usd, unit="USD"),
            cost_filters=cost_filters,
        ),
        notifications_with_subscribers=notifications,
    )
    # The topic policy must exist before Budgets validates the SNS subscriber.
    for child in topic.node.children:
        if isinstance(child, sns.TopicPolicy):
            budget.node.add_dependency(child)
    return budget
