from __future__ import annotations

import logging
import time

import pytest

from bot.errors import (
    ModelContextTooLong,
    ModelRefused,
    ModelStatusError,
    ModelStreamInterrupted,
    ModelTimeout,
)
from bot.openai_api import ChatDelta, ChatMessage, OpenAIClient, RetryPolicy
from tests.fakes.openai import Cut, Error, FakeOpenAI, RateLimit, Reply, Stall
from tests.openai_api import connected_client

MODEL = "gpt-4o-mini"
ASK: list[ChatMessage] = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "Say hello"},
]


async def _collect(client: OpenAIClient, deltas: list[ChatDelta] | None = None) -> list[ChatDelta]:
    """Every delta of one stream, also appended to ``deltas`` so a failing test sees the text."""
    received = [] if deltas is None else deltas
    async for delta in client.stream_chat(ASK, model=MODEL):
        received.append(delta)
    return received


def _text(deltas: list[ChatDelta]) -> str:
    return "".join(delta.text for delta in deltas)


async def test_stream_yields_text_then_finish_and_usage() -> None:
    answer = "Hello there! How can I help you today?"
    async with FakeOpenAI() as fake, connected_client(fake) as client:
        fake.script_chat(Reply(answer, chunk_chars=5))
        deltas = await _collect(client)

    assert _text(deltas) == answer
    assert [d.text for d in deltas[:-1]] == [answer[i : i + 5] for i in range(0, len(answer), 5)]
    last = deltas[-1]
    assert (last.done, last.text, last.finish_reason) == (True, "", "stop")
    assert last.usage is not None
    assert last.usage.completion_tokens == len(answer) // 4
    assert not any(d.done for d in deltas[:-1])
    # The last text came in the chunk that said how it finished: only the end delta says so.
    assert all((d.finish_reason, d.usage) == (None, None) for d in deltas[:-1])


async def test_stream_request_body_and_headers() -> None:
    parts: list[ChatMessage] = [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is this?"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
            ],
        }
    ]
    async with FakeOpenAI() as fake, connected_client(fake) as client:
        stream = client.stream_chat(
            parts, model=MODEL, max_completion_tokens=300, temperature=0.2, extra={"user": "U1"}
        )
        assert _text([d async for d in stream]) == "Echo: What is this?"

    [request] = fake.requests
    assert (request.method, request.path) == ("POST", "/v1/chat/completions")
    assert request.json == {
        "model": MODEL,
        "messages": parts,
        "max_completion_tokens": 300,
        "temperature": 0.2,
        "user": "U1",
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    assert request.headers["Authorization"] == "Bearer sk-test"
    assert request.headers["Accept"] == "text/event-stream"
    assert "api-key" not in {name.lower() for name in request.headers}


async def test_base_url_with_trailing_slash_and_default_headers() -> None:
    async with FakeOpenAI() as fake:
        client = OpenAIClient(fake.base_url + "/", fake.api_key, default_headers={"X-Team": "T1"})
        try:
            assert await client.list_models() == ["gpt-4o-mini"]
        finally:
            await client.aclose()
    [request] = fake.requests
    assert (request.method, request.path) == ("GET", "/v1/models")
    assert request.headers["X-Team"] == "T1"


async def test_rate_limit_waits_retry_after_ms_then_succeeds() -> None:
    async with FakeOpenAI() as fake, connected_client(fake) as client:
        fake.script_chat(RateLimit(retry_after=5, retry_after_ms=150), Reply("Fine now."))
        started = time.monotonic()
        deltas = await _collect(client)
        elapsed = time.monotonic() - started

    assert _text(deltas) == "Fine now."
    assert len(fake.chat_requests()) == 2
    assert 0.15 <= elapsed < 5


async def test_rate_limit_honours_retry_after_seconds() -> None:
    async with FakeOpenAI() as fake, connected_client(fake) as client:
        fake.script_chat(RateLimit(retry_after=1))
        started = time.monotonic()
        deltas = await _collect(client)
        elapsed = time.monotonic() - started

    assert _text(deltas) == "Echo: Say hello"
    assert len(fake.chat_requests()) == 2
    assert elapsed >= 1.0


async def test_server_errors_are_retried(caplog: pytest.LogCaptureFixture) -> None:
    async with FakeOpenAI() as fake, connected_client(fake) as client:
        fake.script_chat(Error(500, None, type="server_error"), Error(503, None), Reply("Back."))
        with caplog.at_level(logging.WARNING, logger="bot.openai_api.retry"):
            deltas = await _collect(client)

    assert _text(deltas) == "Back."
    assert len(fake.chat_requests()) == 3
    assert len(caplog.records) == 2
    assert "sk-test" not in caplog.text


async def test_gives_up_after_max_attempts() -> None:
    async with FakeOpenAI() as fake, connected_client(fake) as client:
        fake.script_chat(*[Error(500, None)] * 5)
        with pytest.raises(ModelStatusError) as raised:
            await _collect(client)
    assert raised.value.status == 500
    assert len(fake.chat_requests()) == 4


async def test_wrong_key_is_not_retried() -> None:
    async with FakeOpenAI() as fake, connected_client(fake, api_key="sk-wrong-key") as client:
        with pytest.raises(ModelStatusError) as raised:
            await _collect(client)
    assert (raised.value.status, raised.value.code) == (401, "invalid_api_key")
    assert not raised.value.retryable
    assert "sk-wrong-key" not in str(raised.value)
    assert len(fake.chat_requests()) == 1


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (Error(400, "context_length_exceeded"), ModelContextTooLong),
        (Error(400, "content_policy_violation"), ModelRefused),
    ],
)
async def test_request_errors_map_to_their_class(error: Error, expected: type[Exception]) -> None:
    async with FakeOpenAI() as fake, connected_client(fake) as client:
        fake.script_chat(error)
        with pytest.raises(expected):
            await _collect(client)
    assert len(fake.chat_requests()) == 1


async def test_cut_after_text_raises_interrupted_with_partial_text() -> None:
    deltas: list[ChatDelta] = []
    async with FakeOpenAI() as fake, connected_client(fake) as client:
        fake.script_chat(Cut("The first half of an answer"))
        with pytest.raises(ModelStreamInterrupted) as raised:
            await _collect(client, deltas)

    assert raised.value.partial_text == "The first half of an answer"
    assert _text(deltas) == raised.value.partial_text
    assert len(fake.chat_requests()) == 1


async def test_a_cut_in_the_instant_of_the_last_text_keeps_a_prefix_of_it() -> None:
    """aiohttp drops what it had buffered when the connection fails at once: what the caller
    saw is still the start of the text, told as interrupted (or, when nothing got through, a
    cut before any text, retried)."""
    sent = "The first half of an answer"
    deltas: list[ChatDelta] = []
    async with FakeOpenAI() as fake, connected_client(fake) as client:
        fake.script_chat(Cut(sent, pause_s=0), Reply("Second time lucky."))
        try:
            await _collect(client, deltas)
        except ModelStreamInterrupted as raised:
            assert raised.partial_text and sent.startswith(raised.partial_text)
            assert _text(deltas) == raised.partial_text
        else:
            assert _text(deltas) == "Second time lucky."


async def test_cut_before_any_text_is_retried() -> None:
    async with FakeOpenAI() as fake, connected_client(fake) as client:
        fake.script_chat(Cut(""), Reply("Second time lucky."))
        deltas = await _collect(client)
    assert _text(deltas) == "Second time lucky."
    assert len(fake.chat_requests()) == 2


async def test_stall_before_text_times_out() -> None:
    no_retry = RetryPolicy(max_attempts=1)
    async with (
        FakeOpenAI() as fake,
        connected_client(fake, stream_idle_timeout=0.2, retry=no_retry) as client,
    ):
        fake.script_chat(Stall())
        with pytest.raises(ModelTimeout, match=r"idle for over 0\.2s"):
            await _collect(client)


async def test_stall_after_text_is_interrupted() -> None:
    async with FakeOpenAI() as fake, connected_client(fake, stream_idle_timeout=0.2) as client:
        fake.script_chat(Stall(after_text="Thinking about"))
        with pytest.raises(ModelStreamInterrupted) as raised:
            await _collect(client)
    assert raised.value.partial_text == "Thinking about"
    assert isinstance(raised.value.__cause__, ModelTimeout)
    assert "idle for over 0.2s" in str(raised.value)
    assert len(fake.chat_requests()) == 1


async def test_complete_chat_returns_text_and_usage() -> None:
    async with FakeOpenAI() as fake, connected_client(fake) as client:
        fake.script_chat(Error(502, None), Reply("All at once."))
        result = await client.complete_chat(ASK, model=MODEL)

    assert (result.text, result.finish_reason) == ("All at once.", "stop")
    assert result.usage is not None
    assert result.usage.completion_tokens == 3
    assert fake.chat_requests()[-1] == {"model": MODEL, "messages": ASK}


async def test_closing_a_stream_early_frees_its_connection() -> None:
    one_connection = {"max_connections": 1, "read_timeout": 2.0}
    async with FakeOpenAI() as fake, connected_client(fake, **one_connection) as client:
        fake.script_chat(Reply("A long answer nobody reads to the end.", chunk_chars=4))
        stream = client.stream_chat(ASK, model=MODEL)
        assert (await anext(stream)).text == "A lo"
        await stream.aclose()
        result = await client.complete_chat(ASK, model=MODEL)
    assert result.text == "Echo: Say hello"
