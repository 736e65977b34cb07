"""The OpenAPI document is as strict as the code (issue 12, item 8), and every stage's config stays within it."""

from __future__ import annotations

import pytest

from router import contract, openapi

DOC = openapi.build()
SCHEMAS = DOC["components"]["schemas"]


def _walk(node, path=""):
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from _walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{path}/{i}")


def test_every_pattern_is_anchored():
    patterns = [(p, n["pattern"]) for p, n in _walk(DOC) if isinstance(n.get("pattern"), str)]
    assert patterns
    assert [(p, pat) for p, pat in patterns if not (pat.startswith("^") and pat.endswith("$"))] == []


def test_every_request_string_has_a_max_length_and_every_array_a_max_items():
    for name in (
        "TextAiRouteRequest",
        "VisionAiRouteRequest",
        "UploadRequest",
        "VideoPayload",
        "TrendsPayload",
        "DataPayload",
        "AlertsPayload",
    ):
        for path, node in _walk(SCHEMAS[name]):
            if node.get("type") == "string" and "enum" not in node:
                assert "maxLength" in node, (name, path)
            if node.get("type") == "array":
                assert "maxItems" in node, (name, path)


def test_job_request_is_a_oneof_on_task_over_the_four_payloads():
    job = SCHEMAS["JobRequest"]
    assert job["discriminator"]["propertyName"] == "task"
    for task, ref in job["discriminator"]["mapping"].items():
        variant = SCHEMAS[ref.rsplit("/", 1)[1]]
        assert variant["properties"]["task"]["enum"] == [task]
        payload = variant["properties"]["payload"]
        payload_ref = payload.get("$ref") or payload["allOf"][0]["$ref"]
        assert payload_ref == f"#/components/schemas/{task.capitalize()}Payload"
    assert [o["$ref"] for o in job["oneOf"]] == list(job["discriminator"]["mapping"].values())


def test_type_and_content_type_are_enums():
    ai = [SCHEMAS[ref["$ref"].rsplit("/", 1)[1]] for ref in SCHEMAS["AiRouteRequest"]["oneOf"]]
    assert sorted(t for variant in ai for t in variant["properties"]["type"]["enum"]) == sorted(contract.AI_TYPES)
    images = [v["properties"]["images"] for v in ai if "images" in v["properties"]]
    assert [i["maxItems"] for i in images] == [contract.MAX_IMAGES]
    assert SCHEMAS["UploadRequest"]["properties"]["contentType"]["enum"] == list(contract.UPLOAD_CONTENT_TYPES)


def test_every_401_is_api_gateways_body():
    for path, ops in DOC["paths"].items():
        for method, op in ops.items():
            if op.get("security") == []:
                continue
            schema = op["responses"]["401"]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/Unauthorized"}, (method, path)
    assert SCHEMAS["Unauthorized"]["example"] == {"message": "Unauthorized"}


def test_create_job_and_create_upload_link_to_get_job():
    for path, status in (("/v1/jobs", "202"), ("/v1/uploads", "201")):
        links = DOC["paths"][path]["post"]["responses"][status]["links"]
        assert links == {"GetJob": {"operationId": "getJob", "parameters": {"jobId": "$response.body#/jobId"}}}


def test_every_request_body_has_an_example_the_code_accepts():
    # The examples are made of the fields' examples; the code must take them as they are.
    from datetime import UTC, datetime

    from common import payloads

    for spec in contract.ROUTES:
        if spec.request is None:
            continue
        example = SCHEMAS[spec.request.name]["example"]
        body = spec.request.validate(example)
        if spec is contract.CREATE_JOB:
            payloads.validate(body["task"], body.get("payload") or {}, now=datetime.now(UTC))
    for task, shape in payloads.TASK_PAYLOADS.items():
        payloads.validate(task, SCHEMAS[shape.name]["example"], now=datetime(2026, 3, 2, tzinfo=UTC))


def test_413_and_415_say_every_error_code_they_carry():
    for spec, status, codes in (
        (contract.AI_ROUTE, 413, ("body_too_large", "prompt_too_long", "too_many_images")),
        (contract.CREATE_UPLOAD, 413, ("body_too_large", "upload_too_large")),
        (contract.CREATE_UPLOAD, 415, ("unsupported_media_type", "unsupported_content_type")),
        (contract.CREATE_JOB, 415, ("unsupported_media_type",)),
    ):
        text = spec.errors[status]
        assert all(f"`{code}`" in text for code in codes), (spec.operation_id, status)


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_every_stage_config_is_within_the_documented_limits(stage):
    from stacks.config import load_stage_config
    from tests.infra.conftest import CDK_CONTEXT

    cfg = load_stage_config(CDK_CONTEXT["config"], stage, environ={})
    assert set(cfg.azure.models) | set(cfg.azure.default_types) <= set(contract.AI_TYPES)
    # The types the multimodal default model answers are the ones documented to take images.
    multimodal = {
        t
        for t in contract.AI_TYPES
        if cfg.azure.models.get(t, cfg.azure.models["default"]) == cfg.azure.models["default"]
    }
    assert multimodal == set(contract.IMAGE_TYPES)
    assert set(cfg.router.upload_content_types) <= set(contract.UPLOAD_CONTENT_TYPES)
    assert cfg.router.max_images <= contract.MAX_IMAGES
    assert cfg.router.max_body_bytes <= contract.MAX_BODY_BYTES
    assert cfg.router.max_idempotency_key_chars <= contract.MAX_IDEMPOTENCY_KEY_CHARS
    assert cfg.video.max_bytes <= contract.MAX_UPLOAD_BYTES
