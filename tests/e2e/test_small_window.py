"""Issue 14, context that always fits: a long thread on a server with a 2,500-token window, told
(``MODEL_CONTEXT_TOKENS``) or learned from the server's own errors, in each server's wording;
the learned window shared through the database."""

from __future__ import annotations

import pytest

from bot.conversations.notices import DROPPED_FOOTNOTE
from tests.conftest import SettingsFactory, start_bot
from tests.e2e.seeding import seed_thread
from tests.e2e.threads import converse, learned_rows
from tests.fakes.openai import Error, FakeOpenAI, Reply
from tests.fakes.openai_servers import Flavour, ModelServer
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_requests import event_body, mention_event, new_ts

WINDOW = 2_500
TURNS = 12


def _small_server(flavour: Flavour) -> ModelServer:
    """A llama-like tokenizer: about 3 characters a token and 4 of framing per message, where
    OpenAI's o200k (our count for gpt-4o-mini) takes 4-5 characters a token."""
    return ModelServer(flavour, context_window=WINDOW, chars_per_token=3.0, message_tokens=4)


def _long_turn(index: int) -> str:
    return f"turn {index}: " + "the rollout moves the database first, then the workers, " * 11


def _bound(request: dict[str, object]) -> object:
    return request.get("max_completion_tokens", request.get("max_tokens"))


def _assert_all_answered(fake_slack: FakeSlack, root: str, turns: int) -> None:
    answers = fake_slack.thread("C0001", root)
    assert [a.visible_text().split(":", 2)[:2] for a in answers] == [
        ["Echo", f" turn {i}"] for i in range(turns)
    ]
    assert fake_slack.calls_to("chat.postMessage") == []  # no "thread too long" notice


def _fits(server: ModelServer, request: dict[str, object]) -> bool:
    return server.refuse(request) is None


@pytest.mark.parametrize("flavour", ["openai", "vllm", "vllm-legacy", "llama.cpp", "litellm"])
async def test_twelve_long_turns_are_answered_with_the_window_learned_from_errors(
    make_settings: SettingsFactory,
    fake_slack: FakeSlack,
    fake_openai: FakeOpenAI,
    sqlite_url: str,
    flavour: Flavour,
) -> None:
    fake_openai.server = _small_server(flavour)
    settings = make_settings()  # gpt-4o-mini: 128,000 tokens by the built-in table
    root = await converse(settings, fake_slack, [_long_turn(i) for i in range(TURNS)])

    _assert_all_answered(fake_slack, root, TURNS)
    requests = fake_openai.chat_requests()
    assert all(_bound(r) is not None for r in requests)
    refused = [r for r in requests if not _fits(fake_openai.server, r)]
    assert 1 <= len(refused) <= 3  # learned (the count settles in a refit or two), then kept
    assert len(requests) == TURNS + len(refused)
    assert _bound(requests[-1]) == WINDOW // 2
    [row] = await learned_rows(sqlite_url)
    assert (row.model, row.context_tokens, row.assumed_tokens) == ("gpt-4o-mini", WINDOW, 128_000)
    assert 1.2 < row.token_ratio < 2.0  # the server counts more than we do
    assert row.server == fake_openai.base_url


async def test_twelve_long_turns_are_answered_with_model_context_tokens_set(
    make_settings: SettingsFactory, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    fake_openai.server = _small_server("vllm")
    settings = make_settings(MODEL_CONTEXT_TOKENS=str(WINDOW))
    root = await converse(settings, fake_slack, [_long_turn(i) for i in range(TURNS)])

    _assert_all_answered(fake_slack, root, TURNS)
    requests = fake_openai.chat_requests()
    assert [_bound(r) for r in requests] == [WINDOW // 2] * len(requests)
    refused = [r for r in requests if not _fits(fake_openai.server, r)]
    assert 1 <= len(refused) <= 2  # only our count was off: corrected by the server's figures
    assert len(requests) == TURNS + len(refused)
    assert DROPPED_FOOTNOTE in fake_slack.thread("C0001", root)[-1].visible_text()


async def test_another_replica_uses_the_learned_window_without_an_error(
    make_settings: SettingsFactory, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    fake_openai.server = _small_server("openai")
    settings = make_settings()
    root = await converse(settings, fake_slack, [_long_turn(i) for i in range(3)])
    learned = len(fake_openai.chat_requests())

    # A fresh bot, as another replica: nothing cached, the same database.
    await converse(settings, fake_slack, [_long_turn(3)], root=root)

    [request] = fake_openai.chat_requests()[learned:]
    assert _fits(fake_openai.server, request)
    assert _bound(request) == WINDOW // 2


async def test_after_two_refits_without_figures_the_user_is_told(
    make_settings: SettingsFactory, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    unsaid = "Your input exceeds the context window of this model."
    fake_openai.script_chat(*[Error(400, "context_length_exceeded", unsaid)] * 3)
    root = new_ts()
    bot = await start_bot(make_settings(MODEL_CONTEXT_TOKENS="6000"))
    try:
        event = mention_event(_long_turn(0), ts=root)
        assert (await bot.post(event_body(event))).status_code == 200
        await fake_slack.wait_for_calls("chat.postMessage", 1)
    finally:
        await bot.close()

    requests = fake_openai.chat_requests()
    assert len(requests) == 3  # the first try and two refits, no more
    [notice] = fake_slack.calls_to("chat.postMessage")
    assert "too long for the model" in str(notice.args["text"])
    assert "reference" in str(notice.args["text"])


async def test_a_refit_without_figures_shrinks_the_prompt_and_is_not_remembered(
    make_settings: SettingsFactory, fake_slack: FakeSlack, fake_openai: FakeOpenAI, sqlite_url: str
) -> None:
    root = new_ts()
    await seed_thread(sqlite_url, root, [_long_turn(i) for i in range(40)])
    fake_openai.script_chat(
        Error(400, "context_length_exceeded", "Context too long."), Reply("ok"), Reply("again")
    )
    settings = make_settings(MODEL_CONTEXT_TOKENS="6000", ANSWER_MAX_TOKENS="1000")
    await converse(settings, fake_slack, ["first?", "second?"], root=root)

    first, refit, next_turn = fake_openai.chat_requests()
    assert len(refit["messages"]) < len(first["messages"])
    assert len(next_turn["messages"]) > len(refit["messages"])  # the guess was that answer's
    assert await learned_rows(sqlite_url) == []
