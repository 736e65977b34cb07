"""The TypeScript client (clients/typescript) driving the local system: its e2e tests run in Node's test runner.

The local system is this session's (conftest.py); the Node tests get its URL, the dev user's
token and a real clip through the environment, and report with their own runner's output.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.clients.node_package import output, run_node
from tests.e2e.api_client import Api
from tests.lambdas.video.video_clips import make_clip


@pytest.fixture(scope="module")
def clip_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ts-clips") / "clip.mp4"
    make_clip(path, duration_s=3.0, cuts_s=(1.5,))
    return path


def test_the_typescript_client_drives_the_local_system(api: Api, clip_path: Path) -> None:
    # Given the running local system, the dev user's token and a clip
    env = {"HUNTAZE_API_URL": api.base_url, "HUNTAZE_TOKEN": api.token or "", "HUNTAZE_CLIP": str(clip_path)}

    # When the client's e2e tests run against it
    result = run_node("--test", "--test-concurrency=1", "test/e2e/*.test.ts", env=env)

    # Then every one passed, and some ran
    assert result.returncode == 0, output(result)
    assert "# fail 0" in result.stdout and "# pass 0" not in result.stdout, output(result)
