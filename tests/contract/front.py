"""A small in-process API Gateway HTTP API for the contract tests: HTTP in, payload 2.0 event to the handler, HTTP out.

It does what the deployed gateway does before and after the router runs, as
far as a client can tell:

* routes only the route keys the stack declares (router.contract.ROUTES);
  anything else is API Gateway's 404 `{"message":"Not Found"}`;
* a JWT authorizer on every route but /health: a missing, malformed, badly
  signed, expired or wrong-audience token is `401 {"message":"Unauthorized"}`
  before the function runs; a good one's claims reach the event as strings;
* bodies of a text content type pass as text, others base64-encoded
  (`isBase64Encoded`), as API Gateway does;
* header names lower-cased, repeated headers joined with commas.

Tokens are HS256 with a test secret (`issue_token`), where the real
authorizer checks the issuer's RS256 keys: the difference is invisible to
the router, which only sees the verified claims.

When the shared front (tools/local/apigw.py) lands, the contract test swaps
`make_front` for it in one line.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote

from router.contract import ROUTES

SECRET = b"contract-test-secret"
ISSUER = "https://auth.huntaze.test/"
AUDIENCE = "huntaze-api"
_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/javascript", "+json", "+xml")
_REASONS = {200: "OK", 201: "Created", 202: "Accepted", 401: "Unauthorized", 404: "Not Found"}

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def issue_token(sub: str, **claims: Any) -> str:
    """A JWT the front's authorizer accepts."""
    body = {"sub": sub, "iss": ISSUER, "aud": AUDIENCE, "exp": int(time.time()) + 3600, **claims}
    head = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = _b64(json.dumps(body).encode())
    return f"{head}.{payload}.{_b64(_sign(f'{head}.{payload}'))}"


def make_front(handler: Handler, context: Callable[[], Any]) -> Callable[..., Iterable[bytes]]:
    """The WSGI app: `handler(event, context())` behind the gateway's routing and authorizer."""
    routes = [(spec.method, spec.path.split("/"), spec.auth) for spec in ROUTES]

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        path = unquote(environ.get("PATH_INFO") or "/")
        route = _match(routes, method, path)
        if route is None:
            return _answer(start_response, 404, {"message": "Not Found"})
        route_key, params, needs_auth = route
        headers = _headers(environ)
        claims = None
        if needs_auth:
            claims = _verify(headers.get("authorization", ""))
            if claims is None:
                return _answer(start_response, 401, {"message": "Unauthorized"})
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        event = _event(method, path, route_key, params, headers, environ.get("QUERY_STRING", ""), body, claims)
        result = handler(event, context())
        out = result.get("body") or ""
        raw = base64.b64decode(out) if result.get("isBase64Encoded") else out.encode()
        status = result["statusCode"]
        start_response(f"{status} {_REASONS.get(status, 'Status')}", list((result.get("headers") or {}).items()))
        return [raw]

    return app


def _match(
    routes: list[tuple[str, list[str], bool]], method: str, path: str
) -> tuple[str, dict[str, str], bool] | None:
    parts = path.split("/")
    for route_method, pattern, auth in routes:
        if route_method != method or len(pattern) != len(parts):
            continue
        params: dict[str, str] = {}
        for want, got in zip(pattern, parts, strict=True):
            if want.startswith("{"):
                if not got:
                    break
                params[want[1:-1]] = got
            elif want != got:
                break
        else:
            return f"{method} {'/'.join(pattern)}", params, auth
    return None


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers[key[5:].replace("_", "-").lower()] = value
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            headers[key.replace("_", "-").lower()] = environ[key]
    return headers


def _verify(authorization: str) -> dict[str, str] | None:
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or token.count(".") != 2:
        return None
    head, payload, signature = token.split(".")
    try:
        if not hmac.compare_digest(_unb64(signature), _sign(f"{head}.{payload}")):
            return None
        claims = json.loads(_unb64(payload))
    except ValueError:
        return None
    if not isinstance(claims, dict) or claims.get("iss") != ISSUER or claims.get("aud") != AUDIENCE:
        return None
    if not isinstance(claims.get("exp"), int) or claims["exp"] < time.time():
        return None
    # The HTTP API's authorizer passes every claim on as a string.
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in claims.items()}


def _event(
    method: str,
    path: str,
    route_key: str,
    params: dict[str, str],
    headers: dict[str, str],
    query: str,
    body: bytes,
    claims: dict[str, str] | None,
) -> dict[str, Any]:
    context: dict[str, Any] = {
        "accountId": "123456789012",
        "apiId": "local",
        "domainName": "api.local",
        "domainPrefix": "api",
        "http": {
            "method": method,
            "path": path,
            "protocol": "HTTP/1.1",
            "sourceIp": "127.0.0.1",
            "userAgent": headers.get("user-agent", ""),
        },
        "requestId": "local",
        "routeKey": route_key,
        "stage": "$default",
        "time": "01/Jan/2026:00:00:00 +0000",
        "timeEpoch": int(time.time() * 1000),
    }
    if claims is not None:
        context["authorizer"] = {"jwt": {"claims": claims, "scopes": None}}
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": query,
        "headers": headers,
        "requestContext": context,
        "isBase64Encoded": False,
    }
    if params:
        event["pathParameters"] = params
    if body:
        content_type = headers.get("content-type", "").lower()
        if any(t in content_type for t in _TEXT_TYPES):
            event["body"] = body.decode("utf-8", "replace")
        else:
            event["body"] = base64.b64encode(body).decode()
            event["isBase64Encoded"] = True
    return event


def _answer(start_response: Callable[..., Any], status: int, body: dict[str, Any]) -> list[bytes]:
    start_response(f"{status} {_REASONS[status]}", [("content-type", "application/json")])
    return [json.dumps(body).encode()]


def _sign(text: str) -> bytes:
    return hmac.new(SECRET, text.encode(), hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
