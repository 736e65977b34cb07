"""Post to a Slack incoming webhook: the one Slack client of the app.

5xx, 429, timeouts and network errors are transient (try again later); any
other answer, or a secret that holds no http(s) URL, means the webhook itself
is wrong and retrying will not help.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from common.errors import PermanentError, TransientError

if TYPE_CHECKING:
    import urllib3

TIMEOUT_S = 5.0
# SNS message attribute of a message published for one channel only (the alert
# rules' email): the SNS -> Slack forwarder leaves it alone, since the alerts
# worker posts to Slack itself. One Slack path per alert.
CHANNEL_ATTRIBUTE = "huntaze_channel"


class SlackBusy(TransientError):
    """Slack answered 429 or 5xx; ``retry_after_s`` is its Retry-After, when it gave one."""

    def __init__(self, message: str, retry_after_s: float | None) -> None:
        super().__init__("slack_unavailable", message)
        self.retry_after_s = retry_after_s


_http: urllib3.PoolManager | None = None


def _pool() -> urllib3.PoolManager:
    global _http
    if _http is None:
        import urllib3

        _http = urllib3.PoolManager(num_pools=1, maxsize=1, retries=False)
    return _http


def post(webhook_url: str, payload: dict[str, Any], *, http: urllib3.PoolManager | None = None) -> None:
    import urllib3

    if not webhook_url.startswith(("https://", "http://")):
        raise PermanentError("slack_bad_webhook", "the Slack webhook secret does not hold an http(s) URL")
    try:
        response = (http or _pool()).request(
            "POST",
            webhook_url,
            body=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
            timeout=urllib3.Timeout(total=TIMEOUT_S),
            retries=False,
            redirect=False,
        )
    except urllib3.exceptions.NewConnectionError as exc:  # a subclass of the timeout error, but not one
        raise TransientError("slack_unavailable", f"cannot reach Slack: {exc}") from exc
    except urllib3.exceptions.TimeoutError as exc:
        raise TransientError("slack_timeout", f"Slack did not answer within {TIMEOUT_S}s") from exc
    except urllib3.exceptions.HTTPError as exc:
        raise TransientError("slack_unavailable", f"cannot reach Slack: {exc}") from exc
    if response.status == 200:
        return
    body = response.data[:200].decode("utf-8", "replace")
    if response.status == 429 or response.status >= 500:
        raise SlackBusy(f"Slack answered HTTP {response.status}: {body}", _seconds(response.headers.get("Retry-After")))
    # invalid_token, no_service, channel_not_found...: the webhook itself is wrong.
    raise PermanentError("slack_rejected", f"Slack answered HTTP {response.status}: {body}")


def _seconds(header: str | None) -> float | None:
    """Retry-After in seconds (Slack sends a number; an HTTP date or junk counts as absent)."""
    try:
        return max(0.0, float(header)) if header is not None else None
    except ValueError:
        return None
