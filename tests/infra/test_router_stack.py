"""Router stack: the HTTP API's auth, throttling, logs and CORS, and the router function's wiring."""

from __future__ import annotations

import json

import pytest
from aws_cdk.assertions import Match, Template
from cdk_nag import AwsSolutionsChecks

from stacks.router import ACCESS_LOG_FIELDS, api_routes


@pytest.fixture(scope="module")
def router(templates) -> Template:
    return templates["Router"]


def _routes(router: Template) -> dict[str, dict]:
    return {
        r["Properties"]["RouteKey"]: r["Properties"] for r in router.find_resources("AWS::ApiGatewayV2::Route").values()
    }


def test_every_documented_operation_is_a_route(router):
    # Given the OpenAPI document / When the stack is synthesized / Then API Gateway serves exactly those routes
    assert set(_routes(router)) == {f"{r.method} {r.path}" for r in api_routes()}
    assert "POST /v1/ai/route" in _routes(router)


def test_every_route_but_health_uses_the_jwt_authorizer(router):
    authorizers = router.find_resources("AWS::ApiGatewayV2::Authorizer")
    assert len(authorizers) == 1
    (auth_id,) = authorizers
    for key, route in _routes(router).items():
        if key == "GET /health":
            assert route.get("AuthorizationType", "NONE") == "NONE"
            assert "AuthorizerId" not in route
        else:
            assert route["AuthorizationType"] == "JWT", key
            assert route["AuthorizerId"] == {"Ref": auth_id}, key


def test_jwt_issuer_and_audience_come_from_config(router, cfg):
    router.has_resource_properties(
        "AWS::ApiGatewayV2::Authorizer",
        {
            "AuthorizerType": "JWT",
            "IdentitySource": ["$request.header.Authorization"],
            "JwtConfiguration": {"Issuer": cfg.router.jwt_issuer, "Audience": list(cfg.router.jwt_audience)},
        },
    )


def test_default_stage_is_throttled_from_config(router, cfg):
    router.has_resource_properties(
        "AWS::ApiGatewayV2::Stage",
        {
            "StageName": "$default",
            "AutoDeploy": True,
            "DefaultRouteSettings": {
                "ThrottlingRateLimit": cfg.router.throttle_rate,
                "ThrottlingBurstLimit": cfg.router.throttle_burst,
            },
        },
    )


def test_access_logs_are_json_into_a_log_group_with_retention(router, cfg):
    (stage,) = router.find_resources("AWS::ApiGatewayV2::Stage").values()
    settings = stage["Properties"]["AccessLogSettings"]
    fields = json.loads(settings["Format"])
    assert fields["requestId"] == "$context.requestId" and fields == ACCESS_LOG_FIELDS
    log_group_id = settings["DestinationArn"]["Fn::GetAtt"][0]
    group = router.find_resources("AWS::Logs::LogGroup")[log_group_id]
    assert group["Properties"]["RetentionInDays"] == cfg.log_retention_days


def test_cors_allows_the_configured_origins_and_idempotency_header(router, cfg):
    router.has_resource_properties(
        "AWS::ApiGatewayV2::Api",
        {
            "ProtocolType": "HTTP",
            "CorsConfiguration": Match.object_like(
                {"AllowOrigins": list(cfg.router.cors_origins), "AllowHeaders": Match.array_with(["idempotency-key"])}
            ),
        },
    )


def test_integration_is_lambda_payload_v2(router):
    router.has_resource_properties(
        "AWS::ApiGatewayV2::Integration", {"IntegrationType": "AWS_PROXY", "PayloadFormatVersion": "2.0"}
    )


def test_function_runs_in_the_vpc_with_db_cache_azure_and_upload_settings(router, cfg):
    (fn,) = [
        f
        for f in router.find_resources("AWS::Lambda::Function").values()
        if f["Properties"]["Handler"] == "router.handler.lambda_handler"
    ]
    props = fn["Properties"]
    assert props["Architectures"] == ["arm64"]
    assert props["Timeout"] == cfg.router.timeout_seconds < 30
    assert props["VpcConfig"]["SecurityGroupIds"]
    env = props["Environment"]["Variables"]
    assert env["DB_USER"] == "huntaze_router" and "DB_SECRET_ARN" not in env
    for name in (
        "DB_HOST",
        "REDIS_HOST",
        "REDIS_IAM_USER",
        "REDIS_CACHE_NAME",
        "AZURE_AI_ENDPOINT",
        "AZURE_AI_KEY_PARAMETER",
        "UPLOADS_BUCKET",
    ):
        assert name in env, name
    assert json.loads(env["AI_MODELS"]) == cfg.azure.models
    assert env["AI_DAILY_BUDGET_USD"] == str(cfg.azure.daily_budget_usd)
    assert env["AI_CALLER_DAILY_BUDGET_USD"] == str(cfg.azure.caller_daily_budget_usd)
    assert env["AI_MONTHLY_BUDGET_USD"] == str(cfg.azure.monthly_budget_usd)
    assert float(env["AI_DEADLINE_SECONDS"]) < cfg.router.timeout_seconds
    assert "AZURE_AI_KEY" not in env  # the key itself never sits in the template
    assert env["AZURE_AI_KEY_PARAMETER"] == f"/{cfg.prefix}/azure/api-key"  # a name; the operator creates it


def test_function_may_put_only_under_uploads(router):
    policies = json.dumps(router.find_resources("AWS::IAM::Policy"))
    assert "s3:PutObject" in policies
    assert "/uploads/*" in policies


def test_the_router_finds_each_queue_by_its_name_without_an_import(templates, cfg):
    # Given the dev app (the router sends jobs to the video, trends, data and alerts queues)
    from common import names

    router = templates["Router"].to_json()
    (fn,) = [
        f
        for f in router["Resources"].values()
        if f["Type"] == "AWS::Lambda::Function" and f["Properties"]["Handler"].startswith("router.")
    ]
    variables = fn["Properties"]["Environment"]["Variables"]
    send = [
        s
        for p in router["Resources"].values()
        if p["Type"] == "AWS::IAM::Policy"
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        if s["Action"] == "sqs:SendMessage"
    ]
    # Then each queue's URL and the send grant are built from the queue names, with no export of another stack
    for task in ("video", "trends", "data", "alerts"):
        name = names.queue(cfg.prefix, task)
        assert variables[f"QUEUE_URL_{task.upper()}"]["Fn::Join"][1][-1].endswith(f"/{name}")
        assert any(json.dumps(r).endswith(f':{name}"]]}}') for s in send for r in s["Resource"])
    imports = list(_find(router, "Fn::ImportValue"))
    assert imports and not [i for i in imports if i.split(":")[0].endswith(("-Cron", "-Video"))]


def test_router_stack_passes_cdk_nag(stacks):
    report = AwsSolutionsChecks().validate_scope(stacks.router)
    errors = [
        (v.rule_name, [r.construct_path for r in v.violating_resources])
        for v in report.violations
        if v.severity == "error"
    ]
    assert errors == []


def test_the_router_reads_the_stage_s_event_types_claim_and_rollup_lookback(router, cfg):
    # Given the router function's environment / When its settings read it
    from router.settings import RouterSettings

    (fn,) = [
        f
        for f in router.find_resources("AWS::Lambda::Function").values()
        if f["Properties"]["Handler"] == "router.handler.lambda_handler"
    ]
    from tests.infra.test_settings_roundtrip import stand_in

    env = {k: stand_in(v) for k, v in fn["Properties"]["Environment"]["Variables"].items()}
    settings = RouterSettings.from_env(env)
    # Then POST /v1/events accepts the one list of event types (the alert rules' vocabulary too),
    # trusts the configured claim, and refuses what the data rollups would never count
    assert settings.event_types == cfg.events.types
    assert settings.event_accounts_claim == cfg.events.accounts_claim
    assert settings.event_lookback.total_seconds() == cfg.cron.late_event_lookback_hours * 3600


def _find(node, key):
    """Every value of ``key`` anywhere in a template."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == key:
                yield v
            else:
                yield from _find(v, key)
    elif isinstance(node, list):
        for v in node:
            yield from _find(v, key)
