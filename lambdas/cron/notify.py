"""Alert delivery: email through the SNS alerts topic, and a Slack incoming webhook.

Emails carry the `CHANNEL_ATTRIBUTE` so the topic's Slack forwarder skips
them: rule alerts reach Slack once, from here (with retries, see
`cron.delivery`); the forwarder carries the CloudWatch alarms and budgets.

`TransientError` means "try this channel again later" (throttling, 5xx,
timeouts); `PermanentError` means the channel is misconfigured and retrying
will not help (a deleted topic, a revoked webhook).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from common.errors import PermanentError, TransientError
from common.slack import CHANNEL_ATTRIBUTE

if TYPE_CHECKING:
    import urllib3

# SNS email subjects are capped at 100 characters.
MAX_SUBJECT = 100
# common.slack's reasons for "this webhook is wrong" (a refused URL, a secret that holds none).
_STALE_WEBHOOK = {"slack_rejected", "slack_bad_webhook"}
_SNS_PERMANENT = {"NotFound", "NotFoundException", "AuthorizationError", "InvalidParameter", "InvalidParameterValue"}


class WebhookUrl(Protocol):
    """The Slack webhook URL (from a cached secret); ``refresh`` bypasses the cache."""

    def __call__(self, *, refresh: bool = False) -> str: ...


class Notifier:
    def __init__(
        self,
        *,
        topic_arn: str | None,
        slack_webhook_url: WebhookUrl | None,
        sns_client: Any = None,
        http: urllib3.PoolManager | None = None,
    ) -> None:
        self.topic_arn = topic_arn
        self._slack_url = slack_webhook_url
        self._sns = sns_client
        self._http = http

    def send(self, channel: str, subject: str, text: str) -> None:
        if channel == "email":
            self.email(subject, text)
        elif channel == "slack":
            self.slack(f"*{subject}*\n{text}")
        else:
            raise PermanentError("unknown_channel", f"unknown alert channel {channel!r}")

    def email(self, subject: str, text: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        if not self.topic_arn:
            raise PermanentError("email_not_configured", "ALERTS_TOPIC_ARN is not set")
        clean_subject = " ".join(subject.split())[:MAX_SUBJECT]
        try:
            self.sns.publish(
                TopicArn=self.topic_arn,
                Subject=clean_subject,
                Message=text,
                MessageAttributes={CHANNEL_ATTRIBUTE: {"DataType": "String", "StringValue": "email"}},
            )
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in _SNS_PERMANENT:
                raise PermanentError("email_rejected", f"SNS refused the alert ({code}): {exc}") from exc
            raise TransientError("email_unavailable", f"SNS publish failed ({code}): {exc}") from exc
        except BotoCoreError as exc:
            raise TransientError("email_unavailable", f"SNS publish failed: {exc}") from exc

    def slack(self, text: str) -> None:
        from common import slack

        if self._slack_url is None:
            raise PermanentError("slack_not_configured", "no Slack webhook secret is configured")
        url = self._slack_url()
        try:
            slack.post(url, {"text": text}, http=self._http)
        except PermanentError as exc:
            if exc.reason not in _STALE_WEBHOOK:
                raise
            # Slack refuses a revoked webhook (403/404); after a rotation the
            # cached secret still holds it. Read the secret once more, and
            # post again only if it now holds another URL.
            fresh = self._slack_url(refresh=True)
            if fresh == url:
                raise
            slack.post(fresh, {"text": text}, http=self._http)

    @property
    def sns(self) -> Any:
        if self._sns is None:
            import boto3

            self._sns = boto3.client("sns")
        return self._sns
