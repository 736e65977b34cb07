"""The deployed Powertools layer holds the release the tests run on (requirements-dev.txt's pin)."""

from __future__ import annotations

import re
from pathlib import Path

from stacks.config import POWERTOOLS_LAYER_RELEASES

ROOT = Path(__file__).resolve().parents[2]


def _pinned_powertools() -> str:
    text = (ROOT / "requirements-dev.txt").read_text()
    pin = re.search(r"^aws-lambda-powertools(?:\[[^\]]*\])?==([\w.]+)", text, re.MULTILINE)
    assert pin, "requirements-dev.txt must pin aws-lambda-powertools=="
    return pin.group(1)


def test_configured_layer_holds_the_pinned_powertools(cfg):
    # Given the layer version in config and the release the tests install
    # Then the layer table says that layer holds that very release
    assert POWERTOOLS_LAYER_RELEASES[cfg.lambdas.powertools_layer_version] == _pinned_powertools(), (
        "bump lambdas.powertools_layer_version and POWERTOOLS_LAYER_RELEASES together with the pin"
    )


def test_every_synthesized_function_uses_the_configured_layer_version(templates, cfg):
    layers = {
        str(layer)
        for t in templates.values()
        for r in t.find_resources("AWS::Lambda::Function").values()
        for layer in r["Properties"].get("Layers", [])
        if "AWSLambdaPowertoolsPythonV3" in str(layer)
    }
    assert layers, "no function uses the Powertools layer: the check would pass vacuously"
    for layer in layers:
        assert re.search(rf"-arm64:{cfg.lambdas.powertools_layer_version}\b", layer), layer


def test_a_layer_version_without_a_known_release_is_a_config_error():
    import json

    import pytest

    from stacks.config import ConfigError, load_stage_config

    # bad input tried: a layer version nobody mapped to a Powertools release
    config = json.loads((ROOT / "cdk.json").read_text())["context"]["config"]
    config["defaults"]["lambdas"]["powertools_layer_version"] = max(POWERTOOLS_LAYER_RELEASES) + 1
    with pytest.raises(ConfigError, match="POWERTOOLS_LAYER_RELEASES"):
        load_stage_config(config, "dev", environ={})
