"""SNS alerts topic -> Slack. Thin: read the webhook secret, format, post."""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools import Logger

from common import secrets
from common import slack as slack_webhook
from notify import slack

logger = Logger()


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    webhook_url = secrets.get_secret_string(os.environ["SLACK_WEBHOOK_SECRET_NAME"]).strip()
    sent = 0
    for record in event.get("Records", []):
        sns = record.get("Sns", {})
        slack_webhook.post(webhook_url, slack.format_alert(sns.get("Subject"), sns.get("Message", "")))
        sent += 1
    logger.info("forwarded alerts to Slack", extra={"count": sent})
    return {"sent": sent}
