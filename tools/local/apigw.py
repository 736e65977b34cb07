"""An API Gateway HTTP API in front of a Lambda function, as a WSGI app.

It does what the HTTP API does for this app's stage: matches the request
against the route table (404 ``{"message":"Not Found"}`` for anything else),
answers CORS preflights and adds the CORS headers, throttles with the stage's
rate and burst (429), checks the JWT of every route that has the authorizer
(signature against a JWKS, issuer, audience, expiry; 401
``{"message":"Unauthorized"}``), builds the payload format 2.0 event as AWS
builds it (base64 for non-text bodies, comma-joined repeated headers, claims
as strings) and turns the function's answer back into HTTP.

``HttpApiFront(api, invoke, jwks=..., issuer=...)`` is a WSGI callable, so any
WSGI server or test client (schemathesis included) can drive it;
``front_for_stage(invoke)`` builds it from the stage's synthesized templates,
trusting the local issuer (tools/local/identity.py); ``to_event`` and
``to_response`` are the two conversions on their own.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from werkzeug.datastructures import Headers
from werkzeug.wrappers import Request, Response

from tools.local.deployment import ACCOUNT, HttpApi, Route

logger = logging.getLogger("local.api")
Invoke = Callable[[dict[str, Any]], Any]
API_ID = "localapi"
_TEXT_TYPES = re.compile(
    r"^(text/.*|application/(json|.*\+json|xml|.*\+xml|javascript|x-www-form-urlencoded|graphql))(;.*)?$", re.I
)


@dataclass(frozen=True)
class _Match:
    route: Route
    path_parameters: dict[str, str]


def _pattern(path: str) -> re.Pattern[str]:
    parts = []
    for segment in path.strip("/").split("/"):
        if segment.startswith("{") and segment.endswith("+}"):
            parts.append(f"(?P<{segment[1:-2]}>.+)")
        elif segment.startswith("{") and segment.endswith("}"):
            parts.append(f"(?P<{segment[1:-1]}>[^/]+)")
        else:
            parts.append(re.escape(segment))
    return re.compile("^/" + "/".join(parts) + "$")


class TokenBucket:
    """The stage's throttle: ``rate`` requests a second, bursts of ``burst``."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.burst, self.clock = rate, burst, clock
        self.tokens, self.stamp = float(burst), clock()
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            now = self.clock()
            self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
            if self.tokens < 1:
                return False
            self.tokens -= 1
            return True


class JwtAuthorizer:
    """The HTTP API's JWT authorizer: RS256 against a JWKS, issuer, audience, expiry."""

    def __init__(self, jwks: Mapping[str, Any], issuer: str, audience: Iterable[str]) -> None:
        import jwt

        self._keys = {k.get("kid"): jwt.PyJWK(dict(k)) for k in jwks["keys"]}
        self.issuer, self.audience = issuer, list(audience)

    def claims(self, authorization: str | None) -> dict[str, Any] | None:
        """The token's claims, or None when it must be refused."""
        import jwt

        if not authorization:
            return None
        raw = authorization.removeprefix("Bearer ").removeprefix("bearer ").strip()
        try:
            kid = jwt.get_unverified_header(raw).get("kid")
            key = self._keys.get(kid) or (next(iter(self._keys.values())) if len(self._keys) == 1 else None)
            if key is None:
                return None
            return jwt.decode(
                raw,
                key=key,
                algorithms=["RS256"],
                issuer=self.issuer,
                audience=self.audience,
                options={"require": ["exp", "iss", "sub"]},
            )
        except jwt.PyJWTError:
            return None


def _claim_string(value: Any) -> str:
    # The HTTP API hands every claim to the function as a string; an array becomes "[a b]".
    if isinstance(value, list):
        return "[" + " ".join(str(v) for v in value) + "]"
    if isinstance(value, bool):
        return str(value).lower()
    return value if isinstance(value, str) else json.dumps(value)


def to_event(request: Request, match: _Match, claims: Mapping[str, Any] | None, *, request_id: str) -> dict[str, Any]:
    """The payload format 2.0 event API Gateway sends the integration for ``request``."""
    headers: dict[str, str] = {}
    for name, value in request.headers.items():
        key = name.lower()
        if key == "cookie":
            continue
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    body = request.get_data()
    content_type = request.headers.get("content-type", "")
    textual = bool(_TEXT_TYPES.match(content_type)) if content_type else _is_utf8(body)
    now = datetime.now(UTC)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": match.route.key,
        # As sent (still percent-encoded); http.path below is decoded.
        "rawPath": request.environ.get("RAW_URI", request.path).split("?", 1)[0],
        "rawQueryString": request.query_string.decode("latin-1"),
        "headers": headers,
        "requestContext": {
            "accountId": ACCOUNT,
            "apiId": API_ID,
            "domainName": request.host,
            "domainPrefix": request.host.split(".")[0],
            "http": {
                "method": request.method,
                "path": request.path,
                "protocol": request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
                "sourceIp": request.remote_addr or "127.0.0.1",
                "userAgent": request.headers.get("user-agent", ""),
            },
            "requestId": request_id,
            "routeKey": match.route.key,
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "isBase64Encoded": bool(body) and not textual,
    }
    cookies = request.headers.get("cookie")
    if cookies:
        event["cookies"] = [c.strip() for c in cookies.split(";") if c.strip()]
    if request.args:
        event["queryStringParameters"] = {k: ",".join(request.args.getlist(k)) for k in request.args}
    if match.path_parameters:
        event["pathParameters"] = match.path_parameters
    if body:
        event["body"] = body.decode("utf-8") if textual else base64.b64encode(body).decode("ascii")
    if claims is not None:
        scope = claims.get("scope") or claims.get("scp")
        event["requestContext"]["authorizer"] = {
            "jwt": {
                "claims": {k: _claim_string(v) for k, v in claims.items()},
                "scopes": (scope.split() if isinstance(scope, str) else list(scope)) if scope else None,
            }
        }
    return event


def to_response(result: Any) -> Response:
    """The HTTP answer for a function's payload 2.0 result (a full response or a bare JSON value)."""
    if not (isinstance(result, dict) and "statusCode" in result):
        return Response(json.dumps(result), status=200, content_type="application/json")
    body = result.get("body") or ""
    data = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode("utf-8")
    headers = Headers()
    for name, value in (result.get("headers") or {}).items():
        headers[name] = str(value)
    for name, values in (result.get("multiValueHeaders") or {}).items():
        for value in values:
            headers.add(name, str(value))
    for cookie in result.get("cookies") or []:
        headers.add("set-cookie", cookie)
    if "content-type" not in headers:  # case-insensitive
        headers["content-type"] = "application/json"
    return Response(data, status=int(result["statusCode"]), headers=headers)


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def _message(status: int, message: str) -> Response:
    return Response(json.dumps({"message": message}), status=status, content_type="application/json")


class HttpApiFront:
    """WSGI app: the HTTP API of ``api`` in front of ``invoke`` (a payload 2.0 Lambda function)."""

    def __init__(self, api: HttpApi, invoke: Invoke, *, jwks: Mapping[str, Any], issuer: str) -> None:
        self.api, self.invoke = api, invoke
        self.routes = [(route, _pattern(route.path)) for route in api.routes]
        self.authorizer = JwtAuthorizer(jwks, issuer, api.audience)
        self.throttle = TokenBucket(api.throttle_rate, api.throttle_burst)
        self.cors = api.cors

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        started = time.monotonic()
        request_id = str(uuid.uuid4())
        response, sub = self.handle(request, request_id)
        self._add_cors(request, response)
        response.headers["apigw-requestid"] = request_id
        logger.info(
            "%s %s -> %s %.0f ms%s",
            request.method,
            request.full_path.rstrip("?"),
            response.status_code,
            (time.monotonic() - started) * 1000,
            f" sub={sub}" if sub else "",
        )
        return response(environ, start_response)

    def handle(self, request: Request, request_id: str) -> tuple[Response, str | None]:
        if self._is_preflight(request):
            return self._preflight(request), None
        if not self.throttle.take():
            return _message(429, "Too Many Requests"), None
        match = self.match(request.method, request.path)
        if match is None:
            return _message(404, "Not Found"), None
        claims = None
        if match.route.jwt:
            claims = self.authorizer.claims(request.headers.get("authorization"))
            if claims is None:
                response = _message(401, "Unauthorized")
                response.headers["www-authenticate"] = 'Bearer error="invalid_token"'
                return response, None
            # As API Gateway: a route with authorization scopes needs at least one of them in the token.
            granted = str(claims.get("scope", "")).split()
            if match.route.scopes and not any(scope in granted for scope in match.route.scopes):
                return _message(403, "Forbidden"), None
        event = to_event(request, match, claims, request_id=request_id)
        try:
            result = self.invoke(event)
        except Exception:
            logger.exception("the integration failed")
            return _message(500, "Internal Server Error"), None
        return to_response(result), (claims or {}).get("sub")

    def match(self, method: str, path: str) -> _Match | None:
        for route, pattern in self.routes:
            found = pattern.match(path)
            if found and route.method in (method, "ANY"):
                return _Match(route, found.groupdict())
        return None

    # -- CORS, as the HTTP API's CorsConfiguration -------------------------------
    def _origin_allowed(self, origin: str | None) -> bool:
        allowed = self.cors.get("AllowOrigins") or []
        return bool(origin) and ("*" in allowed or origin in allowed)

    def _is_preflight(self, request: Request) -> bool:
        return (
            bool(self.cors)
            and request.method == "OPTIONS"
            and "origin" in request.headers
            and "access-control-request-method" in request.headers
        )

    def _preflight(self, request: Request) -> Response:
        response = Response(status=204)
        origin = request.headers.get("origin")
        method = request.headers.get("access-control-request-method", "").upper()
        methods = [m.upper() for m in self.cors.get("AllowMethods", [])]
        if not self._origin_allowed(origin) or ("*" not in methods and method not in methods):
            return response
        response.headers["access-control-allow-origin"] = origin or ""
        response.headers["access-control-allow-methods"] = ",".join(methods)
        if self.cors.get("AllowHeaders"):
            response.headers["access-control-allow-headers"] = ",".join(self.cors["AllowHeaders"])
        if self.cors.get("MaxAge") is not None:
            response.headers["access-control-max-age"] = str(self.cors["MaxAge"])
        if self.cors.get("AllowCredentials"):
            response.headers["access-control-allow-credentials"] = "true"
        return response

    def _add_cors(self, request: Request, response: Response) -> None:
        origin = request.headers.get("origin")
        if not self.cors or not self._origin_allowed(origin) or self._is_preflight(request):
            return
        response.headers["access-control-allow-origin"] = origin or ""
        if self.cors.get("ExposeHeaders"):
            response.headers["access-control-expose-headers"] = ",".join(self.cors["ExposeHeaders"])
        if self.cors.get("AllowCredentials"):
            response.headers["access-control-allow-credentials"] = "true"


def front_for_stage(invoke: Invoke, *, stage: str = "dev", state_dir: Any = None) -> HttpApiFront:
    """The stage's HTTP API (routes, throttle, CORS from its templates) in front of ``invoke``.

    Tokens are checked against the local issuer's JWKS (``identity.token`` signs
    them); ``state_dir`` is where its key lives (default .local/).
    """
    from stacks.config import load_stage_config
    from stacks.synth import cdk_context
    from tools.local import deployment, identity
    from tools.local.synth import templates, use_project_node

    use_project_node()
    config = cdk_context()["config"]
    region = load_stage_config(config, stage, environ={}).region
    api = deployment.read(templates(stage), region).api
    jwks = identity.jwks(state_dir) if state_dir is not None else identity.jwks()
    return HttpApiFront(api, invoke, jwks=jwks, issuer=identity.ISSUER)
