"""Invoked by the ops CLI (``lambda:InvokeFunction``): parse, run the action, return JSON.

Answers ``{"ok": true, "result": ...}`` or ``{"ok": false, "error": "<code>", "message": "..."}``.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from common import db
from common.errors import WorkerError
from ops import actions, queues
from ops.errors import OpsError

logger = Logger()


@logger.inject_lambda_context
def lambda_handler(event: Any, context: LambdaContext) -> dict[str, Any]:
    try:
        request = actions.parse_request(event)
        with db.connection() as conn:
            result = actions.perform(request, conn, queues.task_queues().send)
    except OpsError as err:
        return _refused(err.code, err.message)
    except WorkerError as err:  # e.g. the database is unreachable
        return _refused(err.reason, err.message)
    logger.info(
        "ops request done", extra={"action": request.action, "jobId": str(request.job_id) if request.job_id else None}
    )
    return {"ok": True, "result": result}


def _refused(code: str, message: str) -> dict[str, Any]:
    logger.info("ops request refused", extra={"code": code, "detail": message})
    return {"ok": False, "error": code, "message": message}
