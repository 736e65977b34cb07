"""The TypeScript client's checks that need no running system: generated types, tsc, its unit tests."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from tests.clients.node_package import CLIENT_DIR, TSC, output, run_node


def test_the_generated_types_equal_a_fresh_generation_of_the_openapi_document() -> None:
    # Given docs/api/openapi.json as committed
    # When the client's types are generated from it again
    result = run_node("scripts/openapi-types.ts", "check")
    # Then they equal the committed src/generated/openapi.ts
    assert result.returncode == 0, output(result)


def test_the_client_typechecks() -> None:
    # Given the client, its scripts and its tests
    # When tsc checks them (strict, no emit)
    result = run_node(str(TSC), "--noEmit", "-p", "tsconfig.json")
    # Then there is no type error
    assert result.returncode == 0, output(result)


def test_the_client_unit_tests_pass() -> None:
    # Given the unit tests (scripted HTTP peers on loopback: retries, typed errors, uploads, webhook signatures)
    # When Node's test runner runs them
    result = run_node("--test", "test/unit/*.test.ts")
    # Then all pass, and some ran
    assert result.returncode == 0, output(result)
    assert "# fail 0" in result.stdout and "# pass 0" not in result.stdout, output(result)


def test_the_built_package_loads_as_plain_javascript_from_its_exports() -> None:
    # Given the package built as it is shipped (npm pack builds dist/ with tsconfig.build.json),
    # into a folder under the client's node_modules so its dependencies resolve
    out = Path(tempfile.mkdtemp(prefix=".build-check-", dir=CLIENT_DIR / "node_modules"))
    try:
        built = run_node(str(TSC), "-p", "tsconfig.build.json", "--outDir", str(out))
        assert built.returncode == 0, output(built)

        # When each entry point package.json exports is imported by Node without type stripping
        exports = json.loads((CLIENT_DIR / "package.json").read_text())["exports"]
        targets = {name: out / Path(entry["default"]).relative_to("dist") for name, entry in exports.items()}
        typings = [out / Path(entry["types"]).relative_to("dist") for entry in exports.values()]
        script = "".join(
            f"console.log(Object.keys(await import({json.dumps(t.as_uri())})).sort().join(','));"
            for t in targets.values()
        )
        loaded = run_node("--no-experimental-strip-types", "--input-type=module", "-e", script)

        # Then every entry loads, with the client, its errors and the webhook helper, and has its typings
        assert loaded.returncode == 0, output(loaded)
        main, webhooks = loaded.stdout.split()
        assert {"createHuntazeClient", "HuntazeClient", "NotFoundError", "webhookHandler"} <= set(main.split(","))
        assert {"verifyWebhook", "webhookHandler", "WebhookVerificationError"} <= set(webhooks.split(","))
        assert all(t.exists() for t in typings), typings
    finally:
        shutil.rmtree(out)
