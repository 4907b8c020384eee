"""Images in: pictures attached to a message the bot answers become ``image_url`` parts (data
URLs) for models that can see them; anything else gets a short note and the text is answered.

Which models see images is decided by name. Unknown names (self-hosted, Azure deployment
names) are treated as text-only unless listed in ``VISION_MODELS``: sending image parts to a
text-only server fails the whole answer with a 400, while ignoring the images costs only them,
and the user is told."""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.conversations.tokens import base_model_name
from bot.conversations.values import IncomingFile
from bot.errors import BotError
from bot.openai_api.chat import ChatMessage, ContentPart, ImagePart
from bot.slack_output.safe_text import escape_mrkdwn

log = logging.getLogger(__name__)

IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
MAX_IMAGE_BYTES = 20 * 1024 * 1024  # OpenAI's per-image limit

_VISION_PREFIXES = (
    "gpt-4o",
    "chatgpt-4o",
    "gpt-4.1",
    "gpt-4.5",
    "gpt-4-turbo",
    "gpt-4-vision",
    "gpt-5",
    "o1",
    "o3",
    "o4",
)
_TEXT_ONLY_PREFIXES = ("o1-mini", "o1-preview", "o3-mini", "gpt-4o-audio", "gpt-4o-realtime")


def supports_images(model: str, extra_prefixes: Iterable[str] = ()) -> bool:
    name = base_model_name(model)
    extra = tuple(p.strip().lower() for p in extra_prefixes if p.strip())
    if extra and name.startswith(extra):
        return True
    return name.startswith(_VISION_PREFIXES) and not name.startswith(_TEXT_ONLY_PREFIXES)


def with_attachment_note(text: str, files: Sequence[IncomingFile]) -> str:
    """The text stored for a turn: the message plus which files came with it (never the bytes)."""
    if not files:
        return text
    note = "[attached: " + ", ".join(f.name or f.id for f in files) + "]"
    return f"{text}\n{note}" if text else note


def _shown(file: IncomingFile) -> str:
    """A file's name for a note in Slack: the sender chose it, so it is escaped."""
    return escape_mrkdwn(file.name)


class ImageSource(Protocol):
    async def download_image(self, url: str, max_bytes: int) -> bytes: ...


@dataclass(frozen=True)
class UserContent:
    """The newest user message for the model, and notes (mrkdwn) for the person who sent it."""

    message: ChatMessage
    notes: tuple[str, ...]

    def notice(self) -> str | None:
        return ":information_source: " + " ".join(self.notes) if self.notes else None


class ImageInputs:
    def __init__(self, source: ImageSource, extra_vision_models: Iterable[str] = ()) -> None:
        self._source = source
        self._extra = tuple(extra_vision_models)

    async def user_content(
        self, text: str, files: Sequence[IncomingFile], model: str
    ) -> UserContent:
        """``text`` as a plain message, or as text plus image parts when there are images."""
        plain: ChatMessage = {"role": "user", "content": text}
        images = [f for f in files if f.mimetype in IMAGE_TYPES]
        notes = [
            f"I can only look at PNG, JPEG, GIF and WebP images, so I skipped {_shown(f)}."
            for f in files
            if f.mimetype not in IMAGE_TYPES
        ]
        if images and not supports_images(model, self._extra):
            notes.append(
                f"The model `{escape_mrkdwn(model)}` can't see images, so I ignored the attached image(s)."
            )
            return UserContent(plain, tuple(notes))
        parts: list[ContentPart] = []
        for image in images:
            part = await self._image_part(image, notes)
            if part is not None:
                parts.append(part)
        if not parts:
            return UserContent(plain, tuple(notes))
        content: list[ContentPart] = [{"type": "text", "text": text}, *parts] if text else parts
        return UserContent({"role": "user", "content": content}, tuple(notes))

    async def _image_part(self, image: IncomingFile, notes: list[str]) -> ImagePart | None:
        if image.size > MAX_IMAGE_BYTES:
            notes.append(f"{_shown(image)} is larger than 20 MB, so I skipped it.")
            return None
        try:
            data = await self._source.download_image(image.url_private, MAX_IMAGE_BYTES)
        except BotError as exc:
            log.warning("could not download an attached image: %s", exc)
            notes.append(f"I couldn't open {_shown(image)} from Slack, so I answered without it.")
            return None
        url = f"data:{image.mimetype};base64,{base64.b64encode(data).decode('ascii')}"
        return {"type": "image_url", "image_url": {"url": url}}
