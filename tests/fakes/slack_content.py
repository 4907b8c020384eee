"""Slack's rules for message content (text, blocks, markdown_text) and the messages they make."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

MAX_TEXT = 40_000
MAX_MARKDOWN = 12_000
MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3_000


def ts_order(ts: str) -> tuple[int, ...]:
    """Sort key for Slack ``ts`` strings: numeric, without float rounding."""
    return tuple(int(part) for part in ts.split("."))


class SlackError(Exception):
    """An ``ok: false`` answer with Slack's error code (and its explanatory messages)."""

    def __init__(self, code: str, *messages: str) -> None:
        super().__init__(code)
        self.code = code
        self.messages = list(messages)


@dataclass
class FakeMessage:
    """The current state of one message the bot posted, streamed or updated."""

    channel: str
    ts: str
    thread_ts: str | None = None
    text: str | None = None
    markdown_text: str | None = None
    blocks: list[dict[str, Any]] | None = None
    streaming: bool = False
    user: str = "U0BOT"
    tasks: list[dict[str, Any]] = field(default_factory=list)
    """The ``task_update`` chunks streamed into it, in order."""
    stream_calls: int = 0

    def visible_text(self) -> str:
        """What a person sees: the Markdown, else the text blocks, else the fallback text."""
        if self.markdown_text is not None:
            return self.markdown_text
        shown = [_block_text(block) for block in self.blocks or []]
        return "\n".join(text for text in shown if text) or self.text or ""


@dataclass
class Content:
    """The content fields of one accepted chat.postMessage / chat.update."""

    text: str | None = None
    markdown_text: str | None = None
    blocks: list[dict[str, Any]] | None = None
    warnings: list[str] = field(default_factory=list)


def _block_text(block: dict[str, Any]) -> str:
    if block.get("type") == "markdown":
        return str(block.get("text", ""))
    text = block.get("text")
    if block.get("type") == "section" and isinstance(text, dict):
        return str(text.get("text", ""))
    return ""


def message_content(args: dict[str, Any], *, require: bool = True) -> Content:
    """Apply Slack's content rules; ``require=False`` lets chat.update leave content unchanged."""
    text, markdown, blocks = args.get("text"), args.get("markdown_text"), args.get("blocks")
    if markdown and (text or blocks):
        raise SlackError("markdown_text_conflict")
    if markdown is not None and len(markdown) > MAX_MARKDOWN:
        raise SlackError("msg_too_long")
    if require and not (text or markdown or blocks or args.get("attachments")):
        raise SlackError("no_text")
    content = Content(markdown_text=markdown)
    if blocks is not None:
        content.blocks = validate_blocks(blocks)
    if text is not None:
        content.text = str(text)
        if len(content.text) > MAX_TEXT:
            content.text = content.text[:MAX_TEXT]
            content.warnings.append("message_truncated")
    return content


def validate_blocks(blocks: object) -> list[dict[str, Any]]:
    """Block Kit checks Slack applies: a JSON list of typed blocks, within its size limits."""
    if not isinstance(blocks, list):
        raise SlackError("invalid_blocks_format", "[ERROR] must be a JSON array of blocks")
    if len(blocks) > MAX_BLOCKS:
        raise SlackError("invalid_blocks", "[ERROR] no more than 50 items allowed")
    markdown_total = 0
    for index, block in enumerate(blocks):
        pointer = f"[json-pointer:/blocks/{index}]"
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            raise SlackError("invalid_blocks", f"[ERROR] missing required field: type {pointer}")
        if block["type"] == "context_actions":
            _validate_context_actions(block, pointer)
        elif block["type"] == "markdown":
            markdown_total += len(_block_text(block))
        elif block["type"] == "section" and len(_block_text(block)) > MAX_SECTION_TEXT:
            raise SlackError(
                "invalid_blocks", f"[ERROR] must be less than 3001 characters {pointer}"
            )
    if markdown_total > MAX_MARKDOWN:
        raise SlackError("msg_blocks_too_long")
    return blocks


TASK_STATUSES = frozenset({"pending", "in_progress", "complete", "error"})
TASK_DISPLAY_MODES = frozenset({"timeline", "plan"})
# Each chunk type Slack accepts, with the fields it requires.
_CHUNK_FIELDS: dict[str, tuple[str, ...]] = {
    "markdown_text": ("text",),
    "task_update": ("id", "title", "status"),
    "plan_update": ("title",),
    "blocks": ("blocks",),
}


def _validate_context_actions(block: dict[str, Any], pointer: str) -> None:
    """``context_actions`` holds up to 5 ``feedback_buttons``/``icon_button`` elements; feedback
    buttons need a positive and a negative button, each with text and a value."""
    elements = block.get("elements")
    if not isinstance(elements, list) or not 1 <= len(elements) <= 5:
        raise SlackError("invalid_blocks", f"[ERROR] elements must hold 1 to 5 items {pointer}")
    for element in elements:
        kind = element.get("type") if isinstance(element, dict) else None
        if kind not in ("feedback_buttons", "icon_button"):
            raise SlackError("invalid_blocks", f"[ERROR] unsupported element type {pointer}")
        if kind == "feedback_buttons":
            for side in ("positive_button", "negative_button"):
                button = element.get(side)
                if not (isinstance(button, dict) and button.get("text") and button.get("value")):
                    raise SlackError("invalid_blocks", f"[ERROR] {side} is invalid {pointer}")


def stream_chunks(args: dict[str, Any]) -> list[dict[str, Any]]:
    """A stream call's ``chunks``, checked like Slack: a list of known, complete chunks."""
    chunks = args.get("chunks")
    if chunks is None:
        return []
    if not isinstance(chunks, list):
        raise SlackError("invalid_chunks", "[ERROR] chunks must be a JSON array")
    for index, chunk in enumerate(chunks):
        pointer = f"[json-pointer:/chunks/{index}]"
        kind = chunk.get("type") if isinstance(chunk, dict) else None
        if kind not in _CHUNK_FIELDS:
            raise SlackError("invalid_chunks", f"[ERROR] unsupported chunk type {pointer}")
        missing = [name for name in _CHUNK_FIELDS[kind] if not chunk.get(name)]
        if missing:
            raise SlackError("invalid_chunks", f"[ERROR] missing required field: {missing[0]}")
        if kind == "task_update" and chunk["status"] not in TASK_STATUSES:
            raise SlackError("invalid_chunks", f"[ERROR] invalid task status {pointer}")
        if kind == "blocks":
            validate_blocks(chunk["blocks"])
    return chunks


def stream_text(args: dict[str, Any]) -> str:
    """The Markdown a stream call adds, from ``markdown_text`` and/or ``markdown_text`` chunks."""
    parts = [str(args.get("markdown_text") or "")]
    for chunk in stream_chunks(args):
        if chunk["type"] == "markdown_text":
            parts.append(str(chunk["text"]))
    text = "".join(parts)
    if len(text) > MAX_MARKDOWN:
        raise SlackError("msg_too_long")
    return text
