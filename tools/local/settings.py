"""How the local system is set up (``Settings``, from the environment) and where it answers (``Endpoints``)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from tools.local import identity

DEFAULT_PORT = 8000


@dataclass
class Settings:
    stage: str = "dev"
    port: int = DEFAULT_PORT
    state_dir: Path = identity.STATE_DIR
    # The configured servers; embedded ones start when these do not answer.
    pg_admin_dsn: str = "host=127.0.0.1 port=5432 user=postgres dbname=postgres connect_timeout=2"
    redis_url: str = "redis://127.0.0.1:6379/0"
    # A failed message comes back after visibility timeout x this (the deployed 30 min would stall a laptop).
    time_scale: float = 0.001
    schedule_scale: float = 1.0
    azure: tuple[str, str] | None = None  # (endpoint, key) of the real Azure AI
    slack_webhook: str | None = None
    # The completion webhooks' receiver (LOCAL_WEBHOOK_URL); None: the stand-in, which logs what it gets.
    webhook_url: str | None = None
    log_level: str = "WARNING"  # the functions' own (Powertools) log level
    extra_env: dict[str, str] = field(default_factory=dict)
    # Put tools/local/faults.py's proxies between the functions and every service (the fault tests).
    fault_proxies: bool = False

    @classmethod
    def from_env(cls, env: dict[str, str] | os._Environ[str] = os.environ) -> Settings:
        base = cls()
        azure = (
            (env["AZURE_AI_ENDPOINT"], env["AZURE_AI_KEY"])
            if env.get("AZURE_AI_ENDPOINT") and env.get("AZURE_AI_KEY")
            else None
        )
        return cls(
            stage=env.get("STAGE", base.stage),
            port=int(env.get("LOCAL_PORT", base.port)),
            pg_admin_dsn=env.get("LOCAL_PG_ADMIN_DSN", base.pg_admin_dsn),
            redis_url=env.get("LOCAL_REDIS_URL", base.redis_url),
            time_scale=float(env.get("LOCAL_TIME_SCALE", base.time_scale)),
            schedule_scale=float(env.get("LOCAL_SCHEDULE_SCALE", base.schedule_scale)),
            azure=azure,
            slack_webhook=env.get("SLACK_WEBHOOK_URL") or None,
            webhook_url=env.get("LOCAL_WEBHOOK_URL") or None,
            log_level=env.get("LOCAL_LOG_LEVEL", base.log_level),
        )


@dataclass(frozen=True)
class Endpoints:
    """Where the running system answers; written to ``<state_dir>/endpoints.json``."""

    api_url: str
    aws_endpoint_url: str
    region: str
    database_url: str
    redis_url: str
    token_path: str
    stage: str

    @property
    def aws_env(self) -> dict[str, str]:
        return {
            "AWS_ENDPOINT_URL": self.aws_endpoint_url,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
        }


def load_endpoints(state_dir: Path | None = None) -> Endpoints:
    """The running system's endpoints (``state_dir`` default: LOCAL_STATE_DIR, else .local/)."""
    state_dir = state_dir or Path(os.environ.get("LOCAL_STATE_DIR") or identity.STATE_DIR)
    path = state_dir / "endpoints.json"
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist: is `make local` running?")
    return Endpoints(**json.loads(path.read_text()))
