"""Which models see images, and where the bot token may go."""

from __future__ import annotations

import pytest

from bot.conversations.vision import supports_images
from bot.slack_input.files import SlackFileDownloader


@pytest.mark.parametrize(
    ("model", "extra", "expected"),
    [
        ("gpt-4o-mini", "", True),
        ("openai/gpt-4.1", "", True),
        ("gpt-5-nano", "", True),
        ("o3", "", True),
        ("o4-mini", "", True),
        ("gpt-4-turbo-2024-04-09", "", True),
        ("o1-mini", "", False),
        ("o3-mini", "", False),
        ("gpt-3.5-turbo", "", False),
        ("gpt-4", "", False),
        ("llama3:8b", "", False),
        ("my-deployment", "other, my-dep", True),
    ],
)
def test_vision_by_model_name(model: str, extra: str, expected: bool) -> None:
    assert supports_images(model, extra.split(",")) is expected


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://files.slack.com/files-pri/T1-F1/a.png", True),
        ("https://slack-files.com/T1-F1-abc", True),
        ("https://files.slack-gov.com/files-pri/T1-F1/a.png", False),
        ("http://files.slack.com/files-pri/T1-F1/a.png", False),
        ("https://files.slack.com:8443/a.png", False),
        ("https://files.slack.com.evil.com/a.png", False),
        ("https://evil.com/files.slack.com/a.png", False),
        ("http://127.0.0.1:9999/files-pri/T1-F1/a.png", False),
        ("http://127.0.0.1:8080/files-pri/T1-F1/a.png", True),  # the configured API's origin
    ],
)
async def test_token_goes_only_to_slack_file_hosts(url: str, allowed: bool) -> None:
    downloads = SlackFileDownloader("xoxb-t", "http://127.0.0.1:8080/api/")
    try:
        assert downloads.is_slack_file_url(url) is allowed
    finally:
        await downloads.aclose()


async def test_govslack_file_host_follows_the_api_host() -> None:
    downloads = SlackFileDownloader("xoxb-t", "https://slack-gov.com/api/")
    try:
        assert downloads.is_slack_file_url("https://files.slack-gov.com/files-pri/T1-F1/a.png")
    finally:
        await downloads.aclose()
