"""The fake Slack refuses what Slack refuses on the agent surface: unknown or incomplete stream
chunks, bad task display modes, too many prompts or loading messages, views without a trigger
or of the wrong type, a malformed feedback control; and its required arguments agree with
Slack's method reference (where ../shared/reference is present)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes.slack import FakeSlack
from tests.fakes.slack_requests import new_ts
from tests.fakes.slack_workspace import _REQUIRED

REFERENCE = Path(__file__).resolve().parent.parent.parent / "shared" / "reference"
# Slack's current page lists markdown_text as optional for appendStream (content may come as
# chunks); the reference fetched in 2025 still marks it required (see FACTS.md).
_RELAXED = {"chat.appendStream": {"markdown_text"}}
# The streaming guide: streamed messages are always thread replies; the fake insists on it.
_STRICTER = {"chat.startStream": {"thread_ts"}}


@pytest.fixture
def slack_client(fake_slack: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(base_url=fake_slack.api_url, token=fake_slack.token)


async def _error(call: Any) -> str:
    with pytest.raises(SlackApiError) as refused:
        await call
    return str(refused.value.response["error"])


async def test_stream_chunks_must_be_known_and_complete(slack_client: AsyncWebClient) -> None:
    started = await slack_client.chat_startStream(channel="D0001", thread_ts=new_ts())
    ts = started["ts"]

    def append(*chunks: dict[str, Any]) -> Any:
        return slack_client.chat_appendStream(channel="D0001", ts=ts, chunks=list(chunks))

    assert await _error(append({"type": "image", "url": "x"})) == "invalid_chunks"
    assert await _error(append({"type": "task_update", "id": "a", "title": "A"})) == (
        "invalid_chunks"
    )
    bad_status = {"type": "task_update", "id": "a", "title": "A", "status": "done"}
    assert await _error(append(bad_status)) == "invalid_chunks"
    ok = await append(
        {"type": "task_update", "id": "a", "title": "A", "status": "in_progress"},
        {"type": "markdown_text", "text": "hi"},
    )
    assert ok["ok"]
    assert await _error(slack_client.chat_appendStream(channel="D0001", ts=ts)) == "no_text"


async def test_task_display_mode_is_timeline_or_plan(slack_client: AsyncWebClient) -> None:
    refused = slack_client.chat_startStream(
        channel="D0001", thread_ts=new_ts(), task_display_mode="cards"
    )
    assert await _error(refused) == "invalid_arguments"
    plan = await slack_client.chat_startStream(
        channel="D0001", thread_ts=new_ts(), task_display_mode="plan"
    )
    assert plan["ok"]


async def test_prompts_and_loading_messages_are_bounded(slack_client: AsyncWebClient) -> None:
    five = [{"title": f"t{i}", "message": f"m{i}"} for i in range(5)]
    too_many = slack_client.assistant_threads_setSuggestedPrompts(channel_id="D0001", prompts=five)
    assert await _error(too_many) == "invalid_arguments"
    untitled = slack_client.assistant_threads_setSuggestedPrompts(
        channel_id="D0001", prompts=[{"message": "m"}]
    )
    assert await _error(untitled) == "invalid_arguments"
    eleven = slack_client.assistant_threads_setStatus(
        channel_id="D0001", thread_ts=new_ts(), status="x", loading_messages=["a"] * 11
    )
    assert await _error(eleven) == "invalid_arguments"
    long_one = slack_client.assistant_threads_setStatus(
        channel_id="D0001", thread_ts=new_ts(), status="x", loading_messages=["a" * 51]
    )
    assert await _error(long_one) == "invalid_arguments"


async def test_views_need_a_trigger_and_the_right_type(slack_client: AsyncWebClient) -> None:
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "T"}, "blocks": []}
    assert await _error(slack_client.views_open(view=modal)) == "invalid_arguments"
    assert (await slack_client.views_open(trigger_id="1.2.abc", view=modal))["ok"]
    home_as_modal = slack_client.views_publish(user_id="U0001", view=modal)
    assert await _error(home_as_modal) == "invalid_arguments"


async def test_a_feedback_control_needs_both_buttons(slack_client: AsyncWebClient) -> None:
    button = {"text": {"type": "plain_text", "text": "👍"}, "value": "up"}
    control = {"type": "feedback_buttons", "action_id": "f", "positive_button": button}
    blocks = [{"type": "context_actions", "elements": [control]}]
    posted = slack_client.chat_postMessage(channel="C0001", text="x", blocks=blocks)
    assert await _error(posted) == "invalid_blocks"


@pytest.mark.skipif(
    not REFERENCE.is_dir(), reason="../shared/reference is not beside this checkout"
)
def test_required_arguments_agree_with_slacks_reference() -> None:
    for method, required in _REQUIRED.items():
        path = REFERENCE / "slack-methods" / f"{method}.json"
        if not path.exists():
            continue
        reference = set(json.loads(path.read_text())["args"].get("required", [])) - {"token"}
        expected = (reference - _RELAXED.get(method, set())) | _STRICTER.get(method, set())
        assert set(required) == expected, method
