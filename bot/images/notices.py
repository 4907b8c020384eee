"""What ``/imagine`` says to people: progress, the file comment, where an image went, and
failures in plain words with a reference id. Slack mrkdwn; user text is escaped so a prompt
(or a revised prompt, or a mistyped option) can never ping anyone or forge a link."""

from __future__ import annotations

from collections.abc import Sequence

from bot.errors import (
    BotError,
    ModelRateLimited,
    ModelRefused,
    ModelTimeout,
    ModelUnavailable,
    SlackDeliveryError,
)
from bot.images.options import ImagineRequest
from bot.openai_api.images import GeneratedImage
from bot.slack_output.safe_text import escape_mrkdwn

_PREVIEW_CHARS = 200


def _quoted(prompt: str, limit: int | None = _PREVIEW_CHARS) -> str:
    shown = prompt if limit is None or len(prompt) <= limit else prompt[: limit - 1] + "…"
    return f"“{escape_mrkdwn(shown)}”"


def generating_notice(request: ImagineRequest) -> str:
    what = "your image" if request.n == 1 else f"{request.n} images"
    return (
        f":art: Generating {what} for {_quoted(request.prompt)}… "
        "It will appear in this channel in a moment."
    )


def usage_error_notice(problem: str, usage: str) -> str:
    """``problem`` may quote what was typed, so it is escaped; ``usage`` is the bot's own."""
    return f":warning: {escape_mrkdwn(problem)}\n\n{usage}"


def image_comment(user_id: str, prompt: str, images: Sequence[GeneratedImage]) -> str:
    """The comment the files are shared with: who asked, the prompt, and any revised prompt."""
    lines = [f"<@{user_id}> asked for {_quoted(prompt, None)}"]
    revised = [r for r in dict.fromkeys(i.revised_prompt for i in images) if r and r != prompt]
    lines += [f"_Revised prompt:_ {_quoted(r, None)}" for r in revised]
    return "\n".join(lines)


def moved_to_dm_notice(channel_id: str, bot_user_id: str | None) -> str:
    """Heads the DM comment when the channel refused the upload: where it went and the fix."""
    me = f"<@{bot_user_id}>" if bot_user_id else "@the-bot"
    if channel_id.startswith("D"):
        return (
            ":information_source: I can't post in that direct message, so your image is here. "
            "To get images where you ask for them, use `/imagine` in a channel I'm in."
        )
    return (
        f":information_source: I couldn't post in <#{channel_id}> because I'm not a member, "
        f"so your image is here instead. To get images there, add me with /invite {me}"
    )


def failure_notice(error: BaseException, reference_id: str) -> str:
    """One friendly sentence for the person who asked; the cause goes to the log with the id."""
    if isinstance(error, ModelRefused):
        what = (
            ":no_entry_sign: Your `/imagine` request was declined: the image service's content "
            "policy does not allow this prompt, so no image was made. Try describing it "
            "differently."
        )
    elif isinstance(error, ModelRateLimited):
        what = (
            ":hourglass: The image service is busy right now and kept asking us to slow down, "
            "so your image wasn't made. Please try `/imagine` again in a minute."
        )
    elif isinstance(error, ModelTimeout | ModelUnavailable):
        what = ":warning: I couldn't reach the image service in time. Please try again shortly."
    elif isinstance(error, SlackDeliveryError):
        what = ":warning: Your image was made, but I couldn't post it to Slack."
    elif isinstance(error, BotError):
        what = (
            ":warning: The image service had a problem and couldn't make your image. "
            "Please try again shortly."
        )
    else:
        what = ":warning: Sorry, something went wrong on my side while making your image."
    return f"{what} (reference: `{reference_id}`)"
