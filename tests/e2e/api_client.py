"""A small HTTP client for the local API, and the waits the scenarios share."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import urllib3

FINISHED = ("succeeded", "failed")


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: Any


class Api:
    def __init__(self, base_url: str, token: str | None = None) -> None:
        self.base_url, self.token = base_url, token
        self.http = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(total=30))

    def as_user(self, token: str | None) -> Api:
        return Api(self.base_url, token)

    def request(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Answer:
        sent = dict(headers or {})
        if self.token:
            sent.setdefault("Authorization", f"Bearer {self.token}")
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            sent.setdefault("Content-Type", "application/json")
        response = self.http.request(method, self.base_url + path, body=data, headers=sent)
        text = response.data.decode("utf-8", "replace")
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = text
        return Answer(response.status, {k.lower(): v for k, v in response.headers.items()}, parsed)

    def get(self, path: str, **kwargs: Any) -> Answer:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Answer:
        return self.request("POST", path, body, **kwargs)

    def wait_job(self, job_id: str, *, until: tuple[str, ...] = FINISHED, within_s: float = 90) -> dict[str, Any]:
        """The job once its status is in ``until`` (fails the test after ``within_s``)."""
        deadline = time.monotonic() + within_s
        while True:
            answer = self.get(f"/v1/jobs/{job_id}")
            assert answer.status == 200, answer
            if answer.body["status"] in until or time.monotonic() > deadline:
                assert answer.body["status"] in until, f"job still {answer.body['status']}: {answer.body}"
                return answer.body
            time.sleep(0.2)


def upload(api: Api, filename: str, data: bytes, content_type: str = "video/mp4") -> dict[str, Any]:
    """POST /v1/uploads, then the presigned PUT with the headers the ticket names; the ticket."""
    ticket = api.post("/v1/uploads", {"filename": filename, "contentType": content_type, "size": len(data)})
    assert ticket.status in (200, 201, 202), ticket
    put = urllib3.request(ticket.body["method"], ticket.body["uploadUrl"], body=data, headers=ticket.body["headers"])
    assert put.status == 200, put.data[:300]
    return ticket.body


def wait_for(condition: Any, *, within_s: float = 60, what: str = "condition") -> Any:
    deadline = time.monotonic() + within_s
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what} not reached within {within_s} s"
        time.sleep(0.2)
