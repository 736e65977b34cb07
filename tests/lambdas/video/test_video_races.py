"""The video worker run concurrently (threads, real PostgreSQL, moto S3, the Azure fake), paused on purpose.

Each test holds one worker inside the model call (an injected pause on
`video.analysis.analyse`) while another delivery arrives, so the interleaving
the race needs happens every run.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from video_support import BUCKET, good_answer, upload

pytestmark = pytest.mark.pg
CHAT = "/models/chat/completions"
WAIT_S = 60  # only a hang reaches it


class Gate:
    """Model calls numbered from 0; call n signals `inside[n]` and waits for `release[n]` (the first `held`)."""

    def __init__(self, held: int) -> None:
        self.inside = [threading.Event() for _ in range(held)]
        self.release = [threading.Event() for _ in range(held)]
        self.calls: list[str] = []

    def enter(self) -> None:
        n = len(self.calls)
        self.calls.append(threading.current_thread().name)
        if n < len(self.inside):
            self.inside[n].set()
            assert self.release[n].wait(WAIT_S)

    def open_all(self) -> None:
        for event in self.release:
            event.set()


@pytest.fixture
def gate(monkeypatch) -> Iterator[Gate]:
    """The model calls pass through a `Gate` holding the first two."""
    from video import analysis

    gate = Gate(held=2)
    real = analysis.analyse

    def analyse(*args: Any, **kwargs: Any) -> Any:
        gate.enter()
        return real(*args, **kwargs)

    monkeypatch.setattr(analysis, "analyse", analyse)
    yield gate
    gate.open_all()


def process(request: Any) -> Any:
    """One delivery through the real worker, as the handler runs it."""
    from common import azure_ai
    from common.deadline import Deadline
    from common.messages import Delivery
    from video import worker
    from video.settings import video_settings

    delivery = Delivery("m", "{}", receive_count=1, max_receive_count=3)
    return worker.process(request, video_settings(), Deadline.after(300.0, 1.0), azure_ai.get_client, delivery)


def in_thread(target: Callable[[], Any], name: str = "first") -> tuple[threading.Thread, list[Any]]:
    out: list[Any] = []

    def run() -> None:
        try:
            out.append(target())
        except Exception as exc:  # handed back to the test
            out.append(exc)

    thread = threading.Thread(target=run, name=name)
    thread.start()
    return thread, out


def rows(db_conn) -> list[dict]:
    db_conn.rollback()
    return db_conn.execute("SELECT etag, status, job_id FROM video_analyses ORDER BY id").fetchall()


def test_a_reupload_during_an_analysis_is_analysed_too(video_env, threaded_db, db_conn, httpserver, clips, gate):
    from video.messages import VideoRequest

    httpserver.expect_request(CHAT, method="POST").respond_with_json(good_answer())
    # Given the first upload of a key held inside its model call
    upload(video_env, clips["landscape"].path, "uploads/again.mp4")
    request = VideoRequest(BUCKET, "uploads/again.mp4")
    first, first_out = in_thread(lambda: process(request))
    assert gate.inside[0].wait(WAIT_S)
    # When the key is uploaded again (a new ETag) and its notification is handled meanwhile
    upload(video_env, clips["portrait"].path, "uploads/again.mp4")
    gate.release[1].set()
    second = process(request)
    gate.release[0].set()
    first.join(WAIT_S)
    # Then both versions are analysed, each by its own job, and nothing is left running
    assert [o.status for o in (*first_out, second)] == ["succeeded", "succeeded"]
    analysed = rows(db_conn)
    assert [r["status"] for r in analysed] == ["succeeded", "succeeded"]
    assert len({r["etag"] for r in analysed}) == 2 and len({r["job_id"] for r in analysed}) == 2


def test_one_version_asked_for_by_two_jobs_is_analysed_once(video_env, threaded_db, db_conn, httpserver, clips, gate):
    from common import job_store
    from common.errors import TransientError
    from video.messages import VideoRequest

    httpserver.expect_request(CHAT, method="POST").respond_with_json(good_answer())
    gate.release[1].set()  # a second model call, if any, is not held
    # Given an upload whose job is held inside its model call
    upload(video_env, clips["landscape"].path, "uploads/twice.mp4")
    first, first_out = in_thread(lambda: process(VideoRequest(BUCKET, "uploads/twice.mp4")))
    assert gate.inside[0].wait(WAIT_S)
    # When a POST /v1/jobs video job for the same object is delivered meanwhile
    api_job, _ = job_store.create_job(db_conn, "video", {"bucket": BUCKET, "key": "uploads/twice.mp4"})
    db_conn.commit()
    api_request = VideoRequest(BUCKET, "uploads/twice.mp4", job_id=api_job.id)
    with pytest.raises(TransientError) as waiting:
        process(api_request)
    # Then it waits for the running analysis instead of paying for a second one
    assert waiting.value.reason == "analysis_in_progress"
    assert gate.calls == ["first"]
    gate.release[0].set()
    first.join(WAIT_S)
    assert first_out[0].status == "succeeded"
    # And its redelivery takes the finished analysis as its result
    again = process(api_request)
    assert again.status == "succeeded" and again.job.result["duplicate"] is True
    assert gate.calls == ["first"] and [r["status"] for r in rows(db_conn)] == ["succeeded"]
    assert len(httpserver.log) == 1


def test_an_attempt_that_outlived_its_lease_cannot_finish_the_job(
    video_env, threaded_db, db_conn, httpserver, clips, gate
):
    from video.messages import VideoRequest

    httpserver.expect_request(CHAT, method="POST").respond_with_json(good_answer())
    request = VideoRequest(BUCKET, "uploads/stale.mp4")
    # Given an attempt held inside its model call past its lease
    upload(video_env, clips["landscape"].path, "uploads/stale.mp4")
    first, first_out = in_thread(lambda: process(request), "first")
    assert gate.inside[0].wait(WAIT_S)
    db_conn.execute("UPDATE jobs SET lease_until = now() - interval '1 second'")
    db_conn.commit()
    # And a redelivery that took the job over, held inside its own model call
    second, second_out = in_thread(lambda: process(request), "second")
    assert gate.inside[1].wait(WAIT_S)
    # When the first attempt finishes while the second still runs
    gate.release[0].set()
    first.join(WAIT_S)
    # Then its outcome is dropped: the job is still the second attempt's
    assert first_out[0].status == "stale"
    db_conn.rollback()
    job = db_conn.execute("SELECT status, attempts FROM jobs").fetchone()
    assert (job["status"], job["attempts"]) == ("running", 2)
    assert rows(db_conn)[0]["status"] == "running"
    # And the second attempt finishes it
    gate.release[1].set()
    second.join(WAIT_S)
    assert second_out[0].status == "succeeded"
    events = db_conn.execute("SELECT status, attempt FROM job_events WHERE status = 'succeeded'").fetchall()
    assert [(e["status"], e["attempt"]) for e in events] == [("succeeded", 2)]
