"""The upload-key rule (router/uploads.py): the object key an upload ticket names, and the ticket's limits.

Filenames tried: paths with / and \\, leading and trailing dots and dashes,
runs of unsafe characters, non-ASCII, nothing left after cleaning, 120 and
121 safe characters. Limits tried: a size exactly at the stage's maximum,
no uploads bucket configured, a stage's own URL lifetime.
"""

from __future__ import annotations

import uuid
from urllib.parse import parse_qs, urlsplit

import pytest

from common import payloads
from router.uploads import object_key

UPLOAD_ID = uuid.UUID("0b9f3c1e-6f0e-4a63-9d9a-1c5d0e0f7a11")
PREFIX = f"uploads/{UPLOAD_ID}/"


@pytest.mark.parametrize(
    ("filename", "name"),
    [
        ("clip.mp4", "clip.mp4"),
        ("a/b/c.mp4", "c.mp4"),
        ("C:\\Users\\me\\clip.mov", "clip.mov"),
        ("dir\\sub/mixed.webm", "mixed.webm"),
        ("..hidden.mp4", "hidden.mp4"),
        ("-dash-.mp4-", "dash-.mp4"),
        ("clip.mp4.", "clip.mp4"),
        ("my   holiday!!(final).mp4", "my-holiday-final-.mp4"),
        ("vidéo été.mp4", "vid-o-t-.mp4"),
        ("snake_case-1.2.mp4", "snake_case-1.2.mp4"),
    ],
)
def test_the_key_keeps_the_basename_in_safe_characters(filename, name):
    assert object_key(filename, UPLOAD_ID) == PREFIX + name


@pytest.mark.parametrize("filename", ["...", "---", "///", "dir/", "☃☃", ".-.-"])
def test_a_name_with_nothing_safe_left_becomes_video(filename):
    assert object_key(filename, UPLOAD_ID) == PREFIX + "video"


def test_a_name_of_120_safe_characters_is_kept_whole():
    name = "n" * 116 + ".mp4"
    assert object_key(name, UPLOAD_ID) == PREFIX + name


def test_a_longer_name_is_cut_to_120_characters():
    assert object_key("n" * 200 + ".mp4", UPLOAD_ID) == PREFIX + "n" * 120


@pytest.mark.parametrize("filename", ["a\x00b.mp4", "a\nb.mp4", "a\x7fb.mp4", "../../" + "x" * 255])
def test_every_key_the_api_makes_passes_the_upload_key_rule(filename):
    key = object_key(filename, UPLOAD_ID)
    assert payloads.check_upload_key(key) == key


def test_a_size_exactly_at_the_stages_maximum_gets_a_ticket(call, router_env, db_conn):
    size = int(router_env["env"]["UPLOAD_MAX_BYTES"])
    answer = call("POST", "/v1/uploads", {"filename": "a.mp4", "contentType": "video/mp4", "size": size})
    assert answer.status == 201, answer.body
    assert answer.body["headers"] == {"Content-Type": "video/mp4", "Content-Length": str(size)}


def test_one_byte_over_the_maximum_names_the_limit(call, router_env):
    size = int(router_env["env"]["UPLOAD_MAX_BYTES"]) + 1
    answer = call("POST", "/v1/uploads", {"filename": "a.mp4", "contentType": "video/mp4", "size": size})
    assert (answer.status, answer.body["error"]) == (413, "upload_too_large")
    assert answer.body["detail"] == f"{size} bytes is over the limit of {size - 1}"


def test_without_an_uploads_bucket_the_router_is_misconfigured_and_makes_no_job(call, router_env, db_conn, monkeypatch):
    # UPLOADS_BUCKET is a required setting (the Router stack always sets it; no runtime default):
    # a router without one refuses as misconfigured instead of issuing a ticket.
    from router import settings

    monkeypatch.setenv("UPLOADS_BUCKET", "")
    settings.reset()
    answer = call("POST", "/v1/uploads", {"filename": "a.mp4", "contentType": "video/mp4", "size": 10})
    assert (answer.status, answer.body["error"]) == (500, "misconfigured")
    assert db_conn.execute("SELECT count(*) AS n FROM jobs").fetchone()["n"] == 0


def test_the_url_lives_as_long_as_the_stage_says(call, router_env, monkeypatch):
    from router import settings

    monkeypatch.setenv("UPLOAD_URL_TTL_SECONDS", "120")
    settings.reset()
    ticket = call("POST", "/v1/uploads", {"filename": "a.mp4", "contentType": "video/mp4", "size": 10}).body
    assert ticket["expiresIn"] == 120
    assert parse_qs(urlsplit(ticket["uploadUrl"]).query)["X-Amz-Expires"] == ["120"]
    assert ticket["method"] == "PUT"


def test_the_job_records_the_ticket_and_the_original_filename(call, router_env, db_conn):
    ticket = call("POST", "/v1/uploads", {"filename": "My Clip.mov", "contentType": "video/quicktime", "size": 77}).body
    payload = db_conn.execute("SELECT payload FROM jobs WHERE id = %s", (ticket["jobId"],)).fetchone()["payload"]
    assert payload == {
        "bucket": ticket["bucket"],
        "key": ticket["key"],
        "contentType": "video/quicktime",
        "size": 77,
        "filename": "My Clip.mov",
    }
    assert ticket["key"].endswith("/My-Clip.mov")
