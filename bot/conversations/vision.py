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
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Protocol

from bot.byte_budget import MIB, ByteBudget
from bot.conversations.progress import Progress, TaskState
from bot.conversations.tokens import base_model_name
from bot.conversations.values import IncomingFile
from bot.conversations.work_steps import READING_ATTACHMENTS
from bot.errors import BotError
from bot.openai_api.chat import ChatMessage, ContentPart, ImagePart
from bot.slack_output.safe_text import escape_mrkdwn

log = logging.getLogger(__name__)

IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
MAX_IMAGE_BYTES = 20 * MIB  # OpenAI's per-image limit

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
class AttachmentLimits:
    """How much of a message's images the bot takes: ``max_images`` and ``max_bytes`` per
    message, and ``in_flight``, the process's budget of image bytes being downloaded, encoded
    and sent at once (held from the download until the answer is done)."""

    max_images: int
    max_bytes: int
    in_flight: ByteBudget

    def __post_init__(self) -> None:
        if self.max_bytes > self.in_flight.capacity:
            raise ValueError("a message's images must fit in the in-flight budget")


@dataclass(frozen=True)
class UserContent:
    """The newest user message for the model, and notes (mrkdwn) for the person who sent it."""

    message: ChatMessage
    notes: tuple[str, ...]

    def notice(self) -> str | None:
        return ":information_source: " + " ".join(self.notes) if self.notes else None


class ImageInputs:
    def __init__(
        self,
        source: ImageSource,
        extra_vision_models: Iterable[str] = (),
        *,
        limits: AttachmentLimits,
    ) -> None:
        self._source = source
        self._extra = tuple(extra_vision_models)
        self._limits = limits

    async def user_content(
        self,
        text: str,
        files: Sequence[IncomingFile],
        model: str,
        holds: AsyncExitStack,
        progress: Progress | None = None,
    ) -> UserContent:
        """``text`` as a plain message, or as text plus image parts when ``files`` has images
        (the other files are not looked at here); downloading them shows on ``progress`` as a
        step of work.

        The images' room in the in-flight budget is kept by ``holds``: their encoded copies
        live in the prompt until the answer is done, so ``holds`` should close then."""
        plain: ChatMessage = {"role": "user", "content": text}
        images = [f for f in files if f.mimetype in IMAGE_TYPES]
        notes: list[str] = []  # other files are the documents reader's
        if images and not supports_images(model, self._extra):
            notes.append(
                f"The model `{escape_mrkdwn(model)}` can't see images, so I ignored the attached image(s)."
            )
            return UserContent(plain, tuple(notes))
        chosen = self._within_limits(images, notes)
        parts: list[ContentPart] = []
        if chosen and progress is not None:
            await progress.task(READING_ATTACHMENTS.at(TaskState.IN_PROGRESS))
        # One hold for the whole message: a message never waits for room while holding some.
        await holds.enter_async_context(self._limits.in_flight.hold(sum(s for _, s in chosen)))
        for image, size in chosen:
            part = await self._image_part(image, size, notes)
            if part is not None:
                parts.append(part)
        if chosen and progress is not None:
            state = TaskState.COMPLETE if parts else TaskState.ERROR
            read = f"{len(parts)} of {len(chosen)} image{'' if len(chosen) == 1 else 's'}"
            await progress.task(READING_ATTACHMENTS.at(state, read))
        if not parts:
            return UserContent(plain, tuple(notes))
        content: list[ContentPart] = [{"type": "text", "text": text}, *parts] if text else parts
        return UserContent({"role": "user", "content": content}, tuple(notes))

    def _within_limits(
        self, images: Sequence[IncomingFile], notes: list[str]
    ) -> list[tuple[IncomingFile, int]]:
        """The images to download, each with the bytes it may take (the size Slack gave);
        a note for each one skipped."""
        limits = self._limits
        room = limits.max_bytes
        chosen: list[tuple[IncomingFile, int]] = []
        over_total: list[IncomingFile] = []
        for image in images[: limits.max_images]:
            if image.size > MAX_IMAGE_BYTES:
                notes.append(f"{_shown(image)} is larger than 20 MB, so I skipped it.")
                continue
            size = image.size or min(MAX_IMAGE_BYTES, room)  # no size given: the most it may be
            if not 0 < size <= room:
                over_total.append(image)
                continue
            room -= size
            chosen.append((image, size))
        over_count = images[limits.max_images :]
        if over_count:
            notes.append(
                f"I look at {limits.max_images} images per message at most, "
                f"so I skipped {_names(over_count)}."
            )
        if over_total:
            notes.append(
                f"Images may add up to {limits.max_bytes / MIB:g} MB per message, "
                f"so I skipped {_names(over_total)}."
            )
        return chosen

    async def _image_part(
        self, image: IncomingFile, size: int, notes: list[str]
    ) -> ImagePart | None:
        try:
            data = await self._source.download_image(image.url_private, size)
        except BotError as exc:
            log.warning("could not download an attached image: %s", exc)
            notes.append(f"I couldn't open {_shown(image)} from Slack, so I answered without it.")
            return None
        url = f"data:{image.mimetype};base64," + base64.b64encode(data).decode("ascii")
        return {"type": "image_url", "image_url": {"url": url}}


def _names(files: Sequence[IncomingFile]) -> str:
    return ", ".join(_shown(f) if f.name else f.id for f in files)
