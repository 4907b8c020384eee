"""What one answer to a new mention asks of the database (issue 12): the conversation and its
channel settings in one read, the user turn back from its insert, one history read, the
"opening" marker in that same transaction, and nothing an earlier attempt or attached files
would need."""

from __future__ import annotations

import re
import time
from typing import Any

from sqlalchemy import event

from tests.conftest import RunningBot
from tests.fakes.openai import FakeOpenAI, Reply
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_requests import event_body, mention_event, new_ts


async def test_an_answer_to_a_new_mention_makes_only_the_statements_it_needs(
    bot: RunningBot, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    fake_openai.script_chat(Reply("Forty-two."))
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(re.sub(r"\s+", " ", statement))

    engine = bot.server.services.engine.sync_engine  # the answering engine, not intake's
    event.listen(engine, "before_cursor_execute", note)
    try:
        await bot.post(event_body(mention_event("what is the answer?", ts=new_ts())))
        await fake_slack.wait_for_calls("chat.stopStream", 1)
        await bot.server.services.inbox.stop(time.monotonic() + 5)  # the answer is stored
    finally:
        event.remove(engine, "before_cursor_execute", note)

    def count(pattern: str) -> int:
        return sum(1 for s in seen if re.match(pattern, s))

    assert count(r"SELECT conversations\..* LEFT OUTER JOIN channel_settings") == 1
    assert count(r"SELECT channel_settings\.") == 0  # read with the conversation
    assert count(r"INSERT INTO messages .* RETURNING") == 2  # the user turn, then the answer
    assert count(r"SELECT messages\.") == 1  # its history; no read back, no answer, no rounds
    assert count(r"SELECT message_files\.") == 0  # no turn has files
    assert count(r"UPDATE inbox SET reply_ts") == 1  # the marker before opening, only
    turn = next(i for i, s in enumerate(seen) if s.startswith("INSERT INTO messages"))
    marker = next(i for i, s in enumerate(seen) if s.startswith("UPDATE inbox SET reply_ts"))
    # Written with the user turn, not in a transaction of its own (this bot runs on SQLite,
    # where every write transaction begins with a statement of its own).
    assert turn < marker
    assert not [s for s in seen[turn:marker] if s.startswith("BEGIN")]
    # Done, with the answer and its usage. (A delivery that arrived while the loop lagged is
    # claimed by the sweep instead, one more UPDATE of its status, without a reference.)
    assert count(r"UPDATE inbox SET status=.* reference_id=") == 1
    assert count(r"INSERT INTO usage") == 1
