"""The operator routes (`router.operator_contract`): parse, check the scope, call `common.alert_ops`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aws_lambda_powertools.event_handler.api_gateway import Response

from router import api
from router.access import require_operator
from router.errors import ApiError
from router.operator_contract import ALERT_STATES, CREATE_SILENCE, SILENCE_REQUEST


@api._route(ALERT_STATES)
def alert_states() -> Response:
    _operator()
    from common import alert_ops, db

    with db.connection() as conn:
        return api.json_response(200, {"rules": alert_ops.rule_states(conn), "silences": alert_ops.silences(conn)})


@api._route(CREATE_SILENCE)
def create_silence() -> Response:
    who = _operator()
    body = SILENCE_REQUEST.validate(api._json_body(api.router_settings()))
    from common import alert_ops, db

    with db.connection() as conn:
        try:
            silence = alert_ops.add_silence(
                conn,
                rule=body.get("rule"),
                ends_at=datetime.now(UTC) + timedelta(hours=body["hours"]),
                reason=body["reason"],
                created_by=who,
            )
        except alert_ops.SilenceError as exc:
            raise ApiError(400, "invalid_silence", str(exc)) from None
    return api.json_response(201, {k: v.isoformat() if isinstance(v, datetime) else v for k, v in silence.items()})


def _operator() -> str:
    """The caller, if its token carries the operator scope; 403 otherwise (or when none is configured)."""
    caller = api._caller()
    require_operator(api._claims(), api.router_settings(), "may operate alerting")
    return caller
