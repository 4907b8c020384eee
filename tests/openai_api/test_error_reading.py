"""What the client reads from a server's error: the window and the server's count of our
messages from "context length exceeded" in each server's wording, and a refused parameter."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.errors import ModelContextTooLong, ModelParameterRejected, ModelStatusError
from bot.openai_api import ChatMessage, OpenAIClient
from bot.openai_api._transport import error_from_response
from tests.fakes.openai import FakeOpenAI
from tests.fakes.openai_servers import Flavour, ModelServer
from tests.openai_api import connected_client

LONG: list[ChatMessage] = [{"role": "user", "content": "x" * 3_000}]  # 1,000 + 4 server tokens


async def _stream(client: OpenAIClient, **bound: int) -> None:
    async for _ in client.stream_chat(LONG, model="gpt-4o-mini", **bound):
        pass


@pytest.mark.parametrize(
    ("flavour", "bound", "prompt_tokens"),
    [
        ("openai", 600, 1_004),  # ... you requested 1604 tokens (1004 in the messages, ...)
        ("azure", None, 1_004),  # ... your messages resulted in 1004 tokens
        ("vllm", 600, 1_004),  # 'max_tokens' or ... your request has 1004 input tokens
        ("vllm-legacy", 600, 1_004),
        ("litellm", 600, 1_004),  # the upstream's words inside LiteLLM's own
        ("llama.cpp", None, 1_004),  # request (1004 tokens) exceeds ... (n_prompt_tokens)
    ],
)
async def test_context_errors_carry_the_servers_window_and_count(
    flavour: Flavour, bound: int | None, prompt_tokens: int
) -> None:
    window = 1_000 if bound is None else 1_500
    server = ModelServer(flavour, context_window=window, chars_per_token=3.0, message_tokens=4)
    kwargs = {} if bound is None else {"max_completion_tokens": bound}
    async with FakeOpenAI(server=server) as fake, connected_client(fake) as client:
        with pytest.raises(ModelContextTooLong) as raised:
            await _stream(client, **kwargs)
    assert (raised.value.window, raised.value.prompt_tokens) == (window, prompt_tokens)


async def test_vllm_prompt_alone_over_the_window_is_read_too() -> None:
    server = ModelServer("vllm", context_window=900, chars_per_token=3.0, message_tokens=4)
    async with FakeOpenAI(server=server) as fake, connected_client(fake) as client:
        with pytest.raises(ModelContextTooLong) as raised:
            await _stream(client)
    assert (raised.value.window, raised.value.prompt_tokens) == (900, 1_004)


@pytest.mark.parametrize(
    "flavour", ["openai", "azure", "vllm", "vllm-legacy", "litellm", "llama.cpp"]
)
async def test_a_refused_max_completion_tokens_is_named(flavour: Flavour) -> None:
    server = ModelServer(flavour, rejects_max_completion_tokens=True)
    async with FakeOpenAI(server=server) as fake, connected_client(fake) as client:
        with pytest.raises(ModelParameterRejected) as raised:
            await _stream(client, max_completion_tokens=100)
        await _stream(client, max_tokens=100)  # the older field is taken
    assert raised.value.param == "max_completion_tokens"
    assert raised.value.status == 400


async def test_a_reasoning_model_refusing_max_tokens_names_max_tokens() -> None:
    async with FakeOpenAI() as fake, connected_client(fake) as client:
        with pytest.raises(ModelParameterRejected) as raised:
            async for _ in client.stream_chat(LONG, model="o3-mini", max_tokens=100):
                pass
    assert raised.value.param == "max_tokens"  # though the message names both


def _body(error: dict[str, Any]) -> bytes:
    return json.dumps({"error": error}).encode()


def test_figures_past_the_logged_length_are_still_read() -> None:
    padding = "litellm.ContextWindowExceededError: " + "Received Model Group=x " * 20
    message = f"{padding} This model's maximum context length is 8,192 tokens. However, your messages resulted in 9,001 tokens."
    error = error_from_response(400, {}, _body({"message": message, "type": None, "code": "400"}))
    assert isinstance(error, ModelContextTooLong)
    assert (error.window, error.prompt_tokens) == (8_192, 9_001)
    assert len(str(error)) < 400  # what is logged stays short


def test_a_context_error_without_figures_says_none() -> None:
    body = _body(
        {
            "message": "Your input exceeds the context window of this model.",
            "code": "context_length_exceeded",
        }
    )
    error = error_from_response(400, {}, body)
    assert isinstance(error, ModelContextTooLong)
    assert (error.window, error.prompt_tokens) == (None, None)


@pytest.mark.parametrize(
    "message",
    [
        "max_tokens must be at least 1, got 0.",  # a value, not the field, is wrong
        "Invalid value for 'temperature': must be between 0 and 2.",
    ],
)
def test_other_bad_requests_are_not_refused_parameters(message: str) -> None:
    error = error_from_response(
        400, {}, _body({"message": message, "type": "invalid_request_error"})
    )
    assert type(error) is ModelStatusError
