"""The ``/imagine help`` text, built from the model's capabilities so it never lists an option
the configured model would reject. Slack mrkdwn; deterministic for a given model and limit."""

from __future__ import annotations

from collections.abc import Sequence

from bot.images.models import ImageModelCapabilities, capabilities_for

__all__ = ["or_list", "usage_text"]


def usage_text(model: str, *, max_prompt_chars: int | None = None) -> str:
    """Help for ``/imagine`` listing only what ``model`` accepts, with working examples."""
    caps = capabilities_for(model)
    lines = [
        f"*Create an image with {model}:* `/imagine what to draw`, then any options below.",
        *(f"Example: `/imagine {example}`" for example in _examples(caps)),
        "",
        "*Options*",
        f"• `--size` — {_size_choices(caps)}",
        _presets_line(caps),
    ]
    quality = caps.options.get("quality")
    if quality is not None:
        lines.append(f"• `--quality` — {_choices(quality)}")
    background = caps.options.get("background")
    if background is not None:
        lines.append(
            f"• `--background` (or `--bg`) — {_choices(background)}; "
            "`--transparent` is short for `--background transparent`"
        )
    style = caps.options.get("style")
    if style is not None:
        lines.append(f"• `--style` — {_choices(style)}")
    if caps.max_images == 1:
        lines.append(f"• `--n` — {model} makes one image per request")
    else:
        lines.append(f"• `--n` (or `--count`) — number of images, 1–{caps.max_images}")
    lines += [
        "",
        "Options can go anywhere: `--size 1024x1024`, `--size=1024x1024` or `size=1024x1024`. "
        'Words in "double quotes" are never read as options. Images are posted as PNG.',
    ]
    limits = [limit for limit in (caps.max_prompt_chars, max_prompt_chars) if limit is not None]
    if limits:
        lines.append(f"Prompts can be up to {min(limits):,} characters long.")
    return "\n".join(lines)


def _examples(caps: ImageModelCapabilities) -> list[str]:
    size = caps.size_presets.get("landscape") or caps.sizes[1]
    first = f"a lighthouse at dawn, oil painting --size {size}"
    quality = caps.options.get("quality")
    if quality is not None:
        first += f" --quality {'high' if not quality or 'high' in quality else quality[-1]}"
    if caps.max_images > 1:
        first += " --n 2"
    examples = [first]
    if "background" in caps.options:
        examples.append("a paper-cut fox sticker --transparent --square")
    if "style" in caps.options:
        examples.append('a poster that says "--no limits" --style natural --portrait')
    return examples


def _size_choices(caps: ImageModelCapabilities) -> str:
    if not caps.sizes:
        return "any WIDTHxHEIGHT the server accepts, e.g. 1024x1024"
    text = _choices(caps.sizes)
    rule = caps.custom_sizes
    if rule is not None:
        ratio = f"{rule.max_aspect_ratio:g}"
        text += (
            f", or any WIDTHxHEIGHT in multiples of {rule.multiple_of} up to {rule.largest} "
            f"with an aspect ratio between 1:{ratio} and {ratio}:1"
        )
    return text


def _presets_line(caps: ImageModelCapabilities) -> str:
    flags = ", ".join(f"`--{name}`" for name in caps.size_presets)
    sizes = ", ".join(f"`--size {size}`" for size in caps.size_presets.values())
    return f"• {flags} — short for {sizes}"


def _choices(values: tuple[str, ...]) -> str:
    return or_list(values) if values else "any value the server accepts"


def or_list(values: Sequence[str]) -> str:
    """``a, b or c``: the one way choices are worded, in help and in error messages alike."""
    if len(values) == 1:
        return values[0]
    return f"{', '.join(values[:-1])} or {values[-1]}"
