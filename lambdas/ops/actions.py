"""The ops function's request: ``{"action": "history"|"rerun", "jobId": "<uuid>", "force": bool}``,
``{"action": "audit", "olderThanSeconds": N}``, or one of the alerting actions (`ops.alerting`)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ops import alerting, audit, jobs
from ops.errors import OpsError

if TYPE_CHECKING:
    import psycopg

JOB_ACTIONS = ("history", "rerun")
ACTIONS = (*JOB_ACTIONS, "audit", *alerting.ACTIONS)


@dataclass(frozen=True)
class AuditRequest:
    older_than_s: float = audit.DEFAULT_OLDER_THAN_S
    # What the handler logs of every request.
    action: str = "audit"
    job_id: None = None

    def to_payload(self) -> dict[str, Any]:
        return {"action": "audit", "olderThanSeconds": self.older_than_s}


@dataclass(frozen=True)
class OpsRequest:
    action: str
    job_id: uuid.UUID
    force: bool = False

    def to_payload(self) -> dict[str, Any]:
        return {"action": self.action, "jobId": str(self.job_id), "force": self.force}


def parse_request(event: object) -> OpsRequest | AuditRequest | alerting.AlertRequest:
    if not isinstance(event, Mapping):
        raise OpsError(f"the request must be a JSON object, got {type(event).__name__}")
    action = event.get("action")
    if action not in ACTIONS:
        what = "the request has no action" if action is None else f"unknown action {str(action)[:64]!r}"
        raise OpsError(f"{what}; expected one of {', '.join(ACTIONS)}", code="unknown_action")
    if action in alerting.ACTIONS:
        return alerting.parse(event)
    if action == "audit":
        older = event.get("olderThanSeconds", audit.DEFAULT_OLDER_THAN_S)
        if isinstance(older, bool) or not isinstance(older, int | float) or older < 0:
            raise OpsError("olderThanSeconds must be a number of seconds, 0 or more")
        return AuditRequest(float(older))
    force = event.get("force", False)
    if not isinstance(force, bool):
        raise OpsError("force must be true or false")
    return OpsRequest(action, jobs.parse_job_id(event.get("jobId")), force)


def perform(
    request: OpsRequest | AuditRequest | alerting.AlertRequest, conn: psycopg.Connection, send: jobs.Send
) -> Any:
    if isinstance(request, alerting.AlertRequest):
        return alerting.perform(request, conn)
    if isinstance(request, AuditRequest):
        return audit.audit(conn, older_than_s=request.older_than_s)
    if request.action == "history":
        return jobs.history(conn, request.job_id)
    return jobs.rerun(conn, send, request.job_id, force=request.force).to_dict()
