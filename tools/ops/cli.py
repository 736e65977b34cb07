"""``python -m tools.ops --stage dev <command>``: DLQs and jobs of one stage.

    dlq list                      every DLQ of the stage with its message count
    dlq peek TASK [--limit N]     DLQ messages, left in place
    dlq redrive TASK [--copy]     move the DLQ back to its source queue
    job history JOB_ID            the job and its transitions
    job rerun JOB_ID [--force]    reset a failed job and send its envelope again

AWS access goes through the usual boto3 credential chain (AWS_PROFILE, ...).
Job commands read PostgreSQL from DATABASE_URL, or DB_SECRET_ARN (the RDS
secret) like the workers do.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from tools.ops.queues import OpsError, Queues


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tools.ops", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--stage", default="dev")
    parser.add_argument("--region", default=None, help="AWS region (default: the boto3 chain)")
    groups = parser.add_subparsers(dest="group", required=True)

    dlq = groups.add_parser("dlq").add_subparsers(dest="command", required=True)
    dlq.add_parser("list")
    peek = dlq.add_parser("peek")
    peek.add_argument("task")
    peek.add_argument("--limit", type=int, default=10)
    redrive = dlq.add_parser("redrive")
    redrive.add_argument("task")
    redrive.add_argument("--copy", action="store_true", help="receive/send/delete here instead of SQS's move task")
    redrive.add_argument("--max-per-second", type=int, default=None)

    job = groups.add_parser("job").add_subparsers(dest="command", required=True)
    hist = job.add_parser("history")
    hist.add_argument("job_id")
    again = job.add_parser("rerun")
    again.add_argument("job_id")
    again.add_argument("--force", action="store_true", help="also re-send a job recorded as running")
    return parser


def main(argv: Sequence[str] | None = None, *, out: TextIO = sys.stdout, sqs: Any = None, conn: Any = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        result = _run(args, sqs=sqs, conn=conn)
    except OpsError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    json.dump(result, out, indent=2, default=str)
    out.write("\n")
    return 0


def _run(args: argparse.Namespace, *, sqs: Any, conn: Any) -> Any:
    if sqs is None and (args.group == "dlq" or args.command == "rerun"):
        import boto3

        sqs = boto3.client("sqs", region_name=args.region)
    queues = Queues(sqs, args.stage) if sqs is not None else None
    if args.group == "dlq":
        assert queues is not None
        if args.command == "list":
            return [vars(q) for q in queues.list_dlqs()]
        if args.command == "peek":
            if args.limit < 1:
                raise OpsError("--limit must be at least 1")
            return queues.peek(args.task, args.limit)
        return vars(queues.redrive(args.task, copy=args.copy, max_per_second=args.max_per_second))

    from tools.ops import jobs as job_ops

    job_id = job_ops.parse_job_id(args.job_id)
    own = conn is None
    if own:
        from common import db

        conn = db.connect(autocommit=True)
    try:
        if args.command == "history":
            return job_ops.history(conn, job_id)
        assert queues is not None
        return vars(job_ops.rerun(conn, queues, job_id, force=args.force))
    finally:
        if own:
            conn.close()
