"""The local system (tools/local), started once per test session, and clients for it.

Everything is reached over HTTP: the API front, S3 presigned PUTs and SQS on
moto's server, and the ops CLI (`python -m tools.ops --local`). Failed
messages come back after visibility timeout x LOCAL time scale (0.001), and
the schedules fire at start and then every period x 0.01 (alerts every 3 s),
so the scenarios take seconds.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.api_client import Api
from tools.local import identity
from tools.local.settings import Settings
from tools.local.system import LocalSystem


@pytest.fixture(scope="session")
def webhook_receiver() -> Iterator[object]:
    """The completion webhooks' receiver (LOCAL_WEBHOOK_URL of the local system): acknowledges every POST."""
    from pytest_httpserver import HTTPServer

    server = HTTPServer(host="127.0.0.1", port=0)
    server.expect_request("/hooks", method="POST").respond_with_data("", status=204)
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.fixture(scope="session")
def local_system(
    pg_server: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory, webhook_receiver
) -> Iterator[LocalSystem]:
    settings = Settings(
        port=0,
        state_dir=tmp_path_factory.mktemp("local-state"),
        pg_admin_dsn=pg_server,
        redis_url=redis_url,
        time_scale=0.001,
        schedule_scale=0.01,
        webhook_url=webhook_receiver.url_for("/hooks"),
    )
    with LocalSystem(settings) as system:
        yield system


@pytest.fixture(scope="session")
def audience(local_system: LocalSystem) -> str:
    assert local_system.deployment is not None
    return local_system.deployment.api.audience[0]


@pytest.fixture(scope="session")
def api(local_system: LocalSystem) -> Api:
    """The API as the dev user, with the token `make local` writes."""
    assert local_system.endpoints is not None
    token = Path(local_system.endpoints.token_path).read_text().strip()
    return Api(local_system.endpoints.api_url, token)


@pytest.fixture(scope="session")
def token_for(local_system: LocalSystem, audience: str):
    def make(sub: str, **kwargs) -> str:
        return identity.token(sub, audience, state_dir=local_system.settings.state_dir, **kwargs)

    return make


@pytest.fixture(scope="session")
def ops(local_system: LocalSystem):
    """Run the ops CLI against the local system; its JSON answer."""
    from tools.ops.cli import main

    def run(*argv: str) -> object:
        out = io.StringIO()
        saved = dict(os.environ)  # --local points boto3 at the local endpoint; no other test may see that
        os.environ["LOCAL_STATE_DIR"] = str(local_system.settings.state_dir)
        try:
            code = main(["--local", *argv], out=out)
        finally:
            os.environ.clear()
            os.environ.update(saved)
        assert code == 0, f"ops {' '.join(argv)} exited {code}"
        return json.loads(out.getvalue())

    return run
