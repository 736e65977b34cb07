"""Local stand-ins for the outside services: Azure AI chat completions, Slack, a trend source.

One small HTTP server, used only for what is not configured for real:

* ``POST /models/chat/completions``: the Azure AI model inference protocol.
  Every answer is labelled ``[local stub]`` and says which model was asked;
  a prompt that asks for the video analysis' JSON keys gets a JSON object
  with them, so the video worker's validation runs for real.
* ``POST /slack``: an incoming webhook that logs what it was sent.
* ``GET /trends``: a JSON trend source (``items`` of name/count/type).
* ``POST /webhooks``: a completion-webhook receiver that logs each event's type, job and webhook-id.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
import time
from typing import Any

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

logger = logging.getLogger("local.standins")
STUB_LABEL = "[local stub]"
TREND_ITEMS = [
    {"name": "#localdev", "count": 1200, "type": "hashtag"},
    {"name": "stub sound", "count": 800, "type": "sound"},
    {"name": "#huntaze", "count": 450, "type": "hashtag"},
]
_VIDEO_KEYS = ("hook", "topics", "on_screen_text", "suggested_caption", "safety_flags")


def _prompt_text(messages: list[dict[str, Any]]) -> str:
    parts: list[str] = []
    for message in messages:
        content = message.get("content")
        if isinstance(content, str):
            parts.append(content)
        elif isinstance(content, list):
            parts += [p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text"]
    return "\n".join(parts)


def chat_answer(request: dict[str, Any]) -> dict[str, Any]:
    """A chat-completions answer to ``request``, labelled as a stub."""
    model = str(request.get("model") or "unknown-model")
    prompt = _prompt_text(request.get("messages") or [])
    if all(f'"{key}"' in prompt for key in _VIDEO_KEYS):
        content = json.dumps(
            {
                "hook": f"{STUB_LABEL} no model was asked ({model}); this is a placeholder hook",
                "topics": ["local-stub"],
                "on_screen_text": [],
                "suggested_caption": f"{STUB_LABEL} caption",
                "safety_flags": ["none"],
            }
        )
    else:
        content = f"{STUB_LABEL} {model} was not asked; your prompt had {len(prompt)} characters."
    prompt_tokens = max(1, len(prompt) // 4)
    completion_tokens = max(1, len(content) // 4)
    return {
        "id": f"local-stub-{time.time_ns()}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


class _Switches:
    """What a test can make the stand-ins do: Azure answering an HTTP error (a transient outage) for a model."""

    def __init__(self) -> None:
        self.azure_status: int | None = None
        self.azure_model: str | None = None  # None: every model

    def azure_failure(self, request: Request) -> int | None:
        if not self.azure_status or not request.path.endswith("/chat/completions"):
            return None
        model = (request.get_json(force=True, silent=True) or {}).get("model")
        return self.azure_status if self.azure_model in (None, model) else None


def _app(switches: _Switches, environ: dict[str, Any], start_response: Any) -> Any:
    request = Request(environ)
    failure = switches.azure_failure(request) if request.method == "POST" else None
    if failure:
        logger.info("azure stub answered HTTP %s (outage switched on)", failure)
        body = {"error": {"code": "ServiceUnavailable", "message": f"{STUB_LABEL} outage"}}
        response = Response(json.dumps(body), status=failure, content_type="application/json")
        response.headers["retry-after"] = "0"
    elif request.method == "POST" and request.path.endswith("/chat/completions"):
        body = chat_answer(request.get_json(force=True, silent=True) or {})
        logger.info("azure stub answered %s", body["model"])
        response = Response(json.dumps(body), content_type="application/json")
    elif request.method == "POST" and request.path == "/slack":
        text = (request.get_json(force=True, silent=True) or {}).get("text", "")
        logger.info("slack stand-in got: %s", str(text).splitlines()[0][:160] if text else "(no text)")
        response = Response("ok", content_type="text/plain")
    elif request.method == "POST" and request.path == "/webhooks":
        event = request.get_json(force=True, silent=True) or {}
        logger.info(
            "webhook stand-in got %s for job %s (%s)",
            event.get("type"),
            (event.get("data") or {}).get("jobId"),
            request.headers.get("webhook-id"),
        )
        response = Response("", status=204)
    elif request.method == "GET" and request.path == "/trends":
        response = Response(json.dumps({"items": TREND_ITEMS}), content_type="application/json")
    else:
        response = Response(json.dumps({"error": "not found"}), status=404, content_type="application/json")
    return response(environ, start_response)


class StandIns:
    """The stand-in server on 127.0.0.1, on a free port, in a daemon thread."""

    def __init__(self) -> None:
        self.switches = _Switches()
        self._server = make_server("127.0.0.1", 0, functools.partial(_app, self.switches), threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="standins", daemon=True)

    @property
    def azure_endpoint(self) -> str:
        return self.url

    @property
    def slack_webhook(self) -> str:
        return f"{self.url}/slack"

    @property
    def webhook_url(self) -> str:
        return f"{self.url}/webhooks"

    @property
    def trends_url(self) -> str:
        return f"{self.url}/trends"

    def azure_outage(self, status: int | None, model: str | None = None) -> None:
        """Make chat completions (of ``model``, or all) answer ``status`` (None: answer normally again)."""
        self.switches.azure_status, self.switches.azure_model = status, model

    def start(self) -> StandIns:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
