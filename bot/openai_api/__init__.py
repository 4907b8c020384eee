"""OpenAI HTTP client over httpx: streaming chat, images, moderations, typed errors, retries that honour
``Retry-After``. The only package that speaks HTTP to the model server."""

from __future__ import annotations

from .chat import (
    ChatDelta,
    ChatMessage,
    ChatResult,
    ContentPart,
    ImagePart,
    ImageURL,
    TextPart,
    Usage,
)
from .client import OpenAIClient
from .images import GeneratedImage
from .moderations import ModerationResult
from .retry import RetryPolicy, with_retries
from .retry_after import retry_after_seconds

__all__ = [
    "ChatDelta",
    "ChatMessage",
    "ChatResult",
    "ContentPart",
    "GeneratedImage",
    "ImagePart",
    "ImageURL",
    "ModerationResult",
    "OpenAIClient",
    "RetryPolicy",
    "TextPart",
    "Usage",
    "retry_after_seconds",
    "with_retries",
]
