"""Issue 15, feedback: Slack's feedback control under each answer; every user may vote once per
answer (a later click replaces theirs), hears an ephemeral thank-you, and the control stays. A 👎
opens an optional "what went wrong?" modal whose comment is stored with the vote."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlencode

from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from bot.store.models import Feedback
from tests.conftest import RunningBot
from tests.fakes.openai import FakeOpenAI, Reply
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_content import FakeMessage
from tests.fakes.slack_requests import (
    block_actions_body,
    event_body,
    mention_event,
    new_ts,
    view_submission_body,
)

FORM = "application/x-www-form-urlencoded"


def _click(message: FakeMessage, vote: str, user: str) -> str:
    """A click on the control as Slack sends it: the clicked button's value, the message."""
    [control] = [b for b in message.blocks or [] if b["type"] == "context_actions"]
    [element] = control["elements"]
    button = element["positive_button" if vote == "up" else "negative_button"]
    body = block_actions_body(
        element["action_id"], "", user_id=user, message_ts=message.ts, thread_ts=message.thread_ts
    )
    payload = json.loads(parse_qs(body)["payload"][0])
    payload["actions"][0].update(
        type="feedback_buttons", block_id=control["block_id"], value=button["value"]
    )
    payload["message"].update(blocks=message.blocks)
    payload["trigger_id"] = f"trig-{user}-{vote}"
    return urlencode({"payload": json.dumps(payload)})


async def _votes(database_url: str) -> list[tuple[str, str, str, str | None]]:
    engine = create_async_engine(database_url)
    async with engine.connect() as connection:
        rows = await connection.execute(
            select(
                Feedback.message_ts, Feedback.user_id, Feedback.value, Feedback.comment
            ).order_by(Feedback.user_id)
        )
        found = [(r[0], r[1], r[2], r[3]) for r in rows]
    await engine.dispose()
    return found


async def _answer(bot: RunningBot, fake_slack: FakeSlack, fake_openai: FakeOpenAI) -> FakeMessage:
    fake_openai.script_chat(Reply("An answer."))
    ts = new_ts()
    await bot.post(event_body(mention_event("rate me", ts=ts)))
    await fake_slack.wait_for_calls("chat.stopStream", 1)
    [answer] = fake_slack.thread("C0001", ts)
    return answer


async def test_two_users_vote_on_one_answer_each_is_thanked_and_the_control_stays(
    bot: RunningBot, fake_slack: FakeSlack, fake_openai: FakeOpenAI, sqlite_url: str
) -> None:
    answer = await _answer(bot, fake_slack, fake_openai)
    shown_before = (answer.visible_text(), answer.blocks)

    for user, vote in (("U0ANN", "down"), ("U0BEN", "up"), ("U0ANN", "up")):
        response = await bot.post(_click(answer, vote, user), content_type=FORM)
        assert response.status_code == 200
    await fake_slack.wait_for_calls("chat.postEphemeral", 3)

    assert await _votes(sqlite_url) == [
        (answer.ts, "U0ANN", "up", None),  # her later click replaced her 👎
        (answer.ts, "U0BEN", "up", None),
    ]
    thanks = fake_slack.calls_to("chat.postEphemeral")
    assert [(c.args["user"], c.args["thread_ts"]) for c in thanks] == [
        ("U0ANN", answer.thread_ts),
        ("U0BEN", answer.thread_ts),
        ("U0ANN", answer.thread_ts),
    ]
    assert all(c.args["text"] == "Thanks for your feedback!" for c in thanks)
    assert not fake_slack.calls_to("chat.update")  # the control stays for everyone
    [shown] = fake_slack.thread("C0001", str(answer.thread_ts))
    assert (shown.visible_text(), shown.blocks) == shown_before


async def test_a_thumbs_down_opens_a_modal_whose_comment_is_stored_with_the_vote(
    bot: RunningBot, fake_slack: FakeSlack, fake_openai: FakeOpenAI, sqlite_url: str
) -> None:
    answer = await _answer(bot, fake_slack, fake_openai)

    await bot.post(_click(answer, "up", "U0BEN"), content_type=FORM)
    await bot.post(_click(answer, "down", "U0ANN"), content_type=FORM)
    await fake_slack.wait_for_calls("chat.postEphemeral", 2)
    await fake_slack.wait_for_calls("views.open", 1)
    [opened] = fake_slack.calls_to("views.open")  # only the 👎 asks what went wrong
    assert opened.args["trigger_id"] == "trig-U0ANN-down"
    view = opened.args["view"]
    [comment_block] = view["blocks"]
    assert comment_block["type"] == "input" and comment_block["optional"] is True
    element = comment_block["element"]
    values = {
        comment_block["block_id"]: {
            element["action_id"]: {"type": "plain_text_input", "value": "It got the date wrong."}
        }
    }
    response = await bot.post(
        view_submission_body(view, values, user_id="U0ANN"), content_type=FORM
    )
    assert response.status_code == 200
    assert response.content in (b"", b"{}") or not response.json().get("response_action")

    assert await _votes(sqlite_url) == [
        (answer.ts, "U0ANN", "down", "It got the date wrong."),
        (answer.ts, "U0BEN", "up", None),
    ]


async def test_a_slack_without_the_feedback_control_gets_the_older_buttons(
    bot: RunningBot, fake_slack: FakeSlack, fake_openai: FakeOpenAI, sqlite_url: str
) -> None:
    fake_slack.fail("chat.stopStream", "invalid_blocks")
    fake_openai.script_chat(Reply("First."), Reply("Second."))
    first_ts, second_ts = new_ts(), new_ts()
    await bot.post(event_body(mention_event("one", ts=first_ts)))
    await fake_slack.wait_for_calls("chat.stopStream", 2)
    await bot.post(event_body(mention_event("two", ts=second_ts)))
    await fake_slack.wait_for_calls("chat.stopStream", 3)

    for thread in (first_ts, second_ts):
        [answer] = fake_slack.thread("C0001", thread)
        assert answer.visible_text() in ("First.", "Second.")
        [buttons] = answer.blocks or []
        assert buttons["type"] == "actions"
        assert [b["value"] for b in buttons["elements"]] == [f"up:{answer.ts}", f"down:{answer.ts}"]
    [answer] = fake_slack.thread("C0001", first_ts)
    body = block_actions_body("answer_feedback_down", f"down:{answer.ts}", user_id="U0CAT")
    assert (await bot.post(body, content_type=FORM)).status_code == 200
    assert await _votes(sqlite_url) == [(answer.ts, "U0CAT", "down", None)]


async def test_buttons_posted_before_this_version_still_record_votes(
    bot: RunningBot, fake_slack: FakeSlack, fake_openai: FakeOpenAI, sqlite_url: str
) -> None:
    answer = await _answer(bot, fake_slack, fake_openai)
    # The older buttons' value was the answer's ts alone; the action id said the vote.
    body = block_actions_body("answer_feedback_up", answer.ts, user_id="U0OLD")
    assert (await bot.post(body, content_type=FORM)).status_code == 200
    assert await _votes(sqlite_url) == [(answer.ts, "U0OLD", "up", None)]
