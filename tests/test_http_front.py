"""Issue 12: on PostgreSQL the HTTP front runs on a thread of its own. While the bot's event
loop is busy (here: blocked outright), health and metrics answer and a mention is recorded and
acknowledged; the answer follows once the loop runs again. What needs the bot's loop (Bolt's
dispatch, readiness) is handed to it. (On SQLite intake and the server stay on the bot's loop.)"""

from __future__ import annotations

import threading
import time

import httpx
import pytest
from sqlalchemy import select

from bot.store.models import InboxItem
from tests.conftest import SIGNING_SECRET, SettingsFactory, running_bot
from tests.db_reads import reading
from tests.fakes.openai import FakeOpenAI, Reply
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_requests import event_body, mention_event, new_ts, signed_headers

BLOCK_SECONDS = 1.5


def _while_blocked(requests: list[httpx.Request]) -> list[httpx.Response | None]:
    """Send ``requests`` from another thread while this thread's loop is blocked; what each
    got back while it was blocked (None: no answer by then)."""
    answers: list[httpx.Response | None] = [None] * len(requests)

    def send() -> None:
        with httpx.Client(timeout=10) as client:
            for index, request in enumerate(requests):
                answers[index] = client.send(request)

    sender = threading.Thread(target=send)
    sender.start()
    time.sleep(BLOCK_SECONDS)  # the bot's loop (this one) runs nothing meanwhile
    seen = list(answers)
    sender.join()
    return seen


ON_POSTGRESQL = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@ON_POSTGRESQL
async def test_health_and_metrics_answer_while_the_bots_loop_is_blocked(
    make_settings: SettingsFactory, database_url: str
) -> None:
    async with running_bot(make_settings(DATABASE_URL=database_url)) as bot:
        seen = _while_blocked(
            [httpx.Request("GET", f"{bot.url}/healthz"), httpx.Request("GET", f"{bot.url}/metrics")]
        )
        health, metrics = seen
        assert health is not None and health.json() == {"status": "ok"}
        assert metrics is not None and "slackbot_deliveries_received" in metrics.text
        ready = await bot.http.get("/readyz")  # answered by the bot's loop, once it runs
        assert (ready.status_code, ready.json()) == (200, {"status": "ready"})


@pytest.mark.parametrize(
    "database_url", ["postgresql"], indirect=True
)  # SQLite records on the bot's loop
async def test_a_mention_is_recorded_and_acknowledged_while_the_bots_loop_is_blocked(
    make_settings: SettingsFactory,
    database_url: str,
    fake_slack: FakeSlack,
    fake_openai: FakeOpenAI,
) -> None:
    fake_openai.script_chat(Reply("First."), Reply("Answered after the wait."))
    ts = new_ts()
    body = event_body(mention_event("are you there?", ts=ts), event_id="EvFront")
    async with running_bot(make_settings(DATABASE_URL=database_url)) as bot:
        # The first delivery asks Slack who the bot is (on the bot's loop); later ones know.
        assert (await bot.post(event_body(mention_event("hello")))).status_code == 200
        await fake_slack.wait_for_calls("chat.stopStream", 1)
        request = httpx.Request(
            "POST",
            f"{bot.url}/slack/events",
            content=body.encode(),
            headers=signed_headers(SIGNING_SECRET, body),
        )
        [ack] = _while_blocked([request])
        assert ack is not None and ack.status_code == 200
        async with reading(database_url) as connection:
            recorded = await connection.scalar(
                select(InboxItem.event_id).where(InboxItem.event_id == "EvFront")
            )
        assert recorded == "EvFront"
        await fake_slack.wait_for_calls("chat.stopStream", 2)
        assert [m.visible_text() for m in fake_slack.thread("C0001", ts)] == [
            "Answered after the wait."
        ]
