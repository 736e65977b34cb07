"""GET /v1/jobs (`router.jobs_contract`): parse the query, list the caller's jobs."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Response

from router import api
from router.jobs_contract import LIST_JOBS


@api._route(LIST_JOBS)
def list_jobs() -> Response:
    caller = api._caller()
    from common import db
    from router import job_listing

    query = job_listing.parse_query(api.app.current_event.raw_event.get("queryStringParameters"))
    return api.json_response(200, job_listing.list_jobs(query, caller=caller, connection=db.connection))
