"""Render standard Markdown as Slack's legacy mrkdwn, for places that take nothing else.

Notification ``text`` and section blocks only understand mrkdwn (``*bold*``, ``_italic_``,
``~strike~``, ``<url|label>``; no headings, no tables). The Markdown is parsed with
markdown-it-py (CommonMark plus GFM tables and strikethrough) and the syntax tree rendered
here, so code spans and code blocks are never reformatted and nothing is matched by guesswork.
``&``, ``<`` and ``>`` are escaped everywhere, code included, because that is how Slack
stores message text (it shows ``&lt;`` in a code block as ``<``); so the model cannot write
``<!channel>`` or ``<@U…>``, and ``@here`` in its prose is broken (``safe_text``). Only
``http``, ``https`` and ``mailto`` links become links; any other shows as its label and target.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import regex
from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

from bot.slack_output.markdown_split import slack_length
from bot.slack_output.safe_text import (
    ZERO_WIDTH_SPACE,
    allowed_link,
    escape_control_characters,
    escape_mrkdwn,
)

__all__ = ["SECTION_TEXT_LIMIT", "plain_preview", "to_mrkdwn"]

SECTION_TEXT_LIMIT = 3_000

_PARSER = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
_GRAPHEME = regex.compile(r"\X")
_LIST_INDENT = "    "
_BACKTICK_RUN = re.compile(r"(?<=``)(?=`)")
_ELLIPSIS = "…"
_FENCE_CLOSE = "\n```"


def to_mrkdwn(markdown: str) -> str:
    """Convert standard Markdown to Slack mrkdwn."""
    return _blocks(SyntaxTreeNode(_PARSER.parse(markdown)).children, "\n\n")


def plain_preview(markdown: str, limit: int = SECTION_TEXT_LIMIT) -> str:
    """mrkdwn for a notification, cut after a whole word with "…" when longer than ``limit``."""
    text = to_mrkdwn(markdown)
    if slack_length(text) <= limit:
        return text
    room = limit - len(_ELLIPSIS)
    preview = text[: _preview_cut(text, room)].rstrip()
    if preview.count("```") % 2:
        preview = text[: _preview_cut(text, room - len(_FENCE_CLOSE))].rstrip()
        preview += _FENCE_CLOSE if preview.count("```") % 2 else ""
    return preview + _ELLIPSIS


def _preview_cut(text: str, room: int) -> int:
    """Last grapheme boundary within ``room``, moved back to a space and out of <…>/&…; tokens."""
    used, cut = 0, 0
    for cluster in _GRAPHEME.finditer(text):
        used += slack_length(cluster.group())
        if used > room:
            break
        cut = cluster.end()
    space = max(text.rfind(" ", 0, cut + 1), text.rfind("\n", 0, cut + 1))
    if space > cut // 2:
        cut = space
    for opener, closer in (("<", ">"), ("&", ";")):
        start = text.rfind(opener, 0, cut)
        if start >= 0 and text.find(closer, start, cut) < 0:
            cut = start
    return cut


def _code_block(code: str) -> str:
    """A ``` block; a zero-width space breaks inner ``` runs, which mrkdwn cannot nest."""
    return f"```\n{_BACKTICK_RUN.sub(ZERO_WIDTH_SPACE, escape_control_characters(code))}\n```"


def _blocks(nodes: Sequence[SyntaxTreeNode], separator: str) -> str:
    return separator.join(_block(node) for node in nodes)


def _block(node: SyntaxTreeNode) -> str:
    match node.type:
        case "paragraph":
            return _inline(node.children[0].children)
        case "heading":
            return f"*{_inline(node.children[0].children, bold=True)}*"
        case "bullet_list" | "ordered_list":
            return _list(node)
        case "blockquote":
            lines = _blocks(node.children, "\n\n").split("\n")
            return "\n".join(f"> {line}" if line else ">" for line in lines)
        case "fence" | "code_block":
            return _code_block(node.content.rstrip("\n"))
        case "table":
            return _table(node)
        case "hr":
            return "———"
        case _:
            return escape_mrkdwn(node.content.rstrip("\n"))


def _list(node: SyntaxTreeNode) -> str:
    """Bullets become "•", numbers are kept; nested content is indented under its item."""
    first = int(str(node.attrs.get("start", 1)))
    tight = all(
        child.hidden
        for item in node.children
        for child in item.children
        if child.type == "paragraph"
    )
    items = []
    for number, item in enumerate(node.children, start=first):
        marker = "•" if node.type == "bullet_list" else f"{number}."
        body = _blocks(item.children, "\n" if tight else "\n\n")
        head, *rest = body.split("\n")
        lines = [
            f"{marker} {head}".rstrip(),
            *(f"{_LIST_INDENT}{line}" if line else "" for line in rest),
        ]
        items.append("\n".join(lines))
    return ("\n" if tight else "\n\n").join(items)


def _inline(nodes: Sequence[SyntaxTreeNode], *, bold: bool = False, plain: bool = False) -> str:
    """Render inline nodes; ``bold`` drops nested bold markers, ``plain`` drops all markup."""
    out: list[str] = []
    for node in nodes:
        match node.type:
            case "text":
                out.append(escape_mrkdwn(node.content))
            case "code_inline":
                code = escape_control_characters(node.content)
                out.append(code if plain else f"`{code}`")
            case "softbreak":
                out.append(" " if plain else "\n")
            case "hardbreak":
                out.append(" " if plain else "\n")
            case "strong" | "em" | "s":
                inner = _inline(node.children, bold=bold or node.type == "strong", plain=plain)
                out.append(
                    _emphasis(node.type, inner, drop=plain or (bold and node.type == "strong"))
                )
            case "link" | "image":
                out.append(_link(node, bold=bold, plain=plain))
            case _:
                out.append(escape_mrkdwn(node.content))
    return "".join(out)


def _emphasis(kind: str, inner: str, *, drop: bool) -> str:
    if drop or not inner.strip():
        return inner
    mark = {"strong": "*", "em": "_", "s": "~"}[kind]
    return f"{mark}{inner}{mark}"


def _link(node: SyntaxTreeNode, *, bold: bool, plain: bool) -> str:
    """``<url|label>``; an image becomes a link to it, labelled with its alt text. A target
    that is not ``http``, ``https`` or ``mailto`` stays text: Slack would read ``<!channel|x>``
    as a broadcast."""
    target = str(node.attrs.get("src" if node.type == "image" else "href", ""))
    linked = allowed_link(target)
    url = escape_control_characters(target) if linked else escape_mrkdwn(target)
    label = _inline(node.children, bold=bold, plain=plain)
    if plain or not linked:
        return url if label in ("", url) else f"{label} ({url})"
    return f"<{url}>" if label in ("", url) else f"<{url}|{label}>"


def _table(node: SyntaxTreeNode) -> str:
    """Tables become aligned monospace text in a code block: mrkdwn has no tables."""
    rows = [
        [(_inline(cell.children[0].children, plain=True), _align(cell)) for cell in row.children]
        for section in node.children
        for row in section.children
    ]
    columns = max(len(row) for row in rows)
    widths = [
        max((_width(row[i][0]) for row in rows if i < len(row)), default=0) for i in range(columns)
    ]
    lines = [
        " | ".join(_pad(text, widths[i], align) for i, (text, align) in enumerate(row))
        for row in rows
    ]
    lines.insert(1, "-+-".join("-" * width for width in widths))
    return _code_block("\n".join(line.rstrip() for line in lines))


def _align(cell: SyntaxTreeNode) -> str:
    style = str(cell.attrs.get("style", ""))
    return style.removeprefix("text-align:") or "left"


def _width(text: str) -> int:
    """Columns a monospace font gives ``text``: wide (CJK, most emoji) characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, align: str) -> str:
    gap = " " * (width - _width(text))
    if align == "right":
        return gap + text
    if align == "center":
        half = len(gap) // 2
        return gap[:half] + text + gap[half:]
    return text + gap
