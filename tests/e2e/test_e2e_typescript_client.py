"""The TypeScript client (clients/typescript) driving the local system: its e2e tests run in Node's test runner.

This module starts a local system of its own, because its webhook receiver must exist
before the system does (LOCAL_WEBHOOK_URL): the receiver is the client's own route handler
(`webhookHandler`) served by Node (clients/typescript/test/e2e/receiver.ts), on a port it
picks itself. The Node tests get the API's URL, the dev user's token, a real clip, the
receiver and the signing secret's file through the environment, and report with their
own runner's output.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.clients.node_package import CLIENT_DIR, NODE, output, run_node
from tests.lambdas.video.video_clips import make_clip
from tools.local.settings import Settings
from tools.local.system import LocalSystem


@pytest.fixture(scope="module")
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ts-local-state")


@pytest.fixture(scope="module")
def receiver(state_dir: Path) -> Iterator[str]:
    """The receiver's URL; it reads the secret the local system writes to its state dir."""
    log = state_dir / "receiver.log"  # its handler logs each 500 it answers; a pipe nobody reads could fill
    with log.open("w") as stderr:
        proc = subprocess.Popen(
            [str(NODE), "test/e2e/receiver.ts", str(state_dir / "webhook-secret")],
            cwd=CLIENT_DIR,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        assert line.startswith("listening "), f"receiver did not start: {line!r} {log.read_text()}"
        yield line.split()[1]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def ts_system(pg_server: str, redis_url: str, state_dir: Path, receiver: str) -> Iterator[LocalSystem]:
    settings = Settings(
        port=0,
        state_dir=state_dir,
        pg_admin_dsn=pg_server,
        redis_url=_another_db(redis_url),
        time_scale=0.001,
        webhook_url=receiver,
    )
    with LocalSystem(settings) as system:
        yield system


@pytest.fixture(scope="module")
def clip_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ts-clips") / "clip.mp4"
    make_clip(path, duration_s=3.0, cuts_s=(1.5,))
    return path


def test_the_typescript_client_drives_the_local_system(ts_system: LocalSystem, receiver: str, clip_path: Path) -> None:
    # Given the running local system, its webhooks pointed at the receiver, the dev user's token and a clip
    endpoints = ts_system.endpoints
    assert endpoints is not None
    env = {
        "HUNTAZE_API_URL": endpoints.api_url,
        "HUNTAZE_TOKEN": Path(endpoints.token_path).read_text().strip(),
        "HUNTAZE_CLIP": str(clip_path),
        "HUNTAZE_RECEIVER_URL": receiver,
        "HUNTAZE_WEBHOOK_SECRET_FILE": str(ts_system.settings.state_dir / "webhook-secret"),
    }

    # When the client's e2e tests run against it (uploads, jobs, AI routing, typed errors, webhooks: verified,
    # tampered, and answered 500 then redelivered with the same webhook-id)
    result = run_node("--test", "--test-concurrency=1", "test/e2e/*.test.ts", env=env)

    # Then every one passed, the webhook scenarios among them
    print(result.stdout[-3000:])  # Node's own report, shown with -s / -rP
    assert result.returncode == 0, output(result)
    assert "# fail 0" in result.stdout and "# skipped 0" in result.stdout, output(result)
    for suite in ("the client against the local system", "completion webhooks through the client"):
        assert re.search(rf"^ok \d+ - {suite}$", result.stdout, re.MULTILINE), output(result)


def _another_db(redis_url: str) -> str:
    """A Redis DB index apart from the session system's (this worker's), so the two share no keys."""
    parts = urlsplit(redis_url)
    index = int(parts.path.lstrip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{(index + 7) % 15 + 1}"))
