"""What Slack would read as a broadcast, a ping, a channel link or a foreign link, in any
string of what the bot sent (``text``, ``markdown_text``, blocks, file comments).

In mrkdwn only ``<…>`` sequences (and, where names are linked, a plain ``@here``) mean
anything; standard Markdown (``markdown_text``, ``markdown`` blocks) adds its link syntax,
which Slack turns into ``<target|label>``."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from tests.fakes.slack import SlackCall

_ALLOWED = r"(?:https?://|mailto:)"
_MRKDWN = r"""<(?:!(?:here|channel|everyone|group|subteam\^)|@|\#)[^>]*>?  # <!here>, <@U…>, <#C…>
            | @(?:here|channel|everyone)\b         # plain broadcasts"""
_MARKDOWN_LINKS = rf"""
            | \]\((?!<?{_ALLOWED})[^)]*\)?         # [x](!channel), [y](javascript:…)
            | ^[ ]{{0,3}}\[[^\]]*\]:[ \t]*(?!<?{_ALLOWED})\S*  # [ref]: !channel"""
_FLAGS = re.IGNORECASE | re.MULTILINE | re.VERBOSE
_IN_MRKDWN = re.compile(_MRKDWN, _FLAGS)
_IN_MARKDOWN = re.compile(_MRKDWN + _MARKDOWN_LINKS, _FLAGS)


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def slack_sequences(value: object, *, markdown: bool) -> list[str]:
    """Every such sequence in ``value`` (a string, or JSON made of dicts and lists)."""
    pattern = _IN_MARKDOWN if markdown else _IN_MRKDWN
    return [m.group() for text in _strings(value) for m in pattern.finditer(text)]


def sequences_sent(calls: Iterable[SlackCall]) -> list[str]:
    """Every such sequence in the arguments of ``calls``, each read as Slack reads it."""
    found: list[str] = []
    for call in calls:
        for name, value in call.args.items():
            if name == "blocks" and isinstance(value, list):
                for block in value:
                    markdown = isinstance(block, dict) and block.get("type") == "markdown"
                    found += slack_sequences(block, markdown=markdown)
            else:
                found += slack_sequences(value, markdown=name in ("markdown_text", "chunks"))
    return found
