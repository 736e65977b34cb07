"""Operator actions on alerting: every rule's state, and silences / maintenance windows with an expiry.

{"action": "alert-states"}
{"action": "silence", "rule": "<name>" | null (every rule: a maintenance window),
 "hours": H, "reason": "...", "by": "<who>"}
{"action": "silences"}
{"action": "unsilence", "silenceId": N}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from common import alert_ops
from ops.errors import OpsError

if TYPE_CHECKING:
    import psycopg

ACTIONS = ("alert-states", "silence", "silences", "unsilence")


@dataclass(frozen=True)
class AlertRequest:
    action: str
    rule: str | None = None
    hours: float | None = None
    reason: str | None = None
    by: str | None = None
    silence_id: int | None = None
    job_id: None = None  # the ops function logs a job id for job actions

    def to_payload(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("job_id")
        return {"silenceId" if k == "silence_id" else k: v for k, v in d.items() if v is not None}


def parse(event: Mapping[str, Any]) -> AlertRequest:
    action = str(event["action"])
    if action == "silence":
        hours = event.get("hours")
        if isinstance(hours, bool) or not isinstance(hours, int | float) or not 0 < hours <= 24 * 14:
            raise OpsError("hours must be a number above 0 and at most 336 (14 days)")
        reason, rule, by = event.get("reason"), event.get("rule"), event.get("by")
        if not isinstance(reason, str) or not reason.strip():
            raise OpsError("a silence needs a reason")
        if rule is not None and not isinstance(rule, str):
            raise OpsError("rule must be a rule name, or absent for a maintenance window")
        return AlertRequest(action, rule=rule, hours=float(hours), reason=reason, by=str(by or "ops-cli"))
    if action == "unsilence":
        silence_id = event.get("silenceId")
        if isinstance(silence_id, bool) or not isinstance(silence_id, int):
            raise OpsError("silenceId must be a silence's number")
        return AlertRequest(action, silence_id=silence_id)
    return AlertRequest(action)


def perform(request: AlertRequest, conn: psycopg.Connection) -> Any:
    if request.action == "alert-states":
        return alert_ops.rule_states(conn)
    if request.action == "silences":
        return alert_ops.silences(conn)
    if request.action == "unsilence":
        assert request.silence_id is not None
        if not alert_ops.expire_silence(conn, request.silence_id):
            raise OpsError(f"no silence {request.silence_id} is on", code="not_found")
        return {"silenceId": request.silence_id, "ended": True}
    assert request.hours is not None and request.reason is not None
    try:
        return alert_ops.add_silence(
            conn,
            rule=request.rule,
            ends_at=datetime.now(UTC) + timedelta(hours=request.hours),
            reason=request.reason,
            created_by=request.by or "ops-cli",
        )
    except alert_ops.SilenceError as exc:
        raise OpsError(str(exc)) from None
