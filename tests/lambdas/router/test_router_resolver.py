"""The resolver that skips Powertools' per-request header copy still routes, compresses and answers CORS."""

from __future__ import annotations

import base64
import gzip
import json

from aws_lambda_powertools.event_handler import CORSConfig
from router_events import LambdaContext, http_event

from router.resolver import HttpApiEvent, HttpApiResolver


def test_the_event_powertools_builds_reads_headers_from_the_raw_event():
    # Given a resolver whose route reports the event Powertools handed it
    app = HttpApiResolver()

    @app.get("/probe")
    def probe() -> dict:
        event = app.current_event
        return {
            "ours": isinstance(event, HttpApiEvent),
            "raw": event.resolved_headers_field is event.raw_event["headers"],
        }

    # When a request is resolved
    result = app.resolve(http_event("GET", "/probe", headers={"accept-encoding": "gzip, br"}), LambdaContext())
    # Then the headers were not copied (this fails if Powertools stops building events through the hook)
    assert result["statusCode"] == 200
    assert json.loads(result["body"]) == {"ours": True, "raw": True}


def test_a_route_that_compresses_still_gzips_for_a_comma_joined_accept_encoding():
    app = HttpApiResolver()

    @app.get("/big", compress=True)
    def big() -> dict:
        return {"text": "x" * 2000}

    result = app.resolve(http_event("GET", "/big", headers={"accept-encoding": "deflate, gzip, br"}), LambdaContext())
    assert result["headers"]["Content-Encoding"] == "gzip" and result["isBase64Encoded"] is True
    assert json.loads(gzip.decompress(base64.b64decode(result["body"]))) == {"text": "x" * 2000}


def test_without_gzip_in_accept_encoding_nothing_is_compressed():
    app = HttpApiResolver()

    @app.get("/big", compress=True)
    def big() -> dict:
        return {"text": "x" * 2000}

    result = app.resolve(http_event("GET", "/big", headers={"accept-encoding": "br"}), LambdaContext())
    assert "Content-Encoding" not in result["headers"] and json.loads(result["body"]) == {"text": "x" * 2000}


def test_resolver_cors_still_sees_the_origin():
    app = HttpApiResolver(cors=CORSConfig(allow_origin="https://app.example.com"))

    @app.get("/hello")
    def hello() -> dict:
        return {"ok": True}

    allowed = app.resolve(http_event("GET", "/hello", headers={"origin": "https://app.example.com"}), LambdaContext())
    other = app.resolve(http_event("GET", "/hello", headers={"origin": "https://evil.example"}), LambdaContext())
    assert allowed["headers"]["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert "Access-Control-Allow-Origin" not in other["headers"]
