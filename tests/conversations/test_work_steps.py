"""Titles for new DM conversations, loading messages, and the SUGGESTED_PROMPTS setting."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.conversations.values import IncomingFile, IncomingMessage
from bot.conversations.work_steps import TITLE_CHARS, loading_messages, thread_title
from bot.errors import ConfigError

REQUIRED = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1", "OPENAI_API_KEY": "k"}


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("What is DNS?", "What is DNS?"),
        (
            "<@U0BOT> compare <https://a.io/x|these docs> with <#C1|general>",
            "compare these docs with general",
        ),
        ("\n\n  **Plan** the offsite\nwith details", "Plan the offsite"),
        ("", "New conversation"),
        ("<@U0BOT>", "New conversation"),
        ("word " * 30, ("word " * 12).strip() + "…"),
    ],
)
def test_titles_are_short_readable_first_lines(text: str, title: str) -> None:
    assert thread_title(text) == title
    assert len(thread_title(text)) <= TITLE_CHARS + 1


def test_loading_messages_fit_the_work_and_slacks_limits() -> None:
    message = IncomingMessage(
        "Ev1",
        "T1",
        None,
        "D1",
        True,
        "U1",
        "hi",
        "1.1",
        "1.1",
        False,
        files=(IncomingFile("F1", "a.png", "image/png", 10, "https://files.slack.com/a"),),
    )
    for shown in (loading_messages(message), loading_messages(message, drawing=True)):
        assert 1 <= len(shown) <= 10 and all(1 <= len(m) <= 50 for m in shown)
    assert "Looking at your attachments…" in loading_messages(message)
    assert loading_messages(message, drawing=True)[0] == "Drawing…"


def test_suggested_prompts_are_title_message_pairs() -> None:
    settings = Settings.from_env({**REQUIRED, "SUGGESTED_PROMPTS": " A | one ;B|/imagine two; "})
    assert settings.suggested_prompts == (("A", "one"), ("B", "/imagine two"))
    assert len(Settings.from_env(REQUIRED).suggested_prompts) == 4


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("just a message", "title|message"),
        ("a|1;b|2;c|3;d|4;e|5", "at most 4"),
        ("|m", "title|message"),
    ],
)
def test_bad_suggested_prompts_name_the_variable(value: str, says: str) -> None:
    with pytest.raises(ConfigError) as error:
        Settings.from_env({**REQUIRED, "SUGGESTED_PROMPTS": value})
    assert "SUGGESTED_PROMPTS" in str(error.value) and says in str(error.value)
