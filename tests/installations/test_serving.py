"""Issue 17: every delivery served with the token of the workspace (or org) it came from."""

from __future__ import annotations

import asyncio

from bot.store.models import Conversation
from tests.conftest import RunningBot
from tests.db_reads import stored
from tests.fakes.openai import FakeOpenAI, Reply
from tests.fakes.slack import FakeSlack, Workspace
from tests.fakes.slack_requests import event_body, message_event, new_ts
from tests.installations.conftest import ACME, GLOBEX, install


def mention_in(
    workspace: Workspace, text: str, *, channel: str = "C0001", thread_ts: str | None = None
) -> dict[str, object]:
    """An app_mention from a person of ``workspace``, mentioning that workspace's bot user."""
    return message_event(
        f"<@{workspace.bot_user_id}> {text}",
        channel=channel,
        thread_ts=thread_ts,
        type="app_mention",
        team=workspace.team_id,
    )


async def post_in(bot: RunningBot, workspace: Workspace, event: dict[str, object]) -> None:
    body = event_body(
        event,
        team_id=workspace.team_id or "T0ORG",
        authed_user=workspace.bot_user_id,
        enterprise_id=workspace.enterprise_id,
        is_enterprise_install=workspace.org_wide,
    )
    response = await bot.post(body)
    assert response.status_code == 200, response.text


def _user_texts(request: dict[str, object]) -> list[str]:
    messages = request["messages"]
    assert isinstance(messages, list)
    return [m["content"] for m in messages if m["role"] != "system"]


async def test_an_event_from_a_workspace_is_answered_with_its_token(
    oauth_bot: RunningBot, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    await install(oauth_bot, fake_slack, ACME)
    [acme_token] = fake_slack.oauth.tokens
    fake_openai.script_chat(Reply("Hello Acme."))
    event = mention_in(ACME, "hi")
    await post_in(oauth_bot, ACME, event)
    await fake_slack.wait_for_calls("chat.stopStream", 1)

    [answer] = fake_slack.thread("C0001", str(event["ts"]))
    assert answer.visible_text() == "Hello Acme."
    assert answer.user == "U0ACMEBOT"
    answering = [c for c in fake_slack.calls if c.method.startswith(("chat.", "assistant."))]
    assert answering and {c.token for c in answering} == {acme_token}
    start = fake_slack.calls_to("chat.startStream")[0].args
    assert start["recipient_team_id"] == "T0002"
    # The mention of Acme's own bot user is taken out of what the model reads.
    assert _user_texts(fake_openai.chat_requests()[0]) == ["hi"]


async def test_two_workspaces_each_see_only_their_own_history(
    oauth_bot: RunningBot, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    await install(oauth_bot, fake_slack, ACME)
    await install(oauth_bot, fake_slack, GLOBEX)
    fake_openai.script_chat(Reply("A1"), Reply("G1"), Reply("A2"), Reply("G2"))
    # The same channel id and thread ts in both: only the team tells them apart.
    root = new_ts()
    turns = [
        (ACME, {**mention_in(ACME, "acme secret plan"), "ts": root, "event_ts": root}),
        (GLOBEX, {**mention_in(GLOBEX, "globex secret plan"), "ts": root, "event_ts": root}),
        (ACME, message_event("and next?", thread_ts=root, team="T0002")),
        (GLOBEX, message_event("and then?", thread_ts=root, team="T0003")),
    ]
    for answered, (workspace, event) in enumerate(turns, start=1):
        await post_in(oauth_bot, workspace, event)
        await fake_slack.wait_for_calls("chat.stopStream", answered)

    requests = fake_openai.chat_requests()
    assert _user_texts(requests[2]) == ["acme secret plan", "A1", "and next?"]
    assert _user_texts(requests[3]) == ["globex secret plan", "G1", "and then?"]
    acme_calls = fake_slack.calls_with_token_of("T0002")
    globex_calls = fake_slack.calls_with_token_of("T0003")
    assert len(fake_slack.calls_to("chat.stopStream")) == 4
    assert [c.method for c in acme_calls].count("chat.stopStream") == 2
    assert [c.method for c in globex_calls].count("chat.stopStream") == 2


async def test_an_org_wide_install_serves_every_workspace_of_the_org(
    oauth_bot: RunningBot, fake_slack: FakeSlack, fake_openai: FakeOpenAI, sqlite_url: str
) -> None:
    org = Workspace(
        None,
        None,
        bot_user_id="U0ORGBOT",
        bot_id="B0ORG",
        enterprise_id="E0001",
        enterprise_name="Initech",
        org_wide=True,
    )
    attempt = await install(oauth_bot, fake_slack, org)
    assert attempt.done.status_code == 200
    [org_token] = fake_slack.oauth.tokens
    fake_openai.script_chat(Reply("Hello Initech."))
    workspace = Workspace("T0042", "Initech Sales", "U0ORGBOT", "B0ORG", "E0001", org_wide=True)
    event = mention_in(workspace, "hi from sales")
    await post_in(oauth_bot, workspace, event)
    await fake_slack.wait_for_calls("chat.stopStream", 1)

    assert {c.token for c in fake_slack.calls_to("chat.stopStream")} == {org_token}
    [conversation] = await stored(sqlite_url, Conversation)
    assert (conversation.team_id, conversation.enterprise_id) == ("T0042", "E0001")


async def test_an_event_from_a_workspace_without_installation_is_not_answered(
    oauth_bot: RunningBot, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    await install(oauth_bot, fake_slack, ACME)
    stranger = Workspace("T0666", "Nobody", bot_user_id="U0X", bot_id="B0X")
    await post_in(oauth_bot, stranger, mention_in(stranger, "hello?"))
    # The acknowledgement above came after the decision: nothing was recorded to answer.
    assert fake_openai.chat_requests() == []
    assert fake_slack.calls_to("chat.startStream") == []


async def test_concurrent_events_with_an_expiring_token_refresh_it_once(
    fake_slack: FakeSlack, fake_openai: FakeOpenAI, sqlite_url: str
) -> None:
    from tests.installations.conftest import start_oauth_bot

    bot = await start_oauth_bot(fake_slack, fake_openai, sqlite_url)
    try:
        rotating = Workspace("T0002", "Acme", "U0ACMEBOT", "B0ACME", expires_in=600)
        await install(bot, fake_slack, rotating)
        [first_token] = fake_slack.oauth.tokens
        fake_openai.script_chat(*(Reply(f"answer {n}") for n in range(5)))
        await asyncio.gather(
            *(post_in(bot, rotating, mention_in(rotating, f"question {n}")) for n in range(5))
        )
        await fake_slack.wait_for_calls("chat.stopStream", 5)
    finally:
        await bot.close()

    assert fake_slack.oauth.refreshes == ["T0002"]
    [refresh] = [c for c in fake_slack.calls_to("oauth.v2.access") if "refresh_token" in c.args]
    assert refresh.args["grant_type"] == "refresh_token"
    streamed = {c.token for c in fake_slack.calls_to("chat.stopStream")}
    assert len(streamed) == 1 and first_token not in streamed
    # The first token served only the install's own auth.test: every answer had the new one.
    assert {c.method for c in fake_slack.calls if c.token == first_token} == {"auth.test"}


async def test_single_workspace_mode_is_as_before(
    bot: RunningBot, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    """SLACK_BOT_TOKEN: no install pages, no stored installations, the one token answers."""
    assert (await bot.http.get("/slack/install")).status_code == 404
    assert bot.server.services.installations is None
    fake_openai.script_chat(Reply("Same as ever."))
    response = await bot.post(event_body(message_event("<@U0BOT> hi", type="app_mention")))
    assert response.status_code == 200
    await fake_slack.wait_for_calls("chat.stopStream", 1)
    assert {c.token for c in fake_slack.calls if c.method.startswith("chat.")} == {fake_slack.token}


async def test_the_home_tab_is_published_with_the_viewing_workspaces_token(
    oauth_bot: RunningBot, fake_slack: FakeSlack
) -> None:
    await install(oauth_bot, fake_slack, ACME)
    await install(oauth_bot, fake_slack, GLOBEX)
    opened = {"type": "app_home_opened", "user": "U0GLOBEXUSER", "channel": "D0G", "tab": "home"}

    await post_in(oauth_bot, GLOBEX, opened)
    await fake_slack.wait_for_calls("views.publish", 1)

    # Bolt's listeners run after its middleware: they still carry the authorized team's token.
    [publish] = fake_slack.calls_to("views.publish")
    assert publish.args["user_id"] == "U0GLOBEXUSER"
    globex_calls = fake_slack.calls_with_token_of("T0003")
    assert publish in globex_calls
    assert {"users.info", "views.publish"} <= {c.method for c in globex_calls}
