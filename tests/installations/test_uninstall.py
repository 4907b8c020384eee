"""Issue 17: ``app_uninstalled`` and ``tokens_revoked`` let a workspace go, and only it."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from bot.conversations.values import IncomingMessage
from bot.store.db import create_session_factory
from bot.store.models import Conversation, Feedback, InboxItem, InboxStatus, Installation
from tests.conftest import RunningBot
from tests.db_reads import reading, stored
from tests.fakes.openai import FakeOpenAI, Reply
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_requests import event_body, new_ts
from tests.installations.conftest import ACME, GLOBEX, install, start_oauth_bot
from tests.installations.test_serving import mention_in, post_in


async def _waiting_delivery(sqlite_url: str, team_id: str) -> str:
    """A delivery recorded but not answered yet (no room for it when it arrived)."""
    ts = new_ts()
    message = IncomingMessage(
        f"EvWait{team_id}", team_id, None, "C0001", False, "U0USER", "", ts, ts, True
    )
    engine = create_async_engine(sqlite_url)
    try:
        async with create_session_factory(engine).begin() as session:
            session.add(
                InboxItem(
                    event_id=message.event_id,
                    team_id=team_id,
                    kind="message",
                    payload=message.to_payload(),
                    text="a question that waits",
                    status=InboxStatus.PENDING,
                )
            )
    finally:
        await engine.dispose()
    return message.event_id


async def _vote(sqlite_url: str, team_id: str) -> None:
    """A 👎 with a comment on one of the workspace's answers."""
    engine = create_async_engine(sqlite_url)
    try:
        async with create_session_factory(engine).begin() as session:
            session.add(
                Feedback(
                    team_id=team_id,
                    channel_id="C0001",
                    message_ts=new_ts(),
                    user_id="U0USER",
                    value="down",
                    comment="what I thought of it",
                )
            )
    finally:
        await engine.dispose()


async def _rows(sqlite_url: str) -> tuple[list[str], list[str], list[str]]:
    """Installed team ids, inbox event ids, conversation team ids."""
    async with reading(sqlite_url) as connection:
        teams = list(await connection.scalars(select(Installation.team_id)))
        events = list(await connection.scalars(select(InboxItem.event_id)))
        conversations = list(await connection.scalars(select(Conversation.team_id)))
    return sorted(teams), events, sorted(conversations)


async def _converse(bot: RunningBot, slack: FakeSlack, openai: FakeOpenAI) -> None:
    openai.script_chat(Reply("A."), Reply("G."))
    for answered, workspace in enumerate((ACME, GLOBEX), start=1):
        await post_in(bot, workspace, mention_in(workspace, "remember this"))
        await slack.wait_for_calls("chat.stopStream", answered)


@pytest.mark.parametrize("purge", [False, True], ids=["keep", "purge"])
async def test_app_uninstalled_removes_the_installation_and_drops_its_waiting_work(
    fake_slack: FakeSlack,
    fake_openai: FakeOpenAI,
    sqlite_url: str,
    caplog: pytest.LogCaptureFixture,
    purge: bool,
) -> None:
    bot = await start_oauth_bot(
        fake_slack, fake_openai, sqlite_url, PURGE_ON_UNINSTALL=str(purge).lower()
    )
    try:
        await install(bot, fake_slack, ACME)
        await install(bot, fake_slack, GLOBEX)
        await _converse(bot, fake_slack, fake_openai)
        acme_waiting = await _waiting_delivery(sqlite_url, "T0002")
        globex_waiting = await _waiting_delivery(sqlite_url, "T0003")
        for team_id in ("T0002", "T0003"):
            await _vote(sqlite_url, team_id)
        caplog.set_level(logging.INFO, logger="bot")

        response = await bot.post(event_body({"type": "app_uninstalled"}, team_id="T0002"))
        assert response.status_code == 200

        teams, events, conversations = await _rows(sqlite_url)
        assert teams == ["T0003"]
        assert acme_waiting not in events and globex_waiting in events
        assert conversations == (["T0003"] if purge else ["T0002", "T0003"])
        votes = sorted(f.team_id for f in await stored(sqlite_url, Feedback))
        assert votes == (["T0003"] if purge else ["T0002", "T0003"])
        [line] = [r.getMessage() for r in caplog.records if "uninstalled" in r.getMessage()]
        assert "1 unanswered deliveries dropped" in line
        assert f"{int(purge)} conversations purged" in line

        # Later events from that workspace are not answered; the other one still is.
        fake_openai.script_chat(Reply("Still here, Globex."))
        await post_in(bot, ACME, mention_in(ACME, "anyone?"))
        await post_in(bot, GLOBEX, mention_in(GLOBEX, "anyone?"))
        await fake_slack.wait_for_calls("chat.stopStream", 3)
    finally:
        await bot.close()
    assert len(fake_openai.chat_requests()) == 3
    assert [c.method for c in fake_slack.calls_with_token_of("T0002")].count("chat.stopStream") == 1


async def test_a_revoked_bot_token_ends_the_installation(
    oauth_bot: RunningBot, fake_slack: FakeSlack, fake_openai: FakeOpenAI, sqlite_url: str
) -> None:
    await install(oauth_bot, fake_slack, ACME)
    revoked = {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["U0ACMEBOT"]}}
    fake_slack.oauth.revoke("T0002")

    response = await oauth_bot.post(event_body(revoked, team_id="T0002"))

    assert response.status_code == 200
    teams, _events, _conversations = await _rows(sqlite_url)
    assert teams == []
    await post_in(oauth_bot, ACME, mention_in(ACME, "hello?"))
    assert fake_openai.chat_requests() == []


async def test_revoked_user_tokens_leave_the_bot_installed(
    oauth_bot: RunningBot, fake_slack: FakeSlack, sqlite_url: str
) -> None:
    await install(oauth_bot, fake_slack, ACME)
    revoked = {"type": "tokens_revoked", "tokens": {"oauth": ["U0ADMIN"], "bot": []}}
    response = await oauth_bot.post(event_body(revoked, team_id="T0002"))
    assert response.status_code == 200
    teams, _events, _conversations = await _rows(sqlite_url)
    assert teams == ["T0002"]
