"""``POST /moderations``: is a text (and its images) something the bot should not take up?

Text goes as a string; with images, as OpenAI's multimodal parts (``text`` and ``image_url``,
data URLs allowed), which only the omni models read: a ``text-moderation-*`` model gets the
text alone. A multimodal input has one result; a result per string otherwise. The answer is
reduced to whether anything was flagged and which categories, never the scores."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ._transport import ApiConnection, malformed_response
from .retry import RetryPolicy, with_retries

_PATH = "/moderations"


@dataclass(frozen=True, slots=True)
class ModerationResult:
    flagged: bool
    categories: tuple[str, ...]
    """The flagged categories in OpenAI's spelling (``harassment/threatening``), sorted."""


def moderation_body(text: str, images: Sequence[str], *, model: str) -> dict[str, Any]:
    """A ``CreateModerationRequest``; ``images`` are URLs (``data:`` or ``https:``)."""
    if not images or model.startswith("text-moderation"):
        return {"model": model, "input": text}
    parts: list[dict[str, Any]] = [{"type": "text", "text": text}] if text else []
    parts += [{"type": "image_url", "image_url": {"url": url}} for url in images]
    return {"model": model, "input": parts}


async def moderate(
    api: ApiConnection, retry: RetryPolicy, body: dict[str, Any]
) -> ModerationResult:
    payload = await with_retries(
        retry, lambda: api.request_json("POST", _PATH, body), label="moderation"
    )
    results = payload.get("results") if isinstance(payload, dict) else None
    if not isinstance(results, list) or not results:
        raise malformed_response("moderation response without results")
    flagged = False
    categories: set[str] = set()
    for result in results:
        if not isinstance(result, dict) or not isinstance(result.get("flagged"), bool):
            raise malformed_response("moderation result without flagged")
        flagged = flagged or result["flagged"]
        found = result.get("categories")
        if isinstance(found, dict):
            categories.update(name for name, value in found.items() if value is True)
    return ModerationResult(flagged, tuple(sorted(categories)) if flagged else ())
