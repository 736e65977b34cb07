"""The TypeScript client's checks that need no running system: generated types, tsc, its unit tests."""

from __future__ import annotations

from tests.clients.node_package import TSC, output, run_node


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
