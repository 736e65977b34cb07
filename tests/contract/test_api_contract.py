"""Schemathesis against the router, behind the API Gateway front `make local` uses, with every check (issue 12).

The front (tools/local/apigw.py) serves the dev stage's route table from its
synthesized templates, with the JWT authorizer against the local issuer and
the operator routes' authorization scope; only its throttle is off, since a
property test sends far more than the stage's 20 requests a second. Behind it,
the router with real PostgreSQL and Redis, moto SQS/S3 and a local Azure AI
fake; generated requests (valid and invalid, at least MAX_EXAMPLES per
operation, a fixed seed so a CI run is repeatable), then the links
createJob/createUpload -> getJob walked as a state machine. Every built-in
check is on, except the ones listed in EXCLUDED with the reason.

Every request carries an operator's token (the deployment's OPERATOR_SCOPE),
so every documented operation, the operator routes and the scheduled tasks
included, is reachable with its success; the 403 a caller without the scope
gets is documented on those operations and tested in tests/e2e
(test_e2e_api_front, test_e2e_jobs) and tests/lambdas/router.
"""

from __future__ import annotations

import functools
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from router import openapi
from router.data_contract import ANALYTICS, TRENDS
from router.operator_contract import CREATE_SILENCE
from tests.fakes import LambdaContext, chat_completion

SEED = 20261130
MAX_EXAMPLES = 100
# Checks left out, each with why. Everything else schemathesis has is on.
EXCLUDED = {
    # API Gateway (HTTP API) routes by route key and answers a method it has no
    # route for with 404 {"message":"Not Found"}; it cannot send 405. The front
    # does the same, so this check would only test the gateway's own choice.
    "unsupported_method": "API Gateway answers 404, never 405, for a method without a route",
    # There is no Allow header for the same reason: the 404 comes from the gateway.
    "allow_header_conformance": "no 405 from API Gateway, so no Allow header",
}
# max_response_time is not a check one turns on but a threshold one sets; none
# is set: speed is measured by bench/bench_router.py against a peer, never by a test's clock.
CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": SEED,
        "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "database": "none"},
        "checks": {"enabled": True, **{name: {"enabled": False} for name in EXCLUDED}},
        "phases": {"stateful": {"enabled": True, "max-steps": 6}},
    }
)
# What the stage allows at most is what the document promises (router.contract);
# the test stage is configured at those limits so valid data is always accepted.
ENV = {
    "AI_MODELS": json.dumps(
        {"reasoning": "DeepSeek-R1", "generation": "DeepSeek-V3", "default": "Phi-4-multimodal-instruct"}
    ),
    "AI_DEFAULT_TYPES": "vision,chat",
    "AI_DAILY_BUDGET_USD": str(10**9),
    "AI_CALLER_DAILY_BUDGET_USD": str(10**9),
    "AI_MONTHLY_BUDGET_USD": str(10**9),
    "AI_MAX_PROMPT_CHARS": "6000000",
    "AI_MAX_IMAGES": "20",
    "AI_MAX_OUTPUT_TOKENS": "1000000",
    "MAX_BODY_BYTES": "6000000",
    "MAX_IDEMPOTENCY_KEY_CHARS": "512",
    "AZURE_AI_KEY": "contract-key",
    "UPLOADS_BUCKET": "huntaze-contract-uploads",
    "UPLOAD_MAX_BYTES": str(5 * 1024**3),
    "EVENT_TYPES": "view,like,share,comment",
    "EVENT_ACCOUNTS_CLAIM": "accounts",
}
TASKS = ("video", "trends", "data", "alerts")


# The stage's access rules reach the router as the deployment sets them.
ACCESS_ENV = ("OPERATOR_SCOPE", "OPERATOR_TASKS", "ADMIN_CLAIM")
STAGE_NAME = "dev"
# (method, path, status) of every request the front answered, for the stateful test's own check.
CALLS: list[tuple[str, str, int]] = []


class _Stage:
    """The stage's API Gateway front before the router, as a WSGI app, and an operator's token for it.

    Built on the first request, not at import: pytest-xdist imports this module
    in every worker, and collecting it must not synthesize. The synth behind it
    runs at most once a session (tools/local/synth.py caches and locks it).
    """

    @functools.cached_property
    def deployment(self) -> Any:
        from tools.local import deployment

        return deployment.for_stage(STAGE_NAME)

    @property
    def router_env(self) -> dict[str, str]:
        return self.deployment.functions[self.deployment.api.function].environment

    @functools.cached_property
    def _issuer(self) -> tempfile.TemporaryDirectory[str]:
        return tempfile.TemporaryDirectory(prefix="contract-issuer-")  # removed when the process ends

    @functools.cached_property
    def front(self) -> Any:
        from router.handler import lambda_handler
        from tools.local import identity
        from tools.local.apigw import HttpApiFront

        def invoke(event: dict[str, Any]) -> Any:
            return lambda_handler(event, LambdaContext(function_name="router", remaining_ms=29_000))

        jwks = identity.jwks(Path(self._issuer.name))
        return HttpApiFront(self.deployment.api, invoke, jwks=jwks, issuer=identity.ISSUER, throttle=False)

    @functools.cached_property
    def operator_token(self) -> str:
        from tools.local import identity

        audience = self.deployment.api.audience[0]
        scope = self.router_env["OPERATOR_SCOPE"]
        return identity.token("contract-caller", audience, scope=scope, state_dir=Path(self._issuer.name))

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        def start(status: str, headers: Any, *rest: Any) -> Any:
            CALLS.append((environ["REQUEST_METHOD"], environ.get("PATH_INFO", ""), int(status.split()[0])))
            return start_response(status, headers, *rest)

        return self.front(environ, start)


STAGE = _Stage()
schema = schemathesis.openapi.from_dict(openapi.build(), config=CONFIG)
schema.app = STAGE


@schema.auth()
class _OperatorToken:
    """Every request as an operator (see the module docstring); signed on first use, not at import."""

    def get(self, case: Any, ctx: Any) -> str:
        return STAGE.operator_token

    def set(self, case: Any, data: str, ctx: Any) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@schema.hook("filter_case")
def _documented_prose_rules(ctx, case) -> bool:
    """Keep a schema-valid case only if it also fits the rules its operation states in prose.

    JSON Schema cannot say them, so schema-valid generated data can break them;
    such requests get the documented 400, which the router tests cover. Every
    other positive case, and every negative one, is kept:

    * a data job's range: "`until` after `since`, at most 93 days, a real
      calendar time" (test_router_task_contract);
    * the analytics query's range and event types, and the trends query's
      limit and window (test_router_analytics, test_router_trends);
    * a silence's `rule` must name one of the stage's alert rules, which live
      in its database, not in the document (the `api` fixture loads the
      stage's rule file, so the documented example and the maintenance
      window, with no `rule`, are kept), and its `reason` must not be blank
      (tests/lambdas/router/test_router_operator.py).
    """
    from schemathesis import GenerationMode

    if case.meta is None or case.meta.generation.mode is not GenerationMode.POSITIVE:
        return True
    if case.operation.path in _QUERY_RULES:
        return _QUERY_RULES[case.operation.path](dict(case.query or {}))
    body = case.body
    if not isinstance(body, dict):
        return True
    if case.operation.path == CREATE_SILENCE.path:
        known = "rule" not in body or body["rule"] in {rule.name for rule in _stage_rules()}
        return known and bool(str(body.get("reason", "")).strip())
    if body.get("task") == "data" and isinstance(body.get("payload"), dict):
        return _fits_the_data_range_rule(body["payload"])
    return True


def _fits_the_analytics_rules(query: dict[str, Any]) -> bool:
    """GET /v1/analytics: "`to` after `from`, within the granularity's range, event types of the stage's list"."""
    from router import analytics
    from router.settings import RouterSettings
    from tools import function_env

    settings = RouterSettings.from_env({**function_env.router(), **ENV})
    return _parses(lambda: analytics.parse(query, settings))


def _fits_the_trends_rules(query: dict[str, Any]) -> bool:
    """GET /v1/trends: "`limit` 1 to 50, `window` a real calendar time"."""
    from router import trends

    return _parses(lambda: trends.parse(query))


def _parses(parse: Any) -> bool:
    from common.schema import SchemaError

    try:
        parse()
    except (SchemaError, KeyError, ValueError):
        return False
    return True


_QUERY_RULES = {ANALYTICS.path: _fits_the_analytics_rules, TRENDS.path: _fits_the_trends_rules}


@functools.cache
def _stage_rules() -> tuple[Any, ...]:
    """The alert rules the stage's alerts worker loads (its rule file, the dev stage's ALERT_RULES_FILE)."""
    from cron import rule_file
    from tools import function_env

    return rule_file.load(rule_file.RULES_DIR / function_env.alerts()["ALERT_RULES_FILE"]).rules


def _fits_the_data_range_rule(payload: dict[str, Any]) -> bool:
    from datetime import UTC, datetime

    from common import payloads
    from common.schema import SchemaError

    try:
        payloads.validate("data", payload, now=datetime.now(UTC))
    except SchemaError:
        return False
    return True


@pytest.fixture
def api(monkeypatch, database_env, db_conn, redis_url, redis_client, sqs_over_http, httpserver) -> Iterator[None]:
    """The router's environment, pointed at the local services, every task with its queue and the stage's alert rules."""
    import boto3

    from cron import alerts_store

    alerts_store.apply_rules(db_conn, _stage_rules())
    # A trends snapshot with a mover each way, so GET /v1/trends answers its 200 (and its 304) too.
    _seed_trends(db_conn)

    from common import azure_ai
    from common import settings as common_settings
    from router import cache, queues, uploads
    from router import settings as router_settings
    from tools import function_env

    boto3.client("s3", region_name="us-east-2").create_bucket(
        Bucket=ENV["UPLOADS_BUCKET"], CreateBucketConfiguration={"LocationConstraint": "us-east-2"}
    )
    sqs = boto3.client("sqs", region_name="us-east-2")
    for task in TASKS:
        url = sqs.create_queue(QueueName=f"huntaze-contract-{task}")["QueueUrl"]
        monkeypatch.setenv(f"QUEUE_URL_{task.upper()}", url)
    for name, value in {
        **function_env.router(),
        **function_env.azure(httpserver.url_for("/").rstrip("/"), ENV["AZURE_AI_KEY"]),
        **{name: STAGE.router_env[name] for name in ACCESS_ENV},
        **ENV,
        "ADMIN_CLAIM_VALUE": "",
        "REDIS_URL": redis_url,
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("REDIS_HOST", "AZURE_AI_KEY_PARAMETER"):
        monkeypatch.delenv(name, raising=False)
    httpserver.expect_request("/models/chat/completions").respond_with_json(chat_completion("ok", model="Phi-4"))
    resets = (
        common_settings.reset,
        router_settings.reset,
        cache.reset,
        queues.reset,
        uploads.reset,
        azure_ai.reset_client,
    )
    for reset in resets:
        reset()
    yield
    for reset in resets:
        reset()


def _seed_trends(conn: Any) -> None:
    from psycopg.types.json import Jsonb

    def move(name: str, previous: int, current: int) -> dict[str, Any]:
        change = current - previous
        return {
            "kind": "hashtag",
            "name": name,
            "scale": "mentions",
            "previous": previous,
            "current": current,
            "change": change,
            "ratio": round(change / previous, 4),
            "confidence": 0.99,
            "sources": ["blog"],
        }

    conn.execute(
        "INSERT INTO trend_snapshots (window_start, growth, summary, model, source_reports) "
        "VALUES (now() - interval '1 hour', %s, 'Up and down.', 'DeepSeek-V3', %s) ON CONFLICT DO NOTHING",
        (
            Jsonb({"hashtag:up@mentions": move("up", 10, 30), "hashtag:down@mentions": move("down", 30, 10)}),
            Jsonb({"blog": {"items": 2}}),
        ),
    )
    conn.commit()


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, suppress_health_check=list(HealthCheck), deadline=None)
def test_every_operation_keeps_the_contract(case, api):
    case.call_and_validate()


def test_links_from_created_jobs_and_uploads_lead_to_them(api):
    CALLS.clear()
    schema.as_state_machine().run(settings=settings(max_examples=MAX_EXAMPLES // 4, deadline=None, derandomize=True))
    # The links were followed: a job created through the API was then read through them
    assert any(m == "GET" and p.startswith("/v1/jobs/") and status == 200 for m, p, status in CALLS)
