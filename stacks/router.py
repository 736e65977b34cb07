"""Router stack: the HTTP API (JWT, throttling, access logs, CORS) and the AI router Lambda.

The routes come from docs/api/openapi.json, the document generated from the
Lambda's route table (a test keeps the two equal), so API Gateway serves
exactly the routes the function implements and only `security: []` routes
skip the JWT authorizer.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

import aws_cdk as cdk
import jsii
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct

from common import names
from common.tasks import SCHEDULED_TASKS
from stacks import function_settings
from stacks.config import StageConfig
from stacks.constructs.log_retention import retention
from stacks.constructs.nag import acknowledge
from stacks.constructs.nag_checkov import acknowledge_checkov
from stacks.constructs.python_function import PythonFunction
from stacks.data import DataStack
from stacks.function_settings import UPLOADS_PREFIX
from stacks.naming import publish_id, queue_arn, queue_name, queue_url

OPENAPI_DOCUMENT = Path(__file__).resolve().parents[1] / "docs" / "api" / "openapi.json"
# The role the document's operator-only routes require (router.contract.OPERATOR_SCOPE_ROLE;
# a test keeps the two equal); each stage turns it into its own scope.
OPERATOR_SCOPE_ROLE = "operator"
_METHODS = {m.value.lower(): m for m in apigwv2.HttpMethod}

# One JSON object per request; field names follow the HTTP API's $context variables.
ACCESS_LOG_FIELDS = {
    "requestId": "$context.requestId",
    "time": "$context.requestTime",
    "ip": "$context.identity.sourceIp",
    "method": "$context.httpMethod",
    "routeKey": "$context.routeKey",
    "path": "$context.path",
    "status": "$context.status",
    "protocol": "$context.protocol",
    "responseLength": "$context.responseLength",
    "latencyMs": "$context.responseLatency",
    "integrationLatencyMs": "$context.integrationLatency",
    "integrationError": "$context.integrationErrorMessage",
    "authorizerError": "$context.authorizer.error",
    "sub": "$context.authorizer.claims.sub",
    "userAgent": "$context.identity.userAgent",
}


class ApiRoute(NamedTuple):
    method: str
    path: str
    secured: bool  # needs a JWT
    # OAuth scopes the JWT must carry for every request of the route (an
    # operator-only route); API Gateway refuses the others before the Lambda runs.
    scopes: tuple[str, ...] = ()


def api_routes(document: Path = OPENAPI_DOCUMENT) -> list[ApiRoute]:
    """Every operation in the OpenAPI document, with the scopes its security requirement names."""
    doc = json.loads(document.read_text())
    default_security = doc.get("security") or []
    routes = []
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            security = op.get("security", default_security)
            scopes = tuple(
                sorted({scope for requirement in security for names in requirement.values() for scope in names})
            )
            routes.append(ApiRoute(method.upper(), path, bool(security), scopes))
    return routes


@jsii.implements(apigwv2.IAccessLogSettings)
class _AccessLogs:
    def __init__(self, log_group: logs.ILogGroup) -> None:
        self._destination = apigwv2.LogGroupLogDestination(log_group)
        self._format = apigw.AccessLogFormat.custom(json.dumps(ACCESS_LOG_FIELDS, separators=(",", ":")))

    @property
    def destination(self) -> apigwv2.IAccessLogDestination:
        return self._destination

    @property
    def format(self) -> apigw.AccessLogFormat:
        return self._format


class RouterStack(cdk.Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cfg: StageConfig,
        data: DataStack,
        queued_tasks: Sequence[str],
        **kwargs: Any,
    ) -> None:
        """``queued_tasks``: the tasks whose queues the router sends jobs to, found by their names
        (stacks/naming.py), so the stacks that own them may replace or remove them without an export deadlock."""
        super().__init__(scope, construct_id, **kwargs)
        self.cfg = cfg
        self.function = self._function(data, sorted(queued_tasks))
        self.api = self._api()
        # The Monitoring stack finds the API by this (its id cannot be named in advance), not by an export.
        publish_id(self.api.node.default_child, cfg, "http-api", self.api.api_id)
        # Its generated name too: naming it now (common.names) would replace the function and change
        # the value of the export Monitoring imported until this change, which CloudFormation refuses.
        publish_id(self.function, cfg, "router-function", self.function.function_name)
        # Transition (issue 18 item 8): Monitoring imported these until this change. Kept one release so
        # this stack can deploy before Monitoring drops its imports; remove once every stage has deployed it.
        self.export_value(self.api.api_id)
        self.export_value(self.function.function_name)

    # -- the router Lambda ------------------------------------------------------
    def _function(self, data: DataStack, queued_tasks: Sequence[str]) -> PythonFunction:
        r = self.cfg.router
        env = {
            **data.cache_environment(),
            **data.azure_environment(),
            **function_settings.router(self.cfg, SCHEDULED_TASKS),
            "UPLOADS_BUCKET": data.uploads_bucket_name,
        }
        for task in queued_tasks:
            env[f"QUEUE_URL_{task.upper()}"] = queue_url(queue_name(self.cfg, task))
        fn = PythonFunction(
            self,
            "Router",
            cfg=self.cfg,
            package="router",
            handler="router.handler.lambda_handler",
            description="HTTP API: AI router, jobs, uploads, events",
            memory_mb=r.memory_mb,
            timeout=cdk.Duration.seconds(r.timeout_seconds),
            environment=env,
            database=data.database_access("router"),
            reserved_concurrency=r.reserved_concurrency,
        )
        synchronous = "The HTTP API invokes it synchronously and returns its error to the caller; a DLQ only serves asynchronous invocations."
        acknowledge(fn, {"Serverless-LambdaDLQ": synchronous})
        acknowledge_checkov(fn, {"CKV_AWS_116": synchronous})
        data.grant_cache(fn)
        data.grant_azure(fn)
        fn.add_to_role_policy(
            iam.PolicyStatement(
                actions=["sqs:SendMessage"], resources=[queue_arn(queue_name(self.cfg, t)) for t in queued_tasks]
            )
        )
        # The presigned PUT is signed with the function's role, so the role needs the PUT.
        data.uploads_bucket(self).grant_put(fn, f"{UPLOADS_PREFIX}*")
        acknowledge(
            fn,
            {
                "AwsSolutions-IAM5[Action::s3:Abort*]": "CDK's grant_put adds AbortMultipartUpload, scoped to uploads/*.",
                f"AwsSolutions-IAM5[{data.uploads_objects_finding}]": "Presigned upload URLs may only create "
                "objects under uploads/; each key is a new UUID, so it cannot be narrowed further.",
            },
        )
        return fn

    # -- the HTTP API -----------------------------------------------------------
    def _api(self) -> apigwv2.HttpApi:
        r = self.cfg.router
        cors = None
        if r.cors_origins:
            cors = apigwv2.CorsPreflightOptions(
                allow_origins=list(r.cors_origins),
                allow_methods=[apigwv2.CorsHttpMethod.GET, apigwv2.CorsHttpMethod.POST, apigwv2.CorsHttpMethod.OPTIONS],
                allow_headers=["authorization", "content-type", "idempotency-key"],
                expose_headers=["x-cache", "idempotent-replay", "retry-after"],
                max_age=cdk.Duration.hours(1),
            )
        api = apigwv2.HttpApi(
            self,
            "HttpApi",
            api_name=names.http_api(self.cfg.prefix),
            description="Huntaze HTTP API (Vercel app -> AI router, jobs, uploads)",
            cors_preflight=cors,
            create_default_stage=False,
        )
        self.access_logs = logs.LogGroup(
            self,
            "AccessLogs",
            retention=retention(self.cfg.log_retention_days),
            removal_policy=cdk.RemovalPolicy.RETAIN if self.cfg.retain_data else cdk.RemovalPolicy.DESTROY,
        )
        self.stage = api.add_stage(
            "DefaultStage",
            stage_name="$default",
            auto_deploy=True,
            throttle=apigwv2.ThrottleSettings(rate_limit=r.throttle_rate, burst_limit=r.throttle_burst),
            access_log_settings=_AccessLogs(self.access_logs),
        )
        self.authorizer = authorizers.HttpJwtAuthorizer(
            "Jwt", r.jwt_issuer, jwt_audience=list(r.jwt_audience), authorizer_name=names.authorizer(self.cfg.prefix)
        )
        integration = integrations.HttpLambdaIntegration("Router", self.function)
        for method, path, secured, roles in api_routes():
            # The document names the operator role; this stage's token carries its own scope for it.
            scopes = [r.operator_scope if role == OPERATOR_SCOPE_ROLE else role for role in roles]
            routes = api.add_routes(
                path=path,
                methods=[_METHODS[method.lower()]],
                integration=integration,
                authorizer=self.authorizer if secured else apigwv2.HttpNoneAuthorizer(),
                authorization_scopes=scopes or None,
            )
            if not secured:
                for route in routes:
                    acknowledge(
                        route,
                        {
                            "AwsSolutions-APIG4": f"{method} {path} is the public health check; it reads nothing and needs no identity."
                        },
                    )
        cdk.CfnOutput(self, "ApiUrl", value=api.api_endpoint)
        return api
