"""Lambda entry point of the HTTP API (payload format 2.0)."""

from __future__ import annotations

from typing import Any

from router.api import app


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
