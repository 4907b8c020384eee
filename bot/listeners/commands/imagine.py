"""``/imagine``: acknowledge within Slack's 3 seconds (progress, help, what is wrong with the
input, or that the person may not use it here), then let the image service generate in the
background.

Not a Bolt lazy listener: Bolt deep-copies the whole request, Web API client included, for
each lazy function, which fails when anything the client holds cannot be copied (the metrics'
locks) and costs a copy per command. The service's own task does the same job and is drained
at shutdown."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.images.service import ImageService, ImagineCommand


async def handle_imagine(
    ack: AsyncAck, command: Mapping[str, Any], bot_user_id: str | None, images: ImageService
) -> None:
    plan = images.plan(str(command.get("text") or ""))
    if plan.request is None:
        await ack(text=plan.reply, response_type="ephemeral")
        return
    imagine = ImagineCommand(
        team_id=str(command.get("team_id") or ""),
        enterprise_id=command.get("enterprise_id") or None,
        channel_id=str(command.get("channel_id") or ""),
        user_id=str(command.get("user_id") or ""),
        bot_user_id=bot_user_id,
        request=plan.request,
    )
    refusal = await images.admit(imagine)
    # Shown only to the person who typed the command; sent before any work starts.
    await ack(text=refusal or plan.reply, response_type="ephemeral")
    if refusal is None:
        images.start(imagine)
