"""The router's real cold path: the first ``POST /v1/jobs`` of a fresh process, vs FastAPI + Mangum.

Real services, over the network stack: a PostgreSQL of its own with TLS on
(a throwaway cluster whose self-signed certificate is the root the client
verifies, ``sslmode=verify-full`` as against RDS) and moto's server over
HTTP for SQS. Each run is a fresh Python process that imports the handler
and serves one ``POST /v1/jobs`` (a ``trends`` job, by an operator) with the
deployed function's environment (built from the stage config, as the stacks
build it): validate, sign the RDS IAM auth token that is the database
password (the cluster trusts any password, so the token is made and sent as
on AWS), connect as the router's role with TLS, insert the job, send its
envelope to SQS.

The peer is the usual design: FastAPI + Mangum, boto3's RDS client for the
token and boto3's SQS client for the send, the same logic modules for the
rest (bench/fastapi_peer.py). The router signs both requests with botocore's
signer and no boto3 client (common/aws_sigv4.py).

The child times each phase where it happens, by wrapping functions as their
modules load (nothing is imported ahead for either side), the outermost
wrapper counting: ``libs_import`` (psycopg, which both import, timed once
before and counted for both), ``import`` (the handler), ``credentials`` (the
IAM token, with whatever it imports and creates), ``db_connect`` (TLS
connect), ``sql``, ``aws_client`` (boto3 clients created outside the token),
``sqs_send`` (the HTTP call to moto, and what it sets up) and ``other`` (the
rest of the first request: framework, validation, serialisation).

    .venv/bin/python bench/bench_router_cold.py [--runs 7]

Both sides run as shipped: the router's and the peer's own modules (``common``,
``router``, ``fastapi_peer``) from a copy compiled the way the bundler compiles
the assets (``compile_bytecode``: a read-only code directory gets no
bytecode cache, so without it every cold start would compile them), the
libraries from the venv with the bytecode pip wrote.

Needs the system's PostgreSQL binaries (/usr/lib/postgresql/*/bin: pgserver's
are built without TLS) and openssl; as root, the cluster runs as ``postgres``.
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

from bench_router import event  # noqa: E402
from support import router_env  # noqa: E402

REGION = "us-east-2"
DB_NAME = "huntaze"
PHASES = ("libs_import", "import", "credentials", "db_connect", "sql", "aws_client", "sqs_send", "other")
# The function names the child wraps, by module: (attribute path, phase).
PATCHES = {
    "common.rds_auth": [("auth_token", "credentials")],
    "fastapi_peer": [("iam_token", "credentials")],
    "botocore.session": [("Session.create_client", "aws_client")],
    "botocore.client": [("BaseClient._make_api_call", "sqs_send")],
    "common.aws_sigv4": [("sqs_send_message", "sqs_send")],
}

CHILD = r"""
import functools, importlib.abc, json, sys, time
from collections import defaultdict
sys.path[:0] = [{lambdas!r}, {bench!r}]
phases = defaultdict(float)
t = time.perf_counter()
import psycopg
phases["libs_import"] = time.perf_counter() - t
busy = []

def timed(name, fn):
    @functools.wraps(fn)
    def wrapper(*a, **k):
        if busy:  # inside another timed call: that one counts it
            return fn(*a, **k)
        busy.append(name)
        t = time.perf_counter()
        try:
            return fn(*a, **k)
        finally:
            phases[name] += time.perf_counter() - t
            busy.pop()
    return wrapper

def patch(owner, path, name):
    *parents, attr = path.split(".")
    for p in parents:
        owner = getattr(owner, p)
    setattr(owner, attr, timed(name, getattr(owner, attr)))

class PatchOnImport(importlib.abc.MetaPathFinder):
    # Wraps a module's functions right after it loads, so nothing is imported ahead of the code under test.
    def find_spec(self, fullname, path, target=None):
        if fullname not in PATCHES:
            return None
        for finder in sys.meta_path:
            spec = None if finder is self else finder.find_spec(fullname, path, target)
            if spec is not None:
                break
        else:
            return None
        run = spec.loader.exec_module
        def exec_module(module):
            run(module)
            for attr, name in PATCHES[fullname]:
                patch(module, attr, name)
        spec.loader.exec_module = exec_module
        return spec

PATCHES = {patches!r}
sys.meta_path.insert(0, PatchOnImport())
psycopg.connect = timed("db_connect", psycopg.connect)  # the bound Connection.connect both call
psycopg.Cursor.execute = timed("sql", psycopg.Cursor.execute)

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
print(json.dumps({{"phases": phases, "status": result["statusCode"], "body": result.get("body", "")[:200],
                  "boto3": "boto3" in sys.modules}}))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def tls_postgres() -> Iterator[tuple[int, Path]]:
    """A throwaway PostgreSQL cluster with ssl=on and trust auth: (its port, the CA file that verifies it)."""
    bindir = Path(sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))[-1]).parent
    root = Path(tempfile.mkdtemp(prefix="bench-pg-tls-"))
    data, port = root / "data", free_port()
    # PostgreSQL refuses to run as root: root runs it as the postgres user, anyone else as themselves.
    owner = "postgres" if os.geteuid() == 0 else None
    if owner:
        shutil.chown(root, owner)

    def as_postgres(*cmd: str) -> None:
        subprocess.run([*(["runuser", "-u", owner, "--"] if owner else []), *cmd], check=True, capture_output=True)

    try:
        as_postgres(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust")
        subprocess.run(
            ["openssl", "req", "-new", "-x509", "-days", "1", "-nodes", "-subj", "/CN=localhost"]
            + ["-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"]
            + ["-out", str(data / "server.crt"), "-keyout", str(data / "server.key")],
            check=True,
            capture_output=True,
        )
        for f in ("server.crt", "server.key"):
            if owner:
                shutil.chown(data / f, owner)
        os.chmod(data / "server.key", 0o600)
        with (data / "postgresql.conf").open("a") as conf:
            conf.write(f"ssl = on\nport = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{root}'\n")
        as_postgres(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w", "start")
        ca = Path(tempfile.mkdtemp(prefix="bench-pg-ca-")) / "root.crt"
        shutil.copy(data / "server.crt", ca)
        yield port, ca
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


def shipped(tmp: Path) -> Path:
    """The router's packages and the peer's app module, with the bytecode the bundler gives an asset."""
    from stacks.constructs import bundling

    root = tmp / "shipped"
    bundling.add_sources("router", root, None)
    shutil.copy2(ROOT / "bench" / "fastapi_peer.py", root)
    bundling.compile_bytecode(sys.executable, root)
    return root


def child(impl: str, env: dict[str, str], ev: dict, code_dir: Path) -> dict:
    code = CHILD.format(lambdas=str(code_dir), bench=str(code_dir), impl=impl, event=ev, patches=PATCHES)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False)
    if out.returncode:
        raise SystemExit(f"{impl}: the child failed\n{out.stderr[-3000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if result["status"] != 202:
        raise SystemExit(f"{impl}: HTTP {result['status']} {result['body']}\n{out.stderr[-2000:]}")
    return result


def prepare_database(port: int, ca: Path) -> None:
    """The schema and the roles, as the migrate function leaves them; the router's role logs in with TLS."""
    import psycopg

    from migrate import runner

    admin = f"host=127.0.0.1 port={port} user=postgres sslmode=verify-full sslrootcert={ca}"
    with psycopg.connect(f"{admin} dbname=postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {DB_NAME}")
    with psycopg.connect(f"{admin} dbname={DB_NAME}", autocommit=True) as conn:
        assert conn.info.pgconn.ssl_in_use, "the bench's database must speak TLS"
        runner.apply_migrations(conn)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7, help="fresh processes per implementation (median)")
    args = parser.parse_args()
    if not glob.glob("/usr/lib/postgresql/*/bin/initdb") or not shutil.which("openssl"):
        # pgserver's PostgreSQL is built without OpenSSL: the TLS cluster needs the system's.
        raise SystemExit("router cold: needs the system's PostgreSQL binaries (with TLS) and openssl")
    import boto3

    from stacks.db_roles import DB_ROLES

    with tls_postgres() as (port, ca), moto_server() as aws, tempfile.TemporaryDirectory() as tmp:
        prepare_database(port, ca)
        code_dir = shipped(Path(tmp))
        sqs = boto3.client(
            "sqs", endpoint_url=aws, region_name=REGION, aws_access_key_id="bench", aws_secret_access_key="bench"
        )
        urls = {t: sqs.create_queue(QueueName=f"bench-{t}")["QueueUrl"] for t in ("video", "trends", "data", "alerts")}
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "REDIS_", "DB_", "DATABASE_"))},
            **router_env(),
            # What the Data stack gives the function: its own role over IAM auth (stacks/data.py).
            "DB_HOST": "127.0.0.1",
            "DB_PORT": str(port),
            "DB_NAME": DB_NAME,
            "DB_USER": DB_ROLES["router"],
            "DB_SSL_ROOT_CERT": str(ca),
            # What Lambda gives every function: a role's temporary credentials and the region.
            "AWS_ACCESS_KEY_ID": "ASIABENCHBENCHBENCH0",
            "AWS_SECRET_ACCESS_KEY": "bench-secret",
            "AWS_SESSION_TOKEN": "bench-session-token",
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ENDPOINT_URL": aws,
            "PYTHONDONTWRITEBYTECODE": "1",
            **{f"QUEUE_URL_{t.upper()}": u for t, u in urls.items()},
        }
        ev = event("POST", "/v1/jobs", {"task": "trends"})
        ev["requestContext"]["authorizer"]["jwt"]["claims"]["scope"] = env["OPERATOR_SCOPE"]
        runs: dict[str, list[dict]] = {"router": [], "fastapi": []}
        loads = [os.getloadavg()[0]]
        for _ in range(args.runs):  # alternated: load from elsewhere lands on both
            for impl, results in runs.items():
                results.append(child(impl, env, ev, code_dir))
            loads.append(os.getloadavg()[0])
        attributes = sqs.get_queue_attributes(QueueUrl=urls["trends"], AttributeNames=["ApproximateNumberOfMessages"])
        queued = int(attributes["Attributes"]["ApproximateNumberOfMessages"])
        assert queued == 2 * args.runs, f"{queued} messages queued for {2 * args.runs} jobs"
    phases = {impl: [r["phases"] for r in rs] for impl, rs in runs.items()}
    median = {impl: {p: statistics.median(r.get(p, 0.0) for r in rs) for p in PHASES} for impl, rs in phases.items()}
    print(
        f"first POST /v1/jobs of a fresh process, TLS PostgreSQL (IAM token as the password) + moto over HTTP; "
        f"median of {args.runs} (ms); load average {min(loads):.1f}-{max(loads):.1f}"
    )
    print(f"{'phase':<12} {'router':>8} {'fastapi':>8}")
    for p in PHASES:
        print(f"{p:<12} {median['router'][p] * 1000:8.1f} {median['fastapi'][p] * 1000:8.1f}")
    # The median run's total, not the sum of the phases' medians.
    totals = {impl: statistics.median(sum(r.values()) for r in rs) for impl, rs in phases.items()}
    print(f"{'total':<12} {totals['router'] * 1000:8.1f} {totals['fastapi'] * 1000:8.1f}")
    print(
        f"boto3 imported: router {any(r['boto3'] for r in runs['router'])}, fastapi {any(r['boto3'] for r in runs['fastapi'])}"
    )
    print(f"router cold: {totals['router'] / totals['fastapi']:.2f}x FastAPI + Mangum (target <= 0.5)")


if __name__ == "__main__":
    main()
