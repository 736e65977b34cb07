"""Job commands through the stage's ops function: RDS admits only the VPC's workers, not laptops."""

from __future__ import annotations

import json
from typing import Any

from common import names
from ops.errors import OpsError


def function_name(stage: str) -> str:
    """The ops function's name (`common.names`, as stacks/constructs/ops_function.py names it)."""
    return names.function(names.prefix(stage), "ops")


def invoke(client: Any, name: str, payload: dict[str, Any]) -> Any:
    """Run one action synchronously; the function's refusal becomes an ``OpsError`` with its code."""
    from botocore.exceptions import ClientError

    try:
        response = client.invoke(
            FunctionName=name, InvocationType="RequestResponse", Payload=json.dumps(payload, sort_keys=True).encode()
        )
    except ClientError as err:
        code = err.response.get("Error", {}).get("Code", "")
        if code == "ResourceNotFoundException":
            raise OpsError(
                f"no function {name}: is the stage deployed? (or pass --function)", code="no_function"
            ) from err
        if code == "AccessDeniedException":
            raise OpsError(
                f"not allowed to invoke {name}: you need lambda:InvokeFunction on it", code="access_denied"
            ) from err
        raise
    raw = response["Payload"].read()
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        body = None
    if response.get("FunctionError"):
        detail = body if not isinstance(body, dict) else f"{body.get('errorType')}: {body.get('errorMessage')}"
        raise OpsError(f"{name} failed: {detail}; see its logs", code="function_error")
    if not isinstance(body, dict) or "ok" not in body:
        raise OpsError(f"{name} answered something unexpected: {raw[:200]!r}", code="bad_answer")
    if not body["ok"]:
        raise OpsError(str(body.get("message")), code=str(body.get("error")))
    return body["result"]
