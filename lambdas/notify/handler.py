"""SNS alerts topic -> Slack. Thin: read the webhook (SSM SecureString), format, post.

Carries the CloudWatch alarms (ALARM and OK) and the budget notifications.
A message published for one channel only (the alert rules' email, tagged
with `common.slack.CHANNEL_ATTRIBUTE`) is skipped: the alerts worker posts
rule alerts to Slack itself, so each reaches Slack once.
"""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools import Logger

from common import secrets
from common import slack as slack_webhook
from common.settings import Env
from notify import slack

logger = Logger()


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    sent = skipped = 0
    for record in event.get("Records", []):
        sns = record.get("Sns", {})
        if slack.for_one_channel(sns):
            skipped += 1
            continue
        webhook_url = secrets.get_secure_parameter(Env(os.environ).text("SLACK_WEBHOOK_PARAMETER")).strip()
        slack_webhook.post(webhook_url, slack.format_alert(sns.get("Subject"), sns.get("Message", "")))
        sent += 1
    logger.info("forwarded alerts to Slack", extra={"count": sent, "skipped": skipped})
    return {"sent": sent, "skipped": skipped}
