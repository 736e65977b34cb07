"""``python -m tools.local [run]`` (what `make local` runs) and ``python -m tools.local token``."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Sequence

from tools.local import identity


def _audience(stage: str) -> str:
    from tools.local.synth import use_project_node

    use_project_node()
    from stacks.config import load_stage_config
    from stacks.synth import cdk_context

    config = cdk_context()["config"]
    return load_stage_config(config, stage, environ={}).router.jwt_audience[0]


def run() -> int:
    from tools.local.settings import Settings
    from tools.local.system import LocalSystem

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    for noisy in ("botocore", "urllib3", "pgserver"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    with LocalSystem(Settings.from_env()) as system:
        e = system.endpoints
        assert e is not None
        print(f"API      {e.api_url}", flush=True)
        print(
            f'token    {e.token_path}  (sub {identity.DEV_SUBJECT}; curl -H "Authorization: Bearer $(cat {e.token_path})")'
        )
        print(f"AWS      {e.aws_endpoint_url}  (S3/SQS; python -m tools.ops --local dlq list)")
        receiver = system.settings.webhook_url or "the stand-in (set LOCAL_WEBHOOK_URL for your own)"
        secret = system.settings.state_dir / "webhook-secret"
        print(f"webhooks {receiver}  (signing secret in {secret})")
        print(f"healthy  in {system.timings['healthy_s']:.1f} s; Ctrl-C stops everything", flush=True)
        stop.wait()
        print("stopping...", flush=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.local", description=__doc__)
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("run", help="run the whole app here until Ctrl-C (make local)")
    tok = commands.add_parser("token", help="print a token of the local issuer")
    tok.add_argument("--sub", required=True)
    tok.add_argument("--scope", default=None)
    tok.add_argument("--stage", default="dev")
    tok.add_argument("--ttl", type=int, default=identity.TOKEN_TTL_S, help="seconds (default: a day)")
    args = parser.parse_args(argv)
    if args.command == "token":
        print(identity.token(args.sub, _audience(args.stage), scope=args.scope, ttl_s=args.ttl))
        return 0
    return run()


if __name__ == "__main__":
    sys.exit(main())
