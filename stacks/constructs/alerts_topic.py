"""The alerts topic (email, Slack) and who may publish to it.

SNS's default topic policy is replaced as soon as a statement is added, so
every publisher is named here: CloudWatch alarms of this account (without
that statement no alarm reaches anyone, while the deploy still succeeds) and
AWS Budgets. The Slack forwarder's failures land in a DLQ the Monitoring stack
alarms on, whether SNS could not deliver or the function failed every retry.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from common import names
from stacks.config import StageConfig
from stacks.constructs.nag import acknowledge
from stacks.constructs.nag_checkov import acknowledge_checkov
from stacks.constructs.python_function import PythonFunction
from stacks.constructs.queue_worker import dead_letter_queue
from stacks.data import DataStack
from stacks.naming import alerts_topic_name

# Lambda's own retries of an asynchronous (SNS) invocation before the DLQ.
FORWARDER_RETRIES = 2


def alerts_topic(scope: Construct, cfg: StageConfig) -> sns.Topic:
    topic = sns.Topic(
        scope,
        "Alerts",
        topic_name=alerts_topic_name(cfg),
        display_name=f"Huntaze {cfg.stage} alerts",
        enforce_ssl=True,
    )
    email = topic.add_subscription(subscriptions.EmailSubscription(cfg.monitoring.alert_email))
    acknowledge(
        email,
        {
            "Serverless-SNSRedrivePolicy": "SNS retries email delivery itself; an address that cannot receive "
            "shows as an unconfirmed subscription, and every alert that emails also posts to Slack, whose "
            "path has a DLQ and an alarm.",
        },
    )
    account = {"StringEquals": {"aws:SourceAccount": cdk.Aws.ACCOUNT_ID}}
    topic.add_to_resource_policy(
        iam.PolicyStatement(
            sid="CloudWatchAlarmsPublish",
            principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
            actions=["sns:Publish"],
            resources=[topic.topic_arn],
            conditions={
                **account,
                "ArnLike": {
                    "aws:SourceArn": f"arn:{cdk.Aws.PARTITION}:cloudwatch:{cdk.Aws.REGION}:{cdk.Aws.ACCOUNT_ID}:alarm:*"
                },
            },
        )
    )
    # AWS Budgets publishes the forecast/actual notifications to the topic.
    topic.add_to_resource_policy(
        iam.PolicyStatement(
            sid="BudgetsPublish",
            principals=[iam.ServicePrincipal("budgets.amazonaws.com")],
            actions=["sns:Publish"],
            resources=[topic.topic_arn],
            conditions=account,
        )
    )
    acknowledge_checkov(
        topic,
        {
            "CKV_AWS_26": "CloudWatch alarms and AWS Budgets cannot publish to a topic encrypted with the "
            "AWS-managed SNS key, and a customer-managed key costs $1/month; alerts carry alarm names only.",
        },
    )
    acknowledge(
        topic,
        {
            "AwsSolutions-SNS2": "CloudWatch alarms and AWS Budgets cannot publish to a topic encrypted with the "
            "AWS-managed SNS key, and a customer-managed key costs $1/month; alerts carry alarm names, "
            "no customer data.",
        },
    )
    return topic


def slack_forwarder(scope: Construct, cfg: StageConfig, data: DataStack, topic: sns.Topic) -> PythonFunction:
    """A 128 MB function, free at alert volume; AWS Chatbot would need the Slack
    workspace authorised by hand in the console, the webhook secret needs nothing."""
    forwarder = PythonFunction(
        scope,
        "SlackForwarder",
        cfg=cfg,
        package="notify",
        handler="notify.handler.lambda_handler",
        description="Posts every alert of the alerts topic to Slack",
        memory_mb=128,
        timeout=cdk.Duration.seconds(15),
        environment=data.slack_environment(),
    )
    # By the parameter's name, not by an export from the Data stack: the Monitoring stack imports nothing.
    data.grant_slack(forwarder)
    dlq = dead_letter_queue(
        scope,
        "SlackForwarderDlq",
        queue_name=names.slack_dlq(cfg.prefix),
        of_what="the Slack forwarder (SNS and Lambda)",
    )
    # SNS redrives what it cannot hand to Lambda; Lambda sends what failed every retry.
    topic.add_subscription(subscriptions.LambdaSubscription(forwarder, dead_letter_queue=dlq))
    forwarder.configure_async_invoke(on_failure=destinations.SqsDestination(dlq), retry_attempts=FORWARDER_RETRIES)
    on_failure = (
        "Its failures go to an on-failure destination (the Slack DLQ, alarmed), which records the event and "
        "the error, unlike the older DeadLetterConfig this check looks for."
    )
    acknowledge(forwarder, {"Serverless-LambdaDLQ": on_failure})
    acknowledge_checkov(
        forwarder,
        {
            "CKV_AWS_115": "SNS invokes it once per alert, a few times a day; reserved concurrency would take "
            "from the account's pool for nothing.",
            "CKV_AWS_116": on_failure,
            "CKV_AWS_117": "It reads one secret and posts to Slack's webhook over the internet; no resource it "
            "reaches is in the VPC, and inside it would need the NAT for all of it.",
        },
    )
    return forwarder
