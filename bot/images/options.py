"""Turn the text after ``/imagine`` into an image request, or say exactly what is wrong.

Options go anywhere in the text as ``--size 1536x1024``, ``--size=1536x1024`` or
``size=1536x1024``; ``--square``/``--landscape``/``--portrait`` and ``--transparent`` are
shorthands. A token is an option only when it *starts* with ``--`` (so "rock--paper" is prompt
text) and text in double quotes is never parsed. Slack's smart punctuation turns ``--`` into an
em dash, so ``—size`` counts too, but only for option names we know: an em dash in prose stays
prose. Output format is not an option: we always upload PNG (the file name, the upload's type
and transparent backgrounds all rely on it).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.errors import BotError
from bot.images.help_text import or_list, usage_text
from bot.images.models import ImageModelCapabilities, capabilities_for

__all__ = ["ImagineHelp", "ImagineRequest", "ImagineUsageError", "image_request", "parse_imagine"]


@dataclass(frozen=True)
class ImagineRequest:
    """A validated ``/imagine``: ``None`` size/quality leave the choice to the model's default."""

    prompt: str
    n: int = 1
    size: str | None = None
    quality: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ImagineHelp:
    """The user asked for help (or gave no prompt): show ``text``, generate nothing."""

    text: str


class ImagineUsageError(BotError):
    """The command cannot run as typed; ``message`` tells the user what to change."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


_VALUE_OPTIONS = {
    "size": "size",
    "quality": "quality",
    "n": "n",
    "count": "n",
    "background": "background",
    "bg": "background",
    "style": "style",
}
_FLAGS = {
    "square": ("size", "square"),
    "landscape": ("size", "landscape"),
    "portrait": ("size", "portrait"),
    "transparent": ("background", "transparent"),
}
_HELP_NAMES = frozenset({"help", "h"})
_PNG_ONLY_NAMES = frozenset({"format", "output_format"})
_KNOWN_NAMES = frozenset(_VALUE_OPTIONS) | frozenset(_FLAGS) | _HELP_NAMES | _PNG_ONLY_NAMES
_HELP_TEXTS = frozenset({"", "help", "?", "-h", "--help", "—help", "–help"})
_LABELS = {
    "size": "Size",
    "quality": "Quality",
    "n": "Number of images",
    "background": "Background",
    "style": "Style",
}

_GENERIC_EXAMPLES = {"quality": "high", "background": "opaque", "style": "natural"}

_TOKEN = re.compile(r'(?:"[^"]*"|“[^”]*”|[^\s"“])+|\S')
_DASHED = re.compile(r"(--|—|–)([A-Za-z][\w-]*)(?:=(.*))?", re.DOTALL)
_BARE = re.compile(r"([A-Za-z][\w-]*)=(.+)", re.DOTALL)
_SLACK_LINK = re.compile(r"<((?:https?|ftp|mailto|tel):[^|>\s]*)(?:\|([^>]*))?>")
_SLACK_ENTITY = re.compile(r"&(amp|lt|gt);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}
_WXH = re.compile(r"([1-9][0-9]{0,4})x([1-9][0-9]{0,4})")
_COUNT = re.compile(r"[0-9]{1,3}")
_QUOTED = re.compile(r'"[^"]*"|“[^”]*”')


@dataclass(frozen=True)
class _Option:
    typed: str
    name: str
    value: str | None


def parse_imagine(
    text: str, model: str, *, max_prompt_chars: int | None = None
) -> ImagineRequest | ImagineHelp:
    """Parse ``/imagine`` text for ``model``; raises ``ImagineUsageError`` with a fix to make.

    ``max_prompt_chars`` can only tighten the model's own prompt limit.
    """
    caps = capabilities_for(model)
    source = _unwrap_slack_links(text)
    if source.strip().lower() in _HELP_TEXTS:
        return ImagineHelp(usage_text(model, max_prompt_chars=max_prompt_chars))
    tokens = list(_TOKEN.finditer(source))
    settings: dict[str, str] = {}
    given_as: dict[str, str] = {}
    cut: list[tuple[int, int]] = []
    i = 0
    while i < len(tokens):
        option = _as_option(tokens[i].group())
        if option is None:
            i += 1
            continue
        cut.append(tokens[i].span())
        if option.name in _HELP_NAMES:
            return ImagineHelp(usage_text(model, max_prompt_chars=max_prompt_chars))
        following = tokens[i + 1].group() if i + 1 < len(tokens) else None
        setting, value, uses_following = _setting_of(option, following, caps)
        if uses_following:
            i += 1
            cut.append(tokens[i].span())
        if setting in given_as:
            raise ImagineUsageError(
                f"{_LABELS[setting]} is given twice ({given_as[setting]} and {option.typed}); "
                "keep one"
            )
        given_as[setting] = option.typed
        settings[setting] = _validate(setting, _normalise(value), option.typed, caps)
        i += 1
    prompt = _prompt_from(source, cut)
    if not prompt:
        raise ImagineUsageError(
            "The prompt is empty: describe the image, "
            "e.g. /imagine a lighthouse at dawn, oil painting --square"
        )
    _check_length(prompt, caps, max_prompt_chars)
    return ImagineRequest(
        prompt=prompt,
        n=int(settings.pop("n", "1")),
        size=settings.pop("size", None),
        quality=settings.pop("quality", None),
        extra=settings,
    )


def image_request(prompt: str, options: Mapping[str, str], model: str) -> ImagineRequest:
    """One image from a prompt and named options (``size``, ``quality``, ``background``), as a
    tool call gives them: the same checks as ``/imagine``; raises ``ImagineUsageError``."""
    caps = capabilities_for(model)
    prompt = prompt.strip()
    if not prompt:
        raise ImagineUsageError("The prompt is empty: describe the image")
    _check_length(prompt, caps, None)
    settings: dict[str, str] = {}
    for name, value in options.items():
        setting = _VALUE_OPTIONS.get(name)
        if setting is None or setting == "n":
            raise ImagineUsageError(f"Unknown option {name}")
        settings[setting] = _validate(setting, _normalise(value), f"--{name}", caps)
    return ImagineRequest(
        prompt=prompt,
        size=settings.pop("size", None),
        quality=settings.pop("quality", None),
        extra=settings,
    )


def _as_option(token: str) -> _Option | None:
    dashed = _DASHED.fullmatch(token)
    if dashed is not None:
        prefix, raw, value = dashed.groups()
        name = raw.lower().replace("-", "_")
        if prefix != "--" and name not in _KNOWN_NAMES:
            return None
        if name not in _KNOWN_NAMES:
            raise ImagineUsageError(f"Unknown option {prefix}{raw}")
        return _Option(typed=f"{prefix}{raw}", name=name, value=value)
    bare = _BARE.fullmatch(token)
    if bare is not None:
        raw, value = bare.groups()
        name = raw.lower().replace("-", "_")
        if name in _VALUE_OPTIONS or name in _PNG_ONLY_NAMES:
            return _Option(typed=f"--{raw}", name=name, value=value)
    return None


def _setting_of(
    option: _Option, following: str | None, caps: ImageModelCapabilities
) -> tuple[str, str, bool]:
    """The setting an option sets, its raw value, and whether that value is the next token."""
    if option.name in _PNG_ONLY_NAMES:
        raise ImagineUsageError(
            f"Option {option.typed} is not available: images are always posted as PNG"
        )
    if option.name in _FLAGS:
        if option.value is not None:
            raise ImagineUsageError(f"Option {option.typed} takes no value")
        setting, value = _FLAGS[option.name]
        return setting, value, False
    setting = _VALUE_OPTIONS[option.name]
    if option.value:
        return setting, option.value, False
    if option.value == "" or following is None or _as_option(following) is not None:
        raise ImagineUsageError(
            f"Option {option.typed} needs a value, "
            f"e.g. {option.typed} {_example_value(setting, caps)}"
        )
    return setting, following, True


def _normalise(value: str) -> str:
    return value.strip().strip('"“”').strip().lower().replace("×", "x")


def _validate(setting: str, value: str, typed: str, caps: ImageModelCapabilities) -> str:
    if setting == "size":
        return _validate_size(value, caps)
    if setting == "n":
        return str(_validate_count(value, typed, caps))
    if setting not in caps.options:
        raise ImagineUsageError(f"Option {typed} is not supported by {caps.name}")
    allowed = caps.options[setting]
    if allowed and value not in allowed:
        raise ImagineUsageError(
            f"{_LABELS[setting]} {value} is not supported by {caps.name}; choose {or_list(allowed)}"
        )
    return value


def _validate_size(value: str, caps: ImageModelCapabilities) -> str:
    size = caps.size_presets.get(value, value)
    wxh = _WXH.fullmatch(size)
    if not caps.sizes:
        if wxh is None and size != "auto":
            raise ImagineUsageError(f"Size {value} is not a size; use WIDTHxHEIGHT, e.g. 1024x1024")
        return size
    if size in caps.sizes:
        return size
    rule = caps.custom_sizes
    if rule is None or wxh is None:
        choices = [*caps.sizes, "a WIDTHxHEIGHT size"] if rule else list(caps.sizes)
        raise ImagineUsageError(
            f"Size {value} is not supported by {caps.name}; choose {or_list(choices)}"
        )
    width, height = int(wxh.group(1)), int(wxh.group(2))
    problem = None
    if width % rule.multiple_of or height % rule.multiple_of:
        problem = f"width and height must be multiples of {rule.multiple_of}"
    elif max(width, height) > rule.max_aspect_ratio * min(width, height):
        ratio = f"{rule.max_aspect_ratio:g}"
        problem = f"the aspect ratio must be between 1:{ratio} and {ratio}:1"
    elif max(width, height) > rule.max_edge or width * height > rule.max_pixels:
        problem = f"the largest size is {rule.largest}"
    if problem:
        raise ImagineUsageError(f"Size {value} is not supported by {caps.name}: {problem}")
    return size


def _validate_count(value: str, typed: str, caps: ImageModelCapabilities) -> int:
    count = int(value) if _COUNT.fullmatch(value) else 0
    if 1 <= count <= caps.max_images:
        return count
    if caps.max_images == 1:
        raise ImagineUsageError(f"{caps.name} makes one image per request, so {typed} must be 1")
    raise ImagineUsageError(f"Number of images must be 1–{caps.max_images}")


def _check_length(prompt: str, caps: ImageModelCapabilities, override: int | None) -> None:
    limits = [limit for limit in (caps.max_prompt_chars, override) if limit is not None]
    if limits and len(prompt) > min(limits):
        raise ImagineUsageError(
            f"The prompt is {len(prompt):,} characters long; "
            f"the limit for {caps.name} is {min(limits):,}"
        )


def _prompt_from(source: str, cut: list[tuple[int, int]]) -> str:
    """Remove option tokens with the spaces before them, keeping the user's other spacing."""
    kept: list[str] = []
    position = 0
    for start, end in sorted(cut):
        kept.append(source[position:start].rstrip(" \t"))
        position = end
    kept.append(source[position:])
    prompt = "".join(kept).strip()
    if _QUOTED.fullmatch(prompt):
        prompt = prompt[1:-1].strip()
    return _SLACK_ENTITY.sub(lambda entity: _ENTITIES[entity.group(1)], prompt)


def _unwrap_slack_links(text: str) -> str:
    """``<https://x.org|x.org>`` → ``x.org``; mentions like ``<@U123>`` stay as Slack sent them."""

    def _plain(link: re.Match[str]) -> str:
        url, label = link.group(1), link.group(2)
        return label if label else url.removeprefix("mailto:")

    return _SLACK_LINK.sub(_plain, text)


def _example_value(setting: str, caps: ImageModelCapabilities) -> str:
    if setting == "size":
        return caps.sizes[0] if caps.sizes else "1024x1024"
    if setting == "n":
        return "1" if caps.max_images == 1 else "2"
    allowed = caps.options.get(setting, ())
    return allowed[0] if allowed else _GENERIC_EXAMPLES[setting]
