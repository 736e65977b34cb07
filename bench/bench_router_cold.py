"""The router's real cold path: the first ``POST /v1/jobs`` of a fresh process, vs FastAPI + Mangum.

Real services, over the network stack: a PostgreSQL of its own with TLS on
(a throwaway cluster, self-signed certificate, ``sslmode=require``) and
moto's server over HTTP for SQS. Each run is a fresh Python process that
imports the handler and serves one ``POST /v1/jobs`` (a ``trends`` job, by
an operator): validate, connect to the database with TLS, insert the job,
send its envelope to SQS. The child times each phase by wrapping the
libraries both implementations share (psycopg's connect and execute,
botocore's client creation and API calls): import, database connect (TLS),
SQL (insert), AWS client set-up, SQS send, and the rest (framework,
validation, serialisation). Shared library imports (psycopg, boto3) are
timed once before and counted for both.

No secret is read on this path in AWS: the database password is an IAM
token signed locally (no AWS call), and the job route reads no parameter.

    .venv/bin/python bench/bench_router_cold.py [--runs 7]

Needs root (runs the cluster as the ``postgres`` user) and the system's
PostgreSQL binaries (/usr/lib/postgresql/*/bin).
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "bench"), str(ROOT / "lambdas"), str(ROOT)]

from bench_router import ENV, event  # noqa: E402

REGION = "us-east-2"
PHASES = ("libs_import", "import", "db_connect", "sql", "aws_client", "sqs_send", "other")

CHILD = r"""
import json, sys, time
from collections import defaultdict
sys.path[:0] = [{lambdas!r}, {bench!r}]
phases = defaultdict(float)
t = time.perf_counter()
import psycopg, boto3, botocore.client, botocore.session
phases["libs_import"] = time.perf_counter() - t

def timed(name, fn):
    def wrapper(*a, **k):
        t = time.perf_counter()
        try:
            return fn(*a, **k)
        finally:
            phases[name] += time.perf_counter() - t
    return wrapper

psycopg.connect = timed("db_connect", psycopg.connect)  # the bound Connection.connect the app calls
psycopg.Cursor.execute = timed("sql", psycopg.Cursor.execute)
botocore.session.Session.create_client = timed("aws_client", botocore.session.Session.create_client)
botocore.client.BaseClient._make_api_call = timed("sqs_send", botocore.client.BaseClient._make_api_call)

class Ctx:
    function_name = "router"; memory_limit_in_mb = 512; aws_request_id = "r"
    invoked_function_arn = "arn:aws:lambda:us-east-2:123456789012:function:router"
    def get_remaining_time_in_millis(self): return 29000

t0 = time.perf_counter()
if {impl!r} == "router":
    from router.handler import lambda_handler as handler
else:
    from fastapi_peer import handler
t1 = time.perf_counter()
result = handler({event!r}, Ctx())
t2 = time.perf_counter()
phases["import"] = t1 - t0
inner = sum(v for k, v in phases.items() if k not in ("libs_import", "import"))
phases["other"] = (t2 - t1) - inner
print(json.dumps({{"phases": phases, "status": result["statusCode"], "body": result.get("body", "")[:200]}}))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def tls_postgres() -> Iterator[str]:
    """A throwaway PostgreSQL cluster with ssl=on; its admin DSN (sslmode=require)."""
    bindir = Path(sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))[-1]).parent
    root = Path(tempfile.mkdtemp(prefix="bench-pg-tls-"))
    data, port = root / "data", free_port()
    shutil.chown(root, "postgres")

    def as_postgres(*cmd: str) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", *cmd], check=True, capture_output=True)

    try:
        as_postgres(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust")
        subprocess.run(
            ["openssl", "req", "-new", "-x509", "-days", "1", "-nodes", "-subj", "/CN=localhost"]
            + ["-out", str(data / "server.crt"), "-keyout", str(data / "server.key")],
            check=True,
            capture_output=True,
        )
        for f in ("server.crt", "server.key"):
            shutil.chown(data / f, "postgres")
        os.chmod(data / "server.key", 0o600)
        with (data / "postgresql.conf").open("a") as conf:
            conf.write(f"ssl = on\nport = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{root}'\n")
        as_postgres(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w", "start")
        yield f"host=127.0.0.1 port={port} user=postgres dbname=postgres sslmode=require"
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            as_postgres(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
            if time.monotonic() > deadline:
                raise RuntimeError("moto's server did not start")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait()


def child(impl: str, env: dict[str, str], ev: dict) -> dict:
    code = CHILD.format(lambdas=str(ROOT / "lambdas"), bench=str(ROOT / "bench"), impl=impl, event=ev)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if result["status"] != 202:
        raise SystemExit(f"{impl}: HTTP {result['status']} {result['body']}\n{out.stderr[-2000:]}")
    return result["phases"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7, help="fresh processes per implementation (median)")
    args = parser.parse_args()
    if os.geteuid() != 0 or not glob.glob("/usr/lib/postgresql/*/bin/initdb") or not shutil.which("openssl"):
        print("router cold: skipped: needs root, the system's PostgreSQL binaries and openssl for the TLS cluster")
        return
    import boto3
    import psycopg

    from common import migrate

    with tls_postgres() as dsn, moto_server() as aws:
        with psycopg.connect(dsn, autocommit=True) as conn:
            assert conn.info.pgconn.ssl_in_use, "the bench's database must speak TLS"
            migrate.apply_migrations(conn)
        sqs = boto3.client(
            "sqs", endpoint_url=aws, region_name=REGION, aws_access_key_id="bench", aws_secret_access_key="bench"
        )
        urls = {t: sqs.create_queue(QueueName=f"bench-{t}")["QueueUrl"] for t in ("video", "trends", "data", "alerts")}
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "REDIS_", "DB_"))},
            **ENV,
            "DATABASE_URL": f"postgresql://postgres@127.0.0.1:{conninfo_port(dsn)}/postgres?sslmode=require",
            "AWS_ENDPOINT_URL": aws,
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_REGION": REGION,
            "REDIS_URL": "redis://127.0.0.1:1/0",
            "OPERATOR_SCOPE": "huntaze/operator",
            "PYTHONDONTWRITEBYTECODE": "1",
            **{f"QUEUE_URL_{t.upper()}": u for t, u in urls.items()},
        }
        ev = event("POST", "/v1/jobs", {"task": "trends"})
        ev["requestContext"]["authorizer"]["jwt"]["claims"]["scope"] = "huntaze/operator"
        runs: dict[str, list[dict]] = {"router": [], "fastapi": []}
        for _ in range(args.runs):  # alternated: load from elsewhere lands on both
            for impl in runs:
                runs[impl].append(child(impl, env, ev))
    median = {impl: {p: statistics.median(r.get(p, 0.0) for r in rs) for p in PHASES} for impl, rs in runs.items()}
    print(f"first POST /v1/jobs of a fresh process, TLS PostgreSQL + moto over HTTP; median of {args.runs} (ms)")
    print(f"{'phase':<12} {'router':>8} {'fastapi':>8}")
    for p in PHASES:
        print(f"{p:<12} {median['router'][p] * 1000:8.1f} {median['fastapi'][p] * 1000:8.1f}")
    totals = {impl: sum(m.values()) for impl, m in median.items()}
    print(f"{'total':<12} {totals['router'] * 1000:8.1f} {totals['fastapi'] * 1000:8.1f}")
    own = {impl: m["import"] + m["other"] for impl, m in median.items()}
    print(
        f"framework's own part (import + other): router {own['router'] * 1000:.1f} ms, "
        f"fastapi {own['fastapi'] * 1000:.1f} ms ({own['router'] / own['fastapi']:.2f}x)"
    )
    print(f"router cold: {totals['router'] / totals['fastapi']:.2f}x FastAPI + Mangum (target <= 0.5)")


def conninfo_port(dsn: str) -> str:
    return dict(part.split("=", 1) for part in dsn.split())["port"]


if __name__ == "__main__":
    main()
