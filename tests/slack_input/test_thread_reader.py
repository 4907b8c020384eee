"""SlackThreadReader against the fake Slack: bounded pages, the newest messages kept, and every
failure a ``SlackDeliveryError`` (which catch-up turns into an answer without the thread)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import SlackDeliveryError
from bot.slack_input.thread_reader import SlackThreadReader
from tests.fakes.slack import FakeSlack
from tests.slack_output.slack_trouble import silent_slack_client, unreachable_client

ROOT = "1700000000.000100"


def _ts(n: int) -> str:
    return str(Decimal(ROOT) + Decimal(n) / 1000)


def _thread(fake_slack: FakeSlack, replies: int) -> str:
    """A thread with ``replies`` replies and a mention after them; returns the mention's ts."""
    messages = [{"type": "message", "user": "U0ALICE", "text": "The topic", "ts": ROOT}]
    messages += [
        {"type": "message", "user": "U0BOB", "text": f"reply {n}", "ts": _ts(n), "thread_ts": ROOT}
        for n in range(1, replies + 1)
    ]
    mention = _ts(replies + 1)
    messages.append({"type": "message", "user": "U0ALICE", "text": "<@U0BOT> so?", "ts": mention})
    messages[-1]["thread_ts"] = ROOT
    fake_slack.add_thread("C0001", messages)
    return mention


def _reader(fake_slack: FakeSlack, **bounds: int) -> SlackThreadReader:
    client = AsyncWebClient(token=fake_slack.token, base_url=fake_slack.api_url)
    return SlackThreadReader(client, **bounds)


async def test_a_long_thread_keeps_its_first_and_newest_messages_within_the_bounds(
    fake_slack: FakeSlack,
) -> None:
    mention = _thread(fake_slack, replies=45)
    reader = _reader(fake_slack, page_size=10, max_pages=10, max_messages=6)

    found = await reader.read_before("C0001", ROOT, mention)

    assert [m.text for m in found] == ["The topic", *(f"reply {n}" for n in range(41, 46))]
    reads = fake_slack.calls_to("conversations.replies")
    assert len(reads) == 5 and all(int(r.args["limit"]) == 10 for r in reads)


async def test_reading_stops_after_max_pages(fake_slack: FakeSlack) -> None:
    mention = _thread(fake_slack, replies=45)
    found = await _reader(fake_slack, page_size=10, max_pages=2, max_messages=100).read_before(
        "C0001", ROOT, mention
    )
    assert len(fake_slack.calls_to("conversations.replies")) == 2
    assert found[-1].text == "reply 19"


async def test_a_refused_read_is_a_delivery_error(fake_slack: FakeSlack) -> None:
    mention = _thread(fake_slack, replies=3)
    fake_slack.fail("conversations.replies", "ratelimited")
    with pytest.raises(SlackDeliveryError) as caught:
        await _reader(fake_slack).read_before("C0001", ROOT, mention)
    assert caught.value.error == "ratelimited"


async def test_slack_out_of_reach_is_a_delivery_error() -> None:
    with pytest.raises(SlackDeliveryError):
        await SlackThreadReader(unreachable_client()).read_before("C0001", ROOT, _ts(9))
    async with silent_slack_client() as client:
        with pytest.raises(SlackDeliveryError):
            await SlackThreadReader(client).read_before("C0001", ROOT, _ts(9))
