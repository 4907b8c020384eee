"""``Variable``: one environment variable's declaration, as the settings tables list them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

APP_PAGE = "your app's page at https://api.slack.com/apps"


@dataclass(frozen=True)
class Variable:
    """One environment variable: its parser, default (None = required) and documentation."""

    name: str
    parse: Callable[[str, str], Any]
    default: str | None
    doc: str
    secret: bool = False
    unset: Any = ""
    """The value when the variable is empty and its default is too."""
    parses_empty: bool = False
    """Parse the empty value too (lists: empty means an empty tuple, not a string)."""
