"""The fake OpenAI's ``POST /moderations`` answers like OpenAI's (checked against the OpenAPI
spec where ../shared/reference is present): a result per string, one for a multimodal input,
errors for what OpenAI refuses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
import yaml

from tests.fakes.openai import FakeOpenAI

SPEC = Path(__file__).resolve().parents[2] / "shared" / "reference" / "openai-openapi.yaml"
IMAGE = {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}


def _validate(schema_name: str, body: dict[str, Any]) -> None:
    if not SPEC.exists():
        return
    with SPEC.open() as spec:
        components = yaml.load(spec, Loader=yaml.CSafeLoader)["components"]
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": components}
    jsonschema.Draft202012Validator(schema).validate(body)


async def _moderate(fake: FakeOpenAI, body: dict[str, Any]) -> httpx.Response:
    headers = {"Authorization": f"Bearer {fake.api_key}"}
    async with httpx.AsyncClient(base_url=fake.base_url, headers=headers) as client:
        return await client.post("/moderations", json=body)


@pytest.mark.parametrize(
    ("inputs", "results"),
    [
        ("kill them all", 1),
        (["kill them all", "hello", "kill the lights"], 3),
        ([{"type": "text", "text": "kill them all"}, IMAGE, IMAGE], 1),
    ],
    ids=["string", "strings", "multimodal"],
)
async def test_results_are_shaped_like_openais(
    fake_openai: FakeOpenAI, inputs: object, results: int
) -> None:
    fake_openai.flag("kill them", "violence", "harassment/threatening")
    body = {"model": "omni-moderation-latest", "input": inputs}
    _validate("CreateModerationRequest", body)
    response = await _moderate(fake_openai, body)
    assert response.status_code == 200
    answer = response.json()
    _validate("CreateModerationResponse", answer)
    assert len(answer["results"]) == results
    first = answer["results"][0]
    assert first["flagged"] is True
    assert [c for c, on in first["categories"].items() if on] == [
        "harassment/threatening",
        "violence",
    ]
    assert first["category_scores"]["violence"] > 0.5 > first["category_scores"]["hate"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"model": "omni-moderation-latest"}, 400),
        ({"input": [{"type": "image_url"}]}, 400),
        ({"model": "text-moderation-latest", "input": [IMAGE]}, 400),
    ],
    ids=["no-input", "bad-part", "image-to-text-model"],
)
async def test_what_openai_refuses_is_refused_with_its_error_object(
    fake_openai: FakeOpenAI, body: dict[str, Any], status: int
) -> None:
    response = await _moderate(fake_openai, body)
    assert response.status_code == status
    assert set(response.json()["error"]) == {"message", "type", "param", "code"}
