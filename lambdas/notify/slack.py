"""Turn an SNS alert (CloudWatch alarm, AWS Budgets, or plain text) into a Slack message and post it."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from common.errors import PermanentError, TransientError

POST_TIMEOUT_S = 5
_STATE_EMOJI = {"ALARM": ":rotating_light:", "OK": ":white_check_mark:", "INSUFFICIENT_DATA": ":grey_question:"}


def format_alert(subject: str | None, message: str) -> dict[str, Any]:
    """A Slack webhook payload for one SNS message."""
    try:
        alarm = json.loads(message)
    except ValueError:
        alarm = None
    if isinstance(alarm, dict) and "AlarmName" in alarm:
        state = str(alarm.get("NewStateValue", "?"))
        lines = [
            f"{_STATE_EMOJI.get(state, ':bell:')} *{alarm['AlarmName']}* is {state}",
            str(alarm.get("NewStateReason", "")),
        ]
        description = alarm.get("AlarmDescription")
        if description:
            lines.append(str(description))
        return {"text": "\n".join(line for line in lines if line)}
    title = f"*{subject}*\n" if subject else ""
    return {"text": f":bell: {title}{message}"}


def post(webhook_url: str, payload: dict[str, Any]) -> None:
    """POST to the webhook; 5xx and network errors are transient, 4xx permanent."""
    # urlopen would also read file:// and ftp:// URLs; a webhook is only ever HTTP(S).
    if urllib.parse.urlsplit(webhook_url).scheme not in {"https", "http"}:
        raise PermanentError("bad_webhook", "the Slack webhook secret does not hold an http(s) URL")
    request = urllib.request.Request(
        webhook_url,
        data=json.dumps(payload).encode(),
        headers={"content-type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=POST_TIMEOUT_S) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        detail = exc.read()[:200].decode(errors="replace")
        if exc.code >= 500 or exc.code == 429:
            raise TransientError("slack_unavailable", f"Slack answered {exc.code}: {detail}") from exc
        raise PermanentError("slack_rejected", f"Slack answered {exc.code}: {detail}") from exc
    except (urllib.error.URLError, TimeoutError) as exc:
        raise TransientError("slack_unreachable", f"cannot reach Slack: {exc}") from exc
