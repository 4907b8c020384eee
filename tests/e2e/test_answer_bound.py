"""Issue 14, bounded answers and history: ``ANSWER_MAX_TOKENS`` on every chat request (with
the fallback to ``max_tokens`` servers need, remembered), an answer cut at the limit says so,
and ``HISTORY_MAX_TOKENS`` caps the history sent to a 1M-token model."""

from __future__ import annotations

import pytest

from bot.conversations.notices import LENGTH_CUT_MARK, history_capped_footnote
from bot.conversations.tokens import TokenCounter
from tests.conftest import SettingsFactory
from tests.e2e.seeding import seed_thread
from tests.e2e.threads import converse, learned_rows
from tests.fakes.openai import FakeOpenAI, Reply
from tests.fakes.openai_servers import Flavour, ModelServer
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_requests import new_ts

LONG_ANSWER = "A long explanation of the rollout, step by step. " * 40  # ~2,000 characters


async def _answer_bounds(database_url: str) -> list[tuple[str, str | None]]:
    return [(row.model, row.answer_bound) for row in await learned_rows(database_url)]


async def test_every_request_is_bounded_and_an_answer_cut_at_the_limit_says_so(
    make_settings: SettingsFactory, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    fake_openai.script_chat(Reply(LONG_ANSWER), Reply("Short."))
    root = await converse(
        make_settings(ANSWER_MAX_TOKENS="50"),
        fake_slack,
        ["explain the rollout", "thanks, and then?"],
    )

    first, second = fake_openai.chat_requests()
    assert first["max_completion_tokens"] == second["max_completion_tokens"] == 50
    assert "max_tokens" not in first
    cut, whole = fake_slack.thread("C0001", root)
    assert cut.visible_text().endswith(LENGTH_CUT_MARK)
    assert cut.visible_text().startswith(LONG_ANSWER[:150])
    assert whole.visible_text() == "Short."
    remembered = second["messages"][-2]
    assert remembered["role"] == "assistant"
    assert LENGTH_CUT_MARK not in remembered["content"]  # the mark is for people, not the model


@pytest.mark.parametrize("flavour", ["vllm-legacy", "litellm", "azure", "llama.cpp", "openai"])
async def test_a_server_that_refuses_max_completion_tokens_gets_max_tokens_from_then_on(
    make_settings: SettingsFactory,
    fake_slack: FakeSlack,
    fake_openai: FakeOpenAI,
    sqlite_url: str,
    flavour: Flavour,
) -> None:
    fake_openai.server = ModelServer(flavour, rejects_max_completion_tokens=True)
    fake_openai.script_chat(Reply(LONG_ANSWER), Reply("Short."))
    root = await converse(
        make_settings(ANSWER_MAX_TOKENS="50"), fake_slack, ["explain the rollout", "and then?"]
    )

    refused, retried, next_turn = fake_openai.chat_requests()
    assert refused["max_completion_tokens"] == 50 and "max_tokens" not in refused
    for request in (retried, next_turn):
        assert request["max_tokens"] == 50 and "max_completion_tokens" not in request
    cut, _ = fake_slack.thread("C0001", root)
    assert cut.visible_text().endswith(LENGTH_CUT_MARK)
    assert fake_slack.calls_to("chat.postMessage") == []  # no failure notice
    assert await _answer_bounds(sqlite_url) == [("gpt-4o-mini", "max_tokens")]


async def test_a_server_that_ignores_max_completion_tokens_gets_max_tokens_next_time(
    make_settings: SettingsFactory, fake_slack: FakeSlack, fake_openai: FakeOpenAI, sqlite_url: str
) -> None:
    fake_openai.server = ModelServer("ollama")  # takes max_tokens only, ignores the other
    fake_openai.script_chat(Reply(LONG_ANSWER), Reply(LONG_ANSWER))
    root = await converse(
        make_settings(OPENAI_MODEL="llama3.1", ANSWER_MAX_TOKENS="50"),
        fake_slack,
        ["explain the rollout", "again, please"],
    )

    first, second = fake_openai.chat_requests()
    assert first["max_completion_tokens"] == 50
    assert second["max_tokens"] == 50 and "max_completion_tokens" not in second
    unbounded, bounded = fake_slack.thread("C0001", root)
    assert unbounded.visible_text().startswith(LONG_ANSWER.strip())
    assert bounded.visible_text().endswith(LENGTH_CUT_MARK)
    assert await _answer_bounds(sqlite_url) == [("llama3.1", "max_tokens")]


async def test_history_max_tokens_caps_the_history_of_a_1m_token_model(
    make_settings: SettingsFactory, sqlite_url: str, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    root = new_ts()
    turn = "the rollout moves the database first, then the workers, " * 8
    await seed_thread(sqlite_url, root, [f"turn {i}: {turn}" for i in range(300)])
    fake_openai.script_chat(Reply("Here is the gist."))
    settings = make_settings(OPENAI_MODEL="gpt-4.1", HISTORY_MAX_TOKENS="3000")
    await converse(settings, fake_slack, ["so what now?"], root=root)

    [request] = fake_openai.chat_requests()
    history = request["messages"][1:-1]
    sent = TokenCounter().count_messages("gpt-4.1", history)
    assert 2_500 < sent <= 3_000  # far below the 1,047,576-token window
    assert history[-1]["content"] == f"turn 299: {turn}"
    assert request["max_completion_tokens"] == 4_096
    [answer] = fake_slack.thread("C0001", root)
    assert answer.visible_text().endswith(history_capped_footnote(3_000))
