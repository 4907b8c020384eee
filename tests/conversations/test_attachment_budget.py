"""The in-flight bound through the real Slack file downloader: a message whose images do not
fit in the process's budget waits for room before it downloads anything, and room is given
back only once the answer that carries the images is done."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import pytest

from bot.byte_budget import ByteBudget
from bot.conversations.values import IncomingFile
from bot.conversations.vision import AttachmentLimits, ImageInputs, UserContent
from bot.slack_input import SlackFileDownloader
from tests.conftest import SettingsFactory, start_bot
from tests.fakes.openai import CHAT_PATH, FakeOpenAI, Hold, Reply
from tests.fakes.png import make_png
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_requests import event_body, mention_event


async def _waiting_now(budget: ByteBudget) -> int:
    return budget.waiting


async def _content(inputs: ImageInputs, text: str, files: list[IncomingFile]) -> UserContent:
    """The content, with its hold on the budget released as soon as it is built."""
    async with AsyncExitStack() as holds:
        return await inputs.user_content(text, files, "gpt-4o", holds)


async def test_a_download_waits_for_room_in_the_in_flight_budget(fake_slack: FakeSlack) -> None:
    pngs = [make_png(31), make_png(32)]
    files = [
        IncomingFile(
            f"F{i}",
            f"{i}.png",
            "image/png",
            len(png),
            fake_slack.add_file(f"{i}.png", png, "image/png"),
        )
        for i, png in enumerate(pngs)
    ]
    budget = ByteBudget(max(map(len, pngs)))  # room for one of the two images at a time
    limits = AttachmentLimits(max_images=4, max_bytes=budget.capacity, in_flight=budget)
    downloads = SlackFileDownloader(fake_slack.token, fake_slack.api_url)
    inputs = ImageInputs(downloads, limits=limits)
    release = fake_slack.hold_downloads()
    try:
        first = asyncio.create_task(_content(inputs, "one", files[:1]))
        await fake_slack.wait_for_downloads(1)  # its bytes are held while Slack is sending
        second = asyncio.create_task(_content(inputs, "two", files[1:]))
        # Tasks take their first step in the order they were made: by the time this probe runs,
        # the second message has either parked in the budget or gone on to download.
        assert await asyncio.create_task(_waiting_now(budget)) == 1
        release.set()
        answers = await asyncio.gather(first, second)
    finally:
        release.set()
        await downloads.aclose()
    assert [len(a.message["content"]) for a in answers] == [2, 2]  # text and one image each
    assert len(fake_slack.downloads) == 2
    assert (budget.in_use, budget.waiting) == (0, 0)


class _WatchedBudget(ByteBudget):
    """The process's budget, telling the test each time a message asks it for room."""

    def __init__(self, capacity: int) -> None:
        super().__init__(capacity)
        self.asks = 0
        self.asked = asyncio.Event()

    @asynccontextmanager
    async def hold(self, nbytes: int) -> AsyncIterator[None]:
        self.asks += 1
        self.asked.set()  # set before the wait for room begins, which is synchronous from here
        async with super().hold(nbytes):
            yield


def _image_event(fake_slack: FakeSlack, n: int) -> dict[str, Any]:
    size = 600 * 1024  # two do not fit in 1 MiB
    url = fake_slack.add_file(f"{n}.png", make_png(40 + n), "image/png", size=size)
    files = [
        {
            "id": f"F{n}",
            "name": f"{n}.png",
            "mimetype": "image/png",
            "size": size,
            "url_private": url,
        }
    ]
    return {**mention_event(f"picture {n}"), "files": files}


async def test_an_answers_images_stay_counted_until_the_answer_is_done(
    make_settings: SettingsFactory,
    fake_slack: FakeSlack,
    fake_openai: FakeOpenAI,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The encoded images live in the prompt until the model has answered: a second message
    may not download its images into memory the first one still fills."""
    budgets: list[_WatchedBudget] = []

    def watched(capacity: int) -> _WatchedBudget:
        budgets.append(_WatchedBudget(capacity))
        return budgets[-1]

    monkeypatch.setattr("bot.services.ByteBudget", watched)
    fake_openai.script_chat(Hold(then=Reply("First.")), Reply("Second."))
    settings = make_settings(MAX_ATTACHMENT_MB_IN_FLIGHT="1", MAX_ATTACHMENT_MB_PER_MESSAGE="1")
    bot = await start_bot(settings)
    [budget] = budgets
    try:
        await bot.post(event_body(_image_event(fake_slack, 1)))
        await fake_openai.wait_for_requests(CHAT_PATH, 1)  # the model stalls on the first
        budget.asked.clear()
        await bot.post(event_body(_image_event(fake_slack, 2)))
        async with asyncio.timeout(5):
            await budget.asked.wait()
        assert (budget.waiting, len(fake_slack.downloads)) == (1, 1)
        fake_openai.release()
        await fake_slack.wait_for_calls("chat.stopStream", 2)
    finally:
        await bot.close()
    assert len(fake_slack.downloads) == 2
    assert [r["messages"][-1]["content"][1]["type"] for r in fake_openai.chat_requests()] == [
        "image_url",
        "image_url",
    ]
    assert (budget.in_use, budget.waiting) == (0, 0)
