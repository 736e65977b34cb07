"""Hostile payloads to a cron worker (issue 12): a job message whose payload is valid JSON but not the data task's shape.

Each is acknowledged (never retried) and its job fails with `bad_payload`,
never a crash (the calendar overflows once raised OverflowError from the
payload check).
"""

from __future__ import annotations

import json

import pytest
from cron_testdata import Context, jobs_rows, sqs_event

PAYLOADS = {
    "since-before-year-1-in-utc": {"since": "0001-01-01T00:00+23:59"},
    "until-after-year-9999-in-utc": {"since": "9999-12-30T00:00Z", "until": "9999-12-31T23:59-23:59"},
    "since-not-a-string": {"since": 5},
    "since-not-a-calendar-day": {"since": "2026-02-30T00:00Z"},
    "since-unicode-digits": {"since": "٢٠٢٦-03-10T00:00Z"},
    "until-without-since": {"until": "2026-03-10T00:00Z"},
    "unknown-field": {"from": "2026-03-10T00:00Z"},
    "range-over-93-days": {"since": "2025-01-01T00:00Z", "until": "2026-01-01T00:00Z"},
}


@pytest.fixture
def handler(data_worker):
    return data_worker


@pytest.mark.parametrize("case", list(PAYLOADS), ids=list(PAYLOADS))
def test_a_payload_off_the_data_contract_fails_its_job(handler, db_conn, case):
    # Given a queued data job and its message carrying a payload off the contract
    from common import job_store

    job, _ = job_store.create_job(db_conn, "data", {})
    db_conn.commit()
    body = json.dumps({"jobId": str(job.id), "task": "data", "payload": PAYLOADS[case]})
    # When the worker handles it / Then it is acknowledged and the job says what is wrong
    assert handler(sqs_event(body), Context()) == {"batchItemFailures": []}
    (row,) = jobs_rows(db_conn)
    assert (row["status"], row["error_reason"]) == ("failed", "bad_payload"), row
