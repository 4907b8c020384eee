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
        if block["type"] == "markdown":
            markdown_total += len(_block_text(block))
        elif block["type"] == "section" and len(_block_text(block)) > MAX_SECTION_TEXT:
            raise SlackError(
                "invalid_blocks", f"[ERROR] must be less than 3001 characters {pointer}"
            )
    if markdown_total > MAX_MARKDOWN:
        raise SlackError("msg_blocks_too_long")
    return blocks


def stream_text(args: dict[str, Any]) -> str:
    """The Markdown a stream call adds, from ``markdown_text`` and/or ``markdown_text`` chunks."""
    parts = [str(args.get("markdown_text") or "")]
    chunks = args.get("chunks") or []
    if not isinstance(chunks, list):
        raise SlackError("invalid_chunks")
    for chunk in chunks:
        if not isinstance(chunk, dict) or "type" not in chunk:
            raise SlackError("invalid_chunks")
        if chunk["type"] == "markdown_text":
            parts.append(str(chunk.get("text", "")))
    text = "".join(parts)
    if len(text) > MAX_MARKDOWN:
        raise SlackError("msg_too_long")
    return text
