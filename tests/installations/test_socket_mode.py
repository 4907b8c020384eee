"""Issue 17 in Socket Mode: the install pages are served on PORT, events come over the socket
and are answered with the installing workspace's token."""

from __future__ import annotations

import json

from tests.fakes.openai import FakeOpenAI, Reply
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_requests import event_body
from tests.fakes.slack_socket import APP_TOKEN
from tests.installations.conftest import ACME, install, start_oauth_bot
from tests.installations.test_serving import mention_in


async def test_socket_mode_serves_the_install_pages_and_each_teams_token(
    fake_slack: FakeSlack, fake_openai: FakeOpenAI, sqlite_url: str
) -> None:
    bot = await start_oauth_bot(
        fake_slack, fake_openai, sqlite_url, SLACK_APP_TOKEN=APP_TOKEN, SLACK_SIGNING_SECRET=""
    )
    try:
        assert bot.server.settings.socket_mode
        attempt = await install(bot, fake_slack, ACME)
        assert attempt.done.status_code == 200
        [acme_token] = fake_slack.oauth.tokens
        fake_openai.script_chat(Reply("Hello over the socket."))
        event = mention_in(ACME, "hi")
        body = json.loads(event_body(event, team_id="T0002", authed_user=ACME.bot_user_id))
        envelope = await fake_slack.socket.deliver(body)
        await fake_slack.socket.wait_for_ack(envelope)
        await fake_slack.wait_for_calls("chat.stopStream", 1)
    finally:
        await bot.close()

    [answer] = fake_slack.thread("C0001", str(event["ts"]))
    assert answer.visible_text() == "Hello over the socket."
    assert {c.token for c in fake_slack.calls_to("chat.stopStream")} == {acme_token}
    # The app-level token only opens the socket; it answers nothing.
    assert {c.method for c in fake_slack.calls if c.token == APP_TOKEN} == {"apps.connections.open"}
