"""Issue 11, defect 3: what reaches POST /slack/events is verified on its bytes, then parsed;
input the bot cannot use gets a 4xx, never a 5xx, and the bot stays healthy."""

from __future__ import annotations

import hmac
import time

import httpx
from sqlalchemy import func, select

from bot.store.models import InboxItem
from tests.conftest import SIGNING_SECRET, RunningBot
from tests.db_reads import reading
from tests.fakes.openai import FakeOpenAI, Reply
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_requests import event_body, mention_event, new_ts


def _signed(body: bytes, content_type: str = "application/json") -> dict[str, str]:
    """Slack's signing scheme over raw bytes (slack_sdk's signer only takes UTF-8 text)."""
    stamp = str(int(time.time()))
    digest = hmac.new(SIGNING_SECRET.encode(), b"v0:%s:%s" % (stamp.encode(), body), "sha256")
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": f"v0={digest.hexdigest()}",
    }


async def _post(bot: RunningBot, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return await bot.http.post("/slack/events", content=body, headers=headers)


async def _answers_a_mention(bot: RunningBot, fake_slack: FakeSlack, **headers: str) -> None:
    ts = new_ts()
    body = event_body(mention_event("are you still there?", ts=ts)).encode()
    assert (await _post(bot, body, {**_signed(body), **headers})).status_code == 200
    await fake_slack.wait_for_calls("chat.stopStream", 1)
    assert [m.visible_text() for m in fake_slack.thread("C0001", ts)] == ["Still here."]


async def _inbox_rows(database_url: str) -> int:
    async with reading(database_url) as connection:
        return int(await connection.scalar(select(func.count()).select_from(InboxItem)) or 0)


async def test_a_signed_body_that_is_not_utf8_is_refused_and_the_bot_stays_healthy(
    bot: RunningBot, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    refused = await _post(bot, b"\xff\xfe", _signed(b"\xff\xfe"))
    assert (refused.status_code, refused.json()) == (400, {"error": "malformed request body"})

    fake_openai.script_chat(Reply("Still here."))
    await _answers_a_mention(bot, fake_slack)


async def test_signed_bodies_bolt_cannot_take_are_refused_with_400(bot: RunningBot) -> None:
    for body, content_type in [
        (b'{"type": "event_callback", "event": "not an object"}', "application/json"),
        (b'{"type": "block_actions", "actions": []}', "application/json"),
        (b'{"unfinished": ', "application/json"),
        (b"payload=%FF", "application/x-www-form-urlencoded"),
    ]:
        response = await _post(bot, body, _signed(body, content_type))
        assert response.status_code == 400, body


async def test_an_unknown_charset_does_not_matter_slack_bodies_are_utf8(
    bot: RunningBot, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    fake_openai.script_chat(Reply("Still here."))
    await _answers_a_mention(
        bot, fake_slack, **{"Content-Type": "application/json; charset=x-klingon"}
    )


async def test_unsigned_or_badly_signed_bodies_get_401_and_nothing_is_stored(
    bot: RunningBot, sqlite_url: str
) -> None:
    mention = event_body(mention_event("let me in")).encode()
    forged = {**_signed(mention), "X-Slack-Signature": "v0=" + "0" * 64}
    for body, headers in [
        (b"\xff\xfe garbage", {}),
        (b"\xff\xfe garbage", {**_signed(b"\xff\xfe"), "X-Slack-Request-Timestamp": "soon"}),
        (mention, forged),
        (mention, {**_signed(mention), "X-Slack-Request-Timestamp": str(int(time.time()) - 600)}),
    ]:
        response = await _post(bot, body, headers)
        assert (response.status_code, response.json()) == (401, {"error": "invalid signature"})
    assert await _inbox_rows(sqlite_url) == 0
