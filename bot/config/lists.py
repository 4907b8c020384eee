"""Parsers for the list-valued settings (Slack ids, model names, moderation modes): each turns
the raw text into a tuple or set, or raises ``ConfigError`` naming what is wrong."""

from __future__ import annotations

from collections.abc import Callable

from bot.errors import ConfigError

_ID_KINDS = {"U": "user", "W": "user", "S": "user group", "C": "channel", "G": "channel", "D": "DM"}


def slack_ids(kinds: str, example: str) -> Callable[[str, str], tuple[str, ...]]:
    """A comma-separated list of Slack ids whose first letter is one of ``kinds``."""

    def parse(name: str, value: str) -> tuple[str, ...]:
        ids = names(name, value)
        for item in ids:
            if item[0] not in kinds or not item.isalnum() or not item.isupper():
                wanted = " or ".join(sorted({_ID_KINDS[k] for k in kinds}))
                raise ConfigError(
                    name, f"must be comma-separated {wanted} ids like {example}, got {item[:40]!r}"
                )
        return ids

    return parse


def names(_name: str, value: str) -> tuple[str, ...]:
    """Comma-separated names, blanks dropped."""
    return tuple(part.strip() for part in value.split(",") if part.strip())


def moderation_modes(name: str, value: str) -> frozenset[str]:
    parts = frozenset(part.strip().lower() for part in value.split(",") if part.strip())
    if parts in (frozenset({"off"}), frozenset({"input"}), frozenset({"input", "output"})):
        return parts - {"off"}
    raise ConfigError(name, f"must be off, input or input,output, got {value!r}")
