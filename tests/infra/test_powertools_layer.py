"""The deployed Powertools layer holds the release the tests run on (requirements-dev.txt's pin).

Which release a layer version holds is evidence, not a guess: layer 25 of
AWSLambdaPowertoolsPythonV3-python313-arm64 holds 3.22.0, as
aws-powertools/powertools-lambda-python commit 0219b401d6a97e222cb26ade10456f8626a716d3
shows (docs/includes/_layer_homepage_arm64.md lists :25 in every region while
aws_lambda_powertools/shared/version.py in the same tree is 3.22.0; the release's
"docs(layer): update layer version number" change sets both, as
https://github.com/aws-powertools/powertools-lambda-python/pull/5869 did for
v3.4.1 -> layer 6 on 2025-01-14). The layer 27 configured before holds some release
after 3.22.0; nothing read offline ties it (or any layer) to the 3.37.0 the tests ran on
(see stacks/config/functions.py).
"""

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
