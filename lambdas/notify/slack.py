"""Turn an SNS alert (CloudWatch alarm, AWS Budgets, or plain text) into a Slack message."""

from __future__ import annotations

import json
from typing import Any

from common.slack import CHANNEL_ATTRIBUTE

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


def for_one_channel(sns: dict[str, Any]) -> bool:
    """Whether the SNS message was published for a channel other than Slack (not to be forwarded)."""
    attribute = (sns.get("MessageAttributes") or {}).get(CHANNEL_ATTRIBUTE) or {}
    value = attribute.get("Value")
    return value is not None and value != "slack"
