"""The operator routes' contract: alert rule states and silences, for callers with the operator scope.

The operator scope (stage config ``router.operator_scope``) reaches the
function as OPERATOR_SCOPE and the routes' authorization scopes; a token whose
``scope`` claim lacks it gets 403 (router.openapi documents it on every operator route).
"""

from __future__ import annotations

from typing import Any

from common.alert_ops import MAX_SILENCE
from common.schema import Field, Shape
from router.contract import BAD_BODY, RouteSpec

SILENCE_REQUEST = Shape(
    "SilenceRequest",
    "Mute one rule, or every rule (a maintenance window), until the silence expires.",
    {
        "rule": Field(
            "string",
            "The rule to mute; absent: every rule (a maintenance window).",
            low=1,
            high=64,
            example="failed-jobs",
        ),
        "hours": Field("number", "How long, from now.", required=True, low=0.01, high=MAX_SILENCE.days * 24, example=2),
        "reason": Field(
            "string", "Why (shown with the silence).", required=True, low=1, high=500, example="DLQ redrive under way"
        ),
    },
)

_TIME = {"type": "string", "format": "date-time", "nullable": True}
OPERATOR_SCHEMAS: dict[str, dict[str, Any]] = {
    "AlertStates": {
        "type": "object",
        "properties": {
            "rules": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string"},
                        "kind": {"type": "string"},
                        "severity": {"type": "string", "enum": ["critical", "warning"]},
                        "enabled": {"type": "boolean"},
                        "channels": {"type": "array", "items": {"type": "string"}},
                        "runbook": {"type": "string", "nullable": True},
                        "state": {
                            "type": "string",
                            "enum": ["unknown", "ok", "pending", "firing", "no_data", "error"],
                        },
                        "since": _TIME,
                        "firingSince": _TIME,
                        "value": {"type": "string", "nullable": True},
                        "message": {"type": "string", "nullable": True},
                        "evaluatedAt": _TIME,
                        "silenced": {"type": "boolean"},
                    },
                    "required": ["name", "kind", "severity", "enabled", "channels", "state", "silenced"],
                },
            },
            "silences": {"type": "array", "items": {"$ref": "#/components/schemas/Silence"}},
        },
        "required": ["rules", "silences"],
    },
    "Silence": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "rule": {"type": "string", "nullable": True},
            "startsAt": {"type": "string", "format": "date-time"},
            "endsAt": {"type": "string", "format": "date-time"},
            "reason": {"type": "string"},
        },
        "required": ["id", "startsAt", "endsAt", "reason"],
    },
}

ALERT_STATES = RouteSpec(
    "GET",
    "/v1/ops/alerts",
    "getAlertStates",
    "Every alert rule with its state and since-when, and the silences still on",
    200,
    "AlertStates",
    errors={503: "The database is unavailable"},
    operator=True,
)
CREATE_SILENCE = RouteSpec(
    "POST",
    "/v1/ops/alerts/silences",
    "createSilence",
    "Silence one alert rule, or all of them (a maintenance window), with an expiry",
    201,
    "Silence",
    request=SILENCE_REQUEST,
    errors={
        **BAD_BODY,
        400: BAD_BODY[400] + "; `invalid_silence`: no such rule, or a blank `reason`",
        503: "The database is unavailable",
    },
    operator=True,
)
OPERATOR_ROUTES = (ALERT_STATES, CREATE_SILENCE)
