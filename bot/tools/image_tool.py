"""``generate_image``: the model draws a picture in the conversation, with ``/imagine``'s
options, validation, image model and delivery; the image is shared into the thread as a Slack
file and the model is told where it went and how it was drawn (never the bytes)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, ClassVar

from bot.errors import BotError, ModelRefused
from bot.images.options import ImagineUsageError, image_request
from bot.images.service import ImageService, ImagineCommand
from bot.policy.decision import Refusal
from bot.reference import new_reference_id
from bot.tools.base import ToolContext, ToolOutput

_PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "prompt": {"type": "string", "description": "What to draw, in detail."},
        "size": {
            "type": "string",
            "description": "WIDTHxHEIGHT (e.g. 1024x1024, 1536x1024, 1024x1536) or auto.",
        },
        "quality": {"type": "string", "enum": ["low", "medium", "high", "auto"]},
        "background": {"type": "string", "enum": ["transparent", "opaque", "auto"]},
    },
    "required": ["prompt"],
    "additionalProperties": False,
}


@dataclass(frozen=True)
class GenerateImageTool:
    images: ImageService
    model: str
    bot_user_id: str | None = None

    name = "generate_image"
    title = "Drawing an image"
    description = (
        "Generate an image and post it in this Slack thread. Use it when the user asks for a "
        "picture, drawing, illustration or photo. To refine an earlier image, describe the "
        "whole new image (start from its revised prompt)."
    )
    parameters: ClassVar[Mapping[str, Any]] = MappingProxyType(_PARAMETERS)
    needs_confirmation = False

    async def permit(self, arguments: Mapping[str, Any], context: ToolContext) -> Refusal | None:
        # /imagine's rules (access, moderation of the prompt, the images budget) need the
        # parsed request: ``run`` asks them before anything is drawn.
        return None

    async def run(self, arguments: Mapping[str, Any], context: ToolContext) -> ToolOutput:
        options = {k: str(v) for k, v in arguments.items() if k != "prompt" and v is not None}
        try:
            request = image_request(str(arguments.get("prompt") or ""), options, self.model)
        except ImagineUsageError as exc:
            return ToolOutput(f"Not drawn: {exc.message}.", ok=False)
        command = ImagineCommand(
            team_id=context.team_id,
            enterprise_id=context.enterprise_id,
            channel_id=context.channel_id,
            user_id=context.user_id,
            bot_user_id=self.bot_user_id,
            request=request,
            thread_ts=context.thread_ts,
        )
        refusal = await self.images.refusal_for(command)
        if refusal is not None:
            return ToolOutput(f"Not drawn: {refusal.notice}", ok=False)
        reference_id = new_reference_id()
        try:
            delivery = await self.images.generate(command, reference_id=reference_id)
        except ModelRefused:
            return ToolOutput(
                "Not drawn: the image service declined this prompt under its content policy.",
                ok=False,
            )
        except BotError:
            return ToolOutput(
                f"Not drawn: the image service or Slack failed (reference {reference_id}).",
                ok=False,
            )
        where = "this thread" if delivery.channel_id == context.channel_id else "the user's DM"
        revised = delivery.revised_prompts[0] if delivery.revised_prompts else request.prompt
        return ToolOutput(
            f"The image was generated and posted in {where} as a file. "
            f"Prompt used (revised by the image model): {revised}"
        )
