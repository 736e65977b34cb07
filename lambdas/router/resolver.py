"""The Powertools HTTP API resolver without its per-request copy of the headers.

Powertools' response builder reads `event.resolved_headers_field` on every
response, to look for gzip in Accept-Encoding even when no route compresses.
For payload 2.0 that property builds a case-insensitive copy of all headers,
splitting comma-joined values into lists: about 20 us per request with the
headers a browser sends, a third of the time of a rejected request. No option
turns it off (Powertools 3.22 through 3.37). In payload 2.0 API Gateway already
lower-cases header names, so the event's own dict answers the lookups Powertools makes with
it (accept-encoding for compression, origin for CORS) unchanged; a
comma-joined value stays one string, which both lookups accept.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import APIGatewayHttpResolver
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2


class HttpApiEvent(APIGatewayProxyEventV2):
    @cached_property
    def resolved_headers_field(self) -> dict[str, Any]:
        return self.get("headers") or {}


class HttpApiResolver(APIGatewayHttpResolver):
    def _to_proxy_event(self, event: dict[str, Any]) -> HttpApiEvent:
        # The one place Powertools turns the raw event into its data class.
        return HttpApiEvent(event, self._json_body_deserializer)
