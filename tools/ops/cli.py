"""``python -m tools.ops --stage dev <command>``: DLQs and jobs of one stage.

    dlq list                      every DLQ of the stage with its message count
    dlq peek TASK [--limit N]     DLQ messages, left in place
    dlq redrive TASK [--copy]     move the DLQ back to its source queue
    job history JOB_ID            the job and its transitions
    job rerun JOB_ID [--force]    reset a failed job and send its envelope again
    alerts state                  every alert rule with its state and since-when
    alerts silence RULE|--all --hours H --reason TEXT
                                  mute one rule (or every rule: a maintenance window) until it expires
    alerts silences               the silences not yet over
    alerts unsilence ID           end a silence now
    audit [--older-than-minutes M]
                                  jobs not terminal and untouched for M minutes (lost), jobs with
                                  more than one result (duplicated), and every DLQ's messages; ends
                                  with `lost: N, duplicated: N` and exits 1 when either is not 0

AWS access goes through the usual boto3 credential chain (AWS_PROFILE, ...).
Job, alerts and audit commands invoke the stage's ops function (huntaze-<stage>-ops, or
--function NAME), which runs in the VPC next to RDS: you need
lambda:InvokeFunction on it. --database-url URL runs them here against that
PostgreSQL instead (local debugging; a rerun then sends with your credentials).
--local runs every command against the system `make local` runs (its
endpoints.json in .local/, or in LOCAL_STATE_DIR).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from common.errors import WorkerError
from ops.audit import DEFAULT_OLDER_THAN_S
from tools.ops.queues import OpsError, Queues


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tools.ops",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    parser.add_argument("--stage", default="dev")
    parser.add_argument("--region", default=None, help="AWS region (default: the boto3 chain)")
    parser.add_argument(
        "--local", action="store_true", help="the system `make local` runs (LOCAL_STATE_DIR: its state)"
    )
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

    target = argparse.ArgumentParser(add_help=False)
    where = target.add_mutually_exclusive_group()
    where.add_argument("--function", default=None, help="the ops function (default: huntaze-<stage>-ops)")
    where.add_argument(
        "--database-url", default=None, help="run here against this PostgreSQL instead of the ops function"
    )
    job = groups.add_parser("job").add_subparsers(dest="command", required=True)
    hist = job.add_parser("history", parents=[target])
    hist.add_argument("job_id")
    again = job.add_parser("rerun", parents=[target])
    again.add_argument("job_id")
    again.add_argument("--force", action="store_true", help="also re-send a job recorded as running")

    alerts = groups.add_parser("alerts").add_subparsers(dest="command", required=True)
    alerts.add_parser("state", parents=[target])
    mute = alerts.add_parser("silence", parents=[target])
    which = mute.add_mutually_exclusive_group(required=True)
    which.add_argument("rule", nargs="?", default=None)
    which.add_argument("--all", action="store_true", help="every rule: a maintenance window")
    mute.add_argument("--hours", type=float, required=True)
    mute.add_argument("--reason", required=True)
    alerts.add_parser("silences", parents=[target])
    end = alerts.add_parser("unsilence", parents=[target])
    end.add_argument("silence_id", type=int)

    check = groups.add_parser("audit", parents=[target])
    check.add_argument("--older-than-minutes", type=float, default=DEFAULT_OLDER_THAN_S / 60)
    check.add_argument("--peek", type=int, default=10, help="messages shown per non-empty DLQ")
    return parser


def main(
    argv: Sequence[str] | None = None, *, out: TextIO = sys.stdout, sqs: Any = None, lambda_client: Any = None
) -> int:
    args = build_parser().parse_args(argv)
    if args.local:
        _use_local(args)
    try:
        result = _run(args, sqs=sqs, lambda_client=lambda_client)
    except OpsError as err:
        print(f"error ({err.code}): {err.message}", file=sys.stderr)
        return 2
    except WorkerError as err:  # --database-url: the database did not answer
        print(f"error ({err.reason}): {err.message}", file=sys.stderr)
        return 2
    json.dump(result, out, indent=2, default=str)
    out.write("\n")
    if args.group == "audit":
        lost, duplicated = len(result["lost"]), len(result["duplicated"])
        out.write(f"lost: {lost}, duplicated: {duplicated}\n")
        return 1 if lost or duplicated else 0
    return 0


def _run(args: argparse.Namespace, *, sqs: Any, lambda_client: Any) -> Any:
    if args.group == "audit":
        return _audit(args, sqs=sqs, lambda_client=lambda_client)
    if args.group in ("job", "alerts"):
        return _job(args, sqs=sqs, lambda_client=lambda_client)
    if args.command == "peek" and args.limit < 1:
        raise OpsError("--limit must be at least 1")
    queues = Queues(sqs or _client("sqs", args.region), args.stage)
    if args.command == "list":
        return [vars(q) for q in queues.list_dlqs()]
    if args.command == "peek":
        return queues.peek(args.task, args.limit)
    return vars(queues.redrive(args.task, copy=args.copy, max_per_second=args.max_per_second))


def _job(args: argparse.Namespace, *, sqs: Any, lambda_client: Any) -> Any:
    from ops.actions import parse_request

    # Checked here too, so a typo costs no invocation.
    request = parse_request(_payload(args))
    if args.database_url is None:
        from tools.ops import remote

        name = args.function or remote.function_name(args.stage)
        return remote.invoke(lambda_client or _client("lambda", args.region), name, request.to_payload())

    from common import db
    from common.settings import DatabaseSettings
    from ops.actions import perform

    def send(task: str, body: dict[str, Any]) -> str:
        return Queues(sqs or _client("sqs", args.region), args.stage).send(task, body)

    from stacks import function_settings
    from stacks.config import load_stage_config
    from stacks.synth import cdk_context

    # The stage's session limits, as its ops function gets them.
    cfg = load_stage_config(cdk_context()["config"], args.stage, environ={})
    env = {"DATABASE_URL": args.database_url, "POWERTOOLS_SERVICE_NAME": "ops-cli", **function_settings.database(cfg)}
    with db.connect(DatabaseSettings.from_env(env), autocommit=True) as conn:
        return perform(request, conn, send)


def _audit(args: argparse.Namespace, *, sqs: Any, lambda_client: Any) -> dict[str, Any]:
    """The database's verdict (through the ops function or --database-url) plus every DLQ's contents."""
    if args.older_than_minutes < 0 or args.peek < 0:
        raise OpsError("--older-than-minutes and --peek must be 0 or more")
    report = _job(args, sqs=sqs, lambda_client=lambda_client)
    queues = Queues(sqs or _client("sqs", args.region), args.stage)
    dlqs = []
    for q in queues.list_dlqs():
        held = q.visible + q.in_flight
        peeked = queues.peek(q.task, args.peek) if held and args.peek else []
        dlqs.append({**vars(q), "peeked": peeked})
    return {**report, "dlqs": dlqs}


def _payload(args: argparse.Namespace) -> dict[str, Any]:
    if args.group == "audit":
        return {"action": "audit", "olderThanSeconds": args.older_than_minutes * 60}
    if args.group == "job":
        return {"action": args.command, "jobId": args.job_id, "force": getattr(args, "force", False)}
    if args.command == "silence":
        import getpass

        return {
            "action": "silence",
            "rule": args.rule,
            "hours": args.hours,
            "reason": args.reason,
            "by": getpass.getuser(),
        }
    if args.command == "unsilence":
        return {"action": "unsilence", "silenceId": args.silence_id}
    return {"action": "alert-states" if args.command == "state" else args.command}


def _use_local(args: argparse.Namespace) -> None:
    """Point boto3 and the job and alerts commands at the local system's endpoints."""
    import os

    from tools.local.settings import load_endpoints

    local = load_endpoints()
    os.environ.update(local.aws_env)
    args.stage = local.stage
    if args.group == "dlq" and args.command == "redrive":
        args.copy = True  # the local SQS (moto) has no message move task
    if args.group in ("job", "alerts", "audit") and args.function is None:
        args.database_url = args.database_url or local.database_url


def _client(service: str, region: str | None) -> Any:
    import boto3

    return boto3.client(service, region_name=region)
