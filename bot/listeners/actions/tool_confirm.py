"""Approve / Deny clicks on a tool-call question: only the requester's click decides."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.errors import BotError
from bot.slack_output.confirm_prompts import APPROVE_ACTION, SlackConfirmationPrompts
from bot.tools.confirm import Answer, Confirmations


async def handle_confirm_click(
    ack: AsyncAck,
    body: dict[str, Any],
    confirmations: Confirmations,
    prompts: SlackConfirmationPrompts,
) -> None:
    action = (body.get("actions") or [{}])[0]
    confirmation_id = str(action.get("value") or "")
    user_id = str((body.get("user") or {}).get("id") or "")
    channel_id = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id"
    )
    answer, requester = await confirmations.answer(
        confirmation_id, user_id, approved=action.get("action_id") == APPROVE_ACTION
    )
    await ack()  # a click Slack saw acknowledged is a click recorded
    if answer is Answer.NOT_YOURS and channel_id:
        try:
            await prompts.not_yours(channel=str(channel_id), user_id=user_id, requester=requester)
        except BotError:
            return  # a courtesy note; the question stays open for the requester
