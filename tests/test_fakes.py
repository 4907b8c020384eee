"""The fakes, checked with the real clients the bot uses (slack_sdk, httpx + httpx_sse).

``fake_slack`` and ``fake_openai`` come from ``tests/conftest.py``.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from httpx_sse import aconnect_sse
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes.openai import Cut, FakeOpenAI, Hold, ImageReply, RateLimit, Reply, Stall
from tests.fakes.png import PNG_SIGNATURE
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_requests import (
    block_actions_body,
    event_body,
    mention_event,
    new_ts,
    signed_headers,
)

CHAT = "/v1/chat/completions"


@pytest.fixture
async def openai_http(fake_openai: FakeOpenAI) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Authorization": "Bearer sk-test"}
    async with httpx.AsyncClient(base_url=fake_openai.base_url, headers=headers) as client:
        yield client


@pytest.fixture
def slack_client(fake_slack: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(base_url=fake_slack.api_url, token="xoxb-test-token")


def _chat_body(stream: bool = True, **extra: Any) -> dict[str, Any]:
    messages = [{"role": "user", "content": [{"type": "text", "text": "hi there"}]}]
    return {"model": "gpt-4o-mini", "messages": messages, "stream": stream, **extra}


async def _sse_payloads(client: httpx.AsyncClient, body: dict[str, Any]) -> list[str]:
    async with aconnect_sse(client, "POST", "/chat/completions", json=body) as source:
        assert source.response.headers["content-type"].startswith("text/event-stream")
        return [event.data async for event in source.aiter_sse()]


async def test_chat_stream_is_openai_sse_with_usage_and_done(
    fake_openai: FakeOpenAI, openai_http: httpx.AsyncClient
) -> None:
    fake_openai.script_chat(Reply("Hello, streaming world", chunk_chars=5))
    body = _chat_body(stream_options={"include_usage": True})

    payloads = await _sse_payloads(openai_http, body)

    assert payloads[-1] == "[DONE]"
    chunks = [json.loads(p) for p in payloads[:-1]]
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"}
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    content = [c for c in chunks if c["choices"]]
    assert "".join(c["choices"][0]["delta"].get("content", "") for c in content) == (
        "Hello, streaming world"
    )
    assert [c["choices"][0]["finish_reason"] for c in content][-2:] == [None, "stop"]
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"]["total_tokens"] > 0
    assert fake_openai.chat_requests() == [body]


async def test_default_reply_echoes_and_non_stream_is_one_completion(
    openai_http: httpx.AsyncClient,
) -> None:
    response = await openai_http.post("/chat/completions", json=_chat_body(stream=False))

    assert response.json()["object"] == "chat.completion"
    assert response.json()["choices"][0]["message"]["content"] == "Echo: hi there"


async def test_cut_stream_raises_in_the_client_after_partial_text(
    fake_openai: FakeOpenAI, openai_http: httpx.AsyncClient
) -> None:
    fake_openai.script_chat(Cut("partial ans"))
    received: list[str] = []

    with pytest.raises(httpx.RemoteProtocolError):
        async with aconnect_sse(openai_http, "POST", "/chat/completions", json=_chat_body()) as src:
            async for event in src.aiter_sse():
                received.append(json.loads(event.data)["choices"][0]["delta"].get("content", ""))

    assert "".join(received) == "partial ans"


async def test_rate_limit_sends_retry_headers_and_openai_error_object(
    fake_openai: FakeOpenAI, openai_http: httpx.AsyncClient
) -> None:
    fake_openai.script_chat(RateLimit(retry_after=2.5, retry_after_ms=2500))

    limited = await openai_http.post("/chat/completions", json=_chat_body(stream=False))
    after = await openai_http.post("/chat/completions", json=_chat_body(stream=False))

    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "2.5"
    assert limited.headers["retry-after-ms"] == "2500"
    assert limited.json()["error"]["code"] == "rate_limit_exceeded"
    assert after.status_code == 200


async def test_auth_and_request_validation_answer_like_openai(
    fake_openai: FakeOpenAI, openai_http: httpx.AsyncClient
) -> None:
    async with httpx.AsyncClient(base_url=fake_openai.base_url) as anonymous:
        unauthorised = await anonymous.post("/chat/completions", json=_chat_body())
    no_messages = await openai_http.post("/chat/completions", json={"model": "m", "messages": []})
    too_many = await openai_http.post("/images/generations", json={"prompt": "cat", "n": 11})

    assert unauthorised.status_code == 401
    assert unauthorised.json()["error"]["code"] == "invalid_api_key"
    assert no_messages.status_code == 400
    assert no_messages.json()["error"]["param"] == "messages"
    assert too_many.status_code == 400
    assert too_many.json()["error"]["param"] == "n"


async def test_hold_waits_for_release(
    fake_openai: FakeOpenAI, openai_http: httpx.AsyncClient
) -> None:
    fake_openai.script_chat(Hold(Reply("after release")))
    pending = asyncio.create_task(openai_http.post("/chat/completions", json=_chat_body(False)))
    await fake_openai.wait_for_requests(CHAT, 1)
    assert not pending.done()

    fake_openai.release()

    assert (await pending).json()["choices"][0]["message"]["content"] == "after release"


async def test_stop_does_not_hang_on_stalled_or_held_requests() -> None:
    server = FakeOpenAI()
    await server.start()
    server.script_chat(Stall("thinking"), Hold())
    async with httpx.AsyncClient(
        base_url=server.base_url, headers={"Authorization": "Bearer sk-test"}
    ) as client:
        requests = [
            asyncio.create_task(client.post("/chat/completions", json=_chat_body()))
            for _ in range(2)
        ]
        await server.wait_for_requests(CHAT, 2)
        async with asyncio.timeout(3):
            await server.stop()
        outcomes = await asyncio.gather(*requests, return_exceptions=True)

    assert all(isinstance(outcome, httpx.HTTPError) for outcome in outcomes)


async def test_images_are_distinct_real_pngs_inline_or_by_url(
    fake_openai: FakeOpenAI, openai_http: httpx.AsyncClient
) -> None:
    fake_openai.script_images(ImageReply(), ImageReply(as_url=True, revised_prompt=None))

    inline = await openai_http.post("/images/generations", json={"prompt": "a cat", "n": 2})
    by_url = await openai_http.post("/images/generations", json={"prompt": "a dog"})

    pngs = [base64.b64decode(item["b64_json"]) for item in inline.json()["data"]]
    assert all(png.startswith(PNG_SIGNATURE) and b"IEND" in png for png in pngs)
    assert pngs[0] != pngs[1]
    [item] = by_url.json()["data"]
    assert "revised_prompt" not in item
    downloaded = await openai_http.get(item["url"])
    assert downloaded.headers["content-type"] == "image/png"
    assert downloaded.content.startswith(PNG_SIGNATURE)
    assert [body["prompt"] for body in fake_openai.image_requests()] == ["a cat", "a dog"]


async def test_chat_stream_helper_round_trip_shows_the_full_text(
    fake_slack: FakeSlack, slack_client: AsyncWebClient
) -> None:
    parent = new_ts()
    stream = await slack_client.chat_stream(
        buffer_size=8,
        channel="C0001",
        thread_ts=parent,
        recipient_user_id="U0USER",
        recipient_team_id="T0001",
    )
    for piece in ["Hello ", "**wide** ", "world, ", "streamed."]:
        await stream.append(markdown_text=piece)
    await stream.stop(blocks=[{"type": "context", "elements": []}])

    [message] = fake_slack.thread("C0001", parent)
    assert message.visible_text() == "Hello **wide** world, streamed."
    assert not message.streaming
    assert message.blocks == [{"type": "context", "elements": []}]
    assert len(fake_slack.calls_to("chat.appendStream")) >= 1
    with pytest.raises(SlackApiError) as closed:
        await slack_client.chat_appendStream(channel="C0001", ts=message.ts, markdown_text="x")
    assert closed.value.response["error"] == "message_not_in_streaming_state"


async def test_start_stream_in_a_channel_needs_recipients(slack_client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as refused:
        await slack_client.chat_startStream(channel="C0001", thread_ts=new_ts())
    in_dm = await slack_client.chat_startStream(channel="D0001", thread_ts=new_ts())

    assert refused.value.response["error"] == "missing_recipient_user_id"
    assert in_dm["ok"]


async def test_files_upload_v2_delivers_the_bytes_and_shares_them(
    fake_slack: FakeSlack, slack_client: AsyncWebClient
) -> None:
    data = PNG_SIGNATURE + b"rest of the image"
    parent = new_ts()

    await slack_client.files_upload_v2(
        channel="C0001",
        thread_ts=parent,
        file=data,
        filename="cat.png",
        title="A cat",
        initial_comment="Here you go",
    )

    [upload] = fake_slack.uploads
    assert (upload.data, upload.filename, upload.title) == (data, "cat.png", "A cat")
    assert (upload.channel_id, upload.thread_ts, upload.shared) == ("C0001", parent, True)
    assert upload.initial_comment == "Here you go"


async def test_upload_to_a_channel_the_bot_is_not_in_fails(
    fake_slack: FakeSlack, slack_client: AsyncWebClient
) -> None:
    fake_slack.set_not_in_channel("C0002")

    with pytest.raises(SlackApiError) as refused:
        await slack_client.files_upload_v2(channel="C0002", file=b"x", filename="x.txt")

    assert refused.value.response["error"] == "not_in_channel"
    assert not fake_slack.uploads[0].shared


async def test_removed_method_and_bad_token_answer_like_slack(
    fake_slack: FakeSlack, slack_client: AsyncWebClient
) -> None:
    fake_slack.remove_method("chat.startStream")
    impostor = AsyncWebClient(base_url=fake_slack.api_url, token="xoxb-wrong")

    with pytest.raises(SlackApiError) as unknown:
        await slack_client.chat_startStream(channel="D0001", thread_ts=new_ts())
    with pytest.raises(SlackApiError) as bad_token:
        await impostor.auth_test()

    assert unknown.value.response.status_code == 200
    assert unknown.value.response["error"] == "unknown_method"
    assert bad_token.value.response["error"] == "invalid_auth"
    assert (await slack_client.auth_test())["user_id"] == "U0BOT"


async def test_post_message_content_rules(
    fake_slack: FakeSlack, slack_client: AsyncWebClient
) -> None:
    errors = []
    for content in (
        {"markdown_text": "**hi**", "text": "hi"},
        {"text": ""},
        {"text": "fallback", "blocks": [{"type": "divider"}] * 51},
    ):
        with pytest.raises(SlackApiError) as refused:
            await slack_client.api_call("chat.postMessage", json={"channel": "C0001", **content})
        errors.append(refused.value.response["error"])
    long = await slack_client.chat_postMessage(channel="C0001", text="x" * 40_001)

    assert errors == ["markdown_text_conflict", "no_text", "invalid_blocks"]
    assert long["warning"] == "message_truncated"
    assert len(fake_slack.messages[("C0001", long["ts"])].text or "") == 40_000


async def test_scripted_failures_and_rate_limits_are_fifo(
    fake_slack: FakeSlack, slack_client: AsyncWebClient
) -> None:
    fake_slack.rate_limit("chat.postMessage", retry_after=3)
    fake_slack.fail("chat.postMessage", "channel_not_found")

    with pytest.raises(SlackApiError) as limited:
        await slack_client.chat_postMessage(channel="C0001", text="one")
    with pytest.raises(SlackApiError) as failed:
        await slack_client.chat_postMessage(channel="C0001", text="two")
    posted = await slack_client.chat_postMessage(channel="C0001", text="three")

    assert limited.value.response.status_code == 429
    assert limited.value.response.headers["Retry-After"] == "3"
    assert limited.value.response["error"] == "ratelimited"
    assert failed.value.response["error"] == "channel_not_found"
    assert [m.visible_text() for m in fake_slack.messages.values()] == ["three"]
    assert fake_slack.calls_to("chat.postMessage")[2].args["text"] == "three"
    assert ("C0001", posted["ts"]) in fake_slack.messages


async def test_replies_paginate_with_cursors(
    fake_slack: FakeSlack, slack_client: AsyncWebClient
) -> None:
    parent = new_ts()
    seeded = [{"ts": parent, "user": "U0USER", "text": "question"}]
    seeded += [
        {"ts": new_ts(), "thread_ts": parent, "user": "U0USER", "text": f"r{i}"} for i in (1, 2)
    ]
    fake_slack.add_thread("C0001", seeded)

    first = await slack_client.conversations_replies(channel="C0001", ts=parent, limit=2)
    cursor = first["response_metadata"]["next_cursor"]
    rest = await slack_client.conversations_replies(channel="C0001", ts=parent, cursor=cursor)

    assert first["has_more"] and cursor
    assert [m["text"] for m in first["messages"] + rest["messages"]] == ["question", "r1", "r2"]
    assert not rest["has_more"]


async def test_replies_after_oldest_keep_the_parent_first(
    fake_slack: FakeSlack, slack_client: AsyncWebClient
) -> None:
    parent, first, second = new_ts(), new_ts(), new_ts()
    fake_slack.add_thread(
        "C0001",
        [{"ts": parent, "user": "U0USER", "text": "question"}]
        + [
            {"ts": ts, "thread_ts": parent, "user": "U0USER", "text": text}
            for ts, text in ((first, "r1"), (second, "r2"))
        ],
    )

    after = await slack_client.conversations_replies(channel="C0001", ts=parent, oldest=first)
    including = await slack_client.conversations_replies(
        channel="C0001", ts=parent, oldest=first, inclusive=True
    )
    with pytest.raises(SlackApiError) as invalid:
        await slack_client.conversations_replies(channel="C0001", ts=parent, oldest="soon")

    assert [m["text"] for m in after["messages"]] == ["question", "r2"]
    assert [m["text"] for m in including["messages"]] == ["question", "r1", "r2"]
    assert invalid.value.response["error"] == "invalid_ts_oldest"


async def test_private_file_download_needs_the_bot_token(fake_slack: FakeSlack) -> None:
    url = fake_slack.add_file("notes.txt", b"secret notes", "text/plain")

    async with httpx.AsyncClient() as client:
        anonymous = await client.get(url)
        authorised = await client.get(url, headers={"Authorization": "Bearer xoxb-test-token"})

    assert anonymous.status_code == 302
    assert authorised.content == b"secret notes"


async def test_wait_for_calls_times_out_with_a_clear_message(fake_slack: FakeSlack) -> None:
    with pytest.raises(TimeoutError, match=r"expected 1 calls to chat\.update, got 0"):
        await fake_slack.wait_for_calls("chat.update", 1, timeout=0.05)


def test_signed_bodies_verify_with_slack_sdk() -> None:
    body = event_body(mention_event("hello"))
    headers = signed_headers("s3cret", body)

    verifier = SignatureVerifier("s3cret")
    assert verifier.is_valid(
        body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"]
    )
    assert not SignatureVerifier("other").is_valid(
        body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"]
    )
    assert json.loads(body)["event"]["text"] == "<@U0BOT> hello"


def test_block_actions_body_is_a_form_encoded_payload() -> None:
    body = block_actions_body("regenerate", "42", message_ts="1.2", thread_ts="1.0")

    payload = json.loads(parse_qs(body)["payload"][0])

    assert payload["actions"][0]["action_id"] == "regenerate"
    assert payload["container"]["thread_ts"] == "1.0"


def test_new_ts_increases() -> None:
    stamps = [new_ts() for _ in range(50)]

    assert stamps == sorted(stamps, key=float) and len(set(stamps)) == 50
