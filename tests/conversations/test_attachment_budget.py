"""The in-flight bound through the real Slack file downloader: a message whose images do not
fit in the process's budget waits for room before it downloads anything."""

from __future__ import annotations

import asyncio

from bot.byte_budget import ByteBudget
from bot.conversations.values import IncomingFile
from bot.conversations.vision import AttachmentLimits, ImageInputs
from bot.slack_input import SlackFileDownloader
from tests.fakes.png import make_png
from tests.fakes.slack import FakeSlack


async def _waiting_now(budget: ByteBudget) -> int:
    return budget.waiting


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
        first = asyncio.create_task(inputs.user_content("one", files[:1], "gpt-4o"))
        await fake_slack.wait_for_downloads(1)  # its bytes are held while Slack is sending
        second = asyncio.create_task(inputs.user_content("two", files[1:], "gpt-4o"))
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
