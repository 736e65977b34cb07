"""Alert delivery: email through the SNS alerts topic, and a Slack incoming webhook.

`TransientError` means "try this channel again later" (throttling, 5xx,
timeouts); `PermanentError` means the channel is misconfigured and retrying
will not help (a deleted topic, a revoked webhook).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from common.errors import PermanentError, TransientError

if TYPE_CHECKING:
    import urllib3

SLACK_TIMEOUT_S = 5.0
# SNS email subjects are capped at 100 characters.
MAX_SUBJECT = 100
_SNS_PERMANENT = {"NotFound", "NotFoundException", "AuthorizationError", "InvalidParameter", "InvalidParameterValue"}


class Notifier:
    def __init__(
        self,
        *,
        topic_arn: str | None,
        slack_webhook_url: Callable[[], str] | None,
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
            self.sns.publish(TopicArn=self.topic_arn, Subject=clean_subject, Message=text)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in _SNS_PERMANENT:
                raise PermanentError("email_rejected", f"SNS refused the alert ({code}): {exc}") from exc
            raise TransientError("email_unavailable", f"SNS publish failed ({code}): {exc}") from exc
        except BotoCoreError as exc:
            raise TransientError("email_unavailable", f"SNS publish failed: {exc}") from exc

    def slack(self, text: str) -> None:
        import urllib3

        if self._slack_url is None:
            raise PermanentError("slack_not_configured", "no Slack webhook secret is configured")
        url = self._slack_url()
        if not url.startswith("https://") and not url.startswith("http://"):
            raise PermanentError("slack_bad_webhook", "the Slack webhook secret does not hold a URL")
        try:
            response = self.http.request(
                "POST",
                url,
                body=json.dumps({"text": text}).encode(),
                headers={"Content-Type": "application/json"},
                timeout=urllib3.Timeout(total=SLACK_TIMEOUT_S),
                retries=False,
                redirect=False,
            )
        except urllib3.exceptions.TimeoutError as exc:
            raise TransientError("slack_timeout", f"Slack did not answer within {SLACK_TIMEOUT_S}s") from exc
        except urllib3.exceptions.HTTPError as exc:
            raise TransientError("slack_unavailable", f"cannot reach Slack: {exc}") from exc
        body = response.data[:200].decode("utf-8", "replace")
        if response.status == 200:
            return
        if response.status == 429 or response.status >= 500:
            raise TransientError("slack_unavailable", f"Slack answered HTTP {response.status}: {body}")
        # invalid_token, no_service, channel_not_found...: the webhook itself is wrong.
        raise PermanentError("slack_rejected", f"Slack answered HTTP {response.status}: {body}")

    @property
    def sns(self) -> Any:
        if self._sns is None:
            import boto3

            self._sns = boto3.client("sns")
        return self._sns

    @property
    def http(self) -> urllib3.PoolManager:
        if self._http is None:
            import urllib3

            self._http = urllib3.PoolManager(num_pools=1, maxsize=1, retries=False)
        return self._http
