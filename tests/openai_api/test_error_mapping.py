from __future__ import annotations

import asyncio
import json
import socket

import pytest

from bot.errors import (
    ModelContextTooLong,
    ModelError,
    ModelRateLimited,
    ModelRefused,
    ModelStatusError,
    ModelTimeout,
    ModelUnavailable,
)
from bot.openai_api import OpenAIClient, RetryPolicy
from bot.openai_api._transport import error_from_response


def _openai_error(code: str | None, message: str = "details", type_: str = "x") -> bytes:
    return json.dumps(
        {"error": {"message": message, "type": type_, "param": None, "code": code}}
    ).encode()


@pytest.mark.parametrize(
    ("status", "body", "expected", "code"),
    [
        (
            400,
            _openai_error("context_length_exceeded"),
            ModelContextTooLong,
            "context_length_exceeded",
        ),
        (400, _openai_error("content_policy_violation"), ModelRefused, "content_policy_violation"),
        (400, _openai_error("moderation_blocked"), ModelRefused, "moderation_blocked"),
        (400, _openai_error("content_filter"), ModelRefused, "content_filter"),
        (429, _openai_error("rate_limit_exceeded"), ModelRateLimited, "rate_limit_exceeded"),
        (429, _openai_error("insufficient_quota"), ModelStatusError, "insufficient_quota"),
        (401, _openai_error("invalid_api_key"), ModelStatusError, "invalid_api_key"),
        (408, b"", ModelTimeout, None),
        (500, _openai_error(None), ModelStatusError, None),
        (502, b"<html>Bad Gateway</html>", ModelStatusError, None),
        (503, b"[1, 2]", ModelStatusError, None),
        (
            400,
            json.dumps(
                {
                    "object": "error",
                    "message": "This model's maximum context length is 4096 tokens.",
                    "type": "BadRequestError",
                    "code": 400,
                }
            ).encode(),
            ModelContextTooLong,
            None,
        ),
        (404, b'{"error": "model \\"llama3\\" not found"}', ModelStatusError, None),
    ],
)
def test_error_classes(
    status: int, body: bytes, expected: type[ModelError], code: str | None
) -> None:
    error = error_from_response(status, {}, body)
    assert type(error) is expected
    assert (error.status, error.code) == (status, code)


def test_retryability_follows_status() -> None:
    assert error_from_response(500, {}, b"").retryable
    assert error_from_response(429, {}, _openai_error("rate_limit_exceeded")).retryable
    assert not error_from_response(429, {}, _openai_error("insufficient_quota")).retryable
    assert not error_from_response(401, {}, _openai_error("invalid_api_key")).retryable


def test_rate_limit_carries_retry_after() -> None:
    error = error_from_response(429, {"retry-after-ms": "1500"}, _openai_error(None))
    assert isinstance(error, ModelRateLimited)
    assert error.retry_after == 1.5


def test_message_keeps_server_words_but_not_the_key() -> None:
    body = _openai_error("invalid_api_key", "Incorrect API key provided: sk-live-123.")
    error = error_from_response(401, {}, body, secret="sk-live-123")
    assert "Incorrect API key provided" in str(error)
    assert "sk-live-123" not in str(error)


def test_long_bodies_are_shortened() -> None:
    assert len(str(error_from_response(500, {}, b"x" * 10_000))) < 400


async def test_connection_refused_is_unavailable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = OpenAIClient(
        f"http://127.0.0.1:{port}/v1", "sk-secret", retry=RetryPolicy(max_attempts=1)
    )
    try:
        with pytest.raises(ModelUnavailable) as raised:
            await client.list_models()
    finally:
        await client.aclose()
    assert "sk-secret" not in str(raised.value)
    assert "GET /models" in str(raised.value)


async def test_a_garbled_response_is_unavailable_and_retried() -> None:
    """A server that answers with bytes that are not HTTP: retried like a broken connection."""
    answers = 0

    async def garble(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal answers
        await reader.readuntil(b"\r\n\r\n")
        answers += 1
        writer.write(b"HTTP/1.1 two hundred OK\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(garble, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    retry = RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.01)
    client = OpenAIClient(f"http://127.0.0.1:{port}/v1", "sk-secret", retry=retry)
    try:
        with pytest.raises(ModelUnavailable) as raised:
            await client.list_models()
    finally:
        await client.aclose()
        server.close()
        await server.wait_closed()
    assert answers == 2
    assert "sk-secret" not in str(raised.value)
