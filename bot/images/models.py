"""What each image model accepts, taken from the OpenAI spec's ``CreateImageRequest``.

``/imagine`` checks options against these tables so a user learns what is wrong before any
request is paid for. Unknown model names (OpenAI-compatible servers, Azure deployment names)
get permissive capabilities: the server, not our guess, has the last word there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

MAX_IMAGES = 4
"""Our own cap on images per command (the API allows 10): a Slack thread, not a gallery."""

_GPT_IMAGE_SIZES = ("1024x1024", "1536x1024", "1024x1536", "auto")
_GPT_IMAGE_PRESETS = {"square": "1024x1024", "landscape": "1536x1024", "portrait": "1024x1536"}
_GPT_IMAGE_OPTIONS = {
    "quality": ("low", "medium", "high", "auto"),
    "background": ("transparent", "opaque", "auto"),
}


@dataclass(frozen=True)
class CustomSizeRule:
    """Free ``WIDTHxHEIGHT`` sizes (``gpt-image-2``): edge multiple, aspect and pixel limits."""

    multiple_of: int = 16
    max_aspect_ratio: float = 3.0
    max_edge: int = 3840
    max_pixels: int = 3840 * 2160

    @property
    def largest(self) -> str:
        """The largest size as users write it, e.g. ``3840x2160``."""
        return f"{self.max_edge}x{self.max_pixels // self.max_edge}"


@dataclass(frozen=True)
class ImageModelCapabilities:
    """The options one image model accepts.

    ``sizes`` empty means any ``WIDTHxHEIGHT`` is passed through. In ``options`` a name maps to
    its allowed values; an empty tuple means any value is passed through; a missing name means
    the model does not take that option. ``known`` is False for names we only guess about, where
    the server's own error is the better guide.
    """

    name: str
    known: bool
    max_prompt_chars: int | None
    max_images: int
    sizes: tuple[str, ...]
    size_presets: Mapping[str, str]
    options: Mapping[str, tuple[str, ...]]
    custom_sizes: CustomSizeRule | None = None


def capabilities_for(model: str) -> ImageModelCapabilities:
    """Capabilities of ``model``; names are matched case-insensitively, snapshots by prefix."""
    key = model.strip().lower()
    if key.startswith("dall-e-3"):
        return ImageModelCapabilities(
            name=model,
            known=True,
            max_prompt_chars=4000,
            max_images=1,
            sizes=("1024x1024", "1792x1024", "1024x1792"),
            size_presets=MappingProxyType(
                {"square": "1024x1024", "landscape": "1792x1024", "portrait": "1024x1792"}
            ),
            options=MappingProxyType(
                {"quality": ("standard", "hd"), "style": ("vivid", "natural")}
            ),
        )
    if key.startswith("dall-e-2"):
        return ImageModelCapabilities(
            name=model,
            known=True,
            max_prompt_chars=1000,
            max_images=MAX_IMAGES,
            sizes=("256x256", "512x512", "1024x1024"),
            size_presets=MappingProxyType({"square": "1024x1024"}),
            options=MappingProxyType({}),
        )
    if key.startswith("gpt-image-"):
        free_sizes = key.startswith("gpt-image-2")
        return ImageModelCapabilities(
            name=model,
            known=True,
            max_prompt_chars=32000,
            max_images=MAX_IMAGES,
            sizes=_GPT_IMAGE_SIZES,
            size_presets=MappingProxyType(_GPT_IMAGE_PRESETS),
            options=MappingProxyType(_GPT_IMAGE_OPTIONS),
            custom_sizes=CustomSizeRule() if free_sizes else None,
        )
    return ImageModelCapabilities(
        name=model,
        known=False,
        max_prompt_chars=None,
        max_images=MAX_IMAGES,
        sizes=(),
        size_presets=MappingProxyType(_GPT_IMAGE_PRESETS),
        options=MappingProxyType({"quality": (), "background": (), "style": ()}),
    )
