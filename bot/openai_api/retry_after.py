"""How long the server asked us to wait, from the headers OpenAI and compatible servers send
with 429s. Pure: no I/O, the clock is a parameter."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

_DURATION = re.compile(r"(?:\d+(?:\.\d*)?(?:ms|us|µs|ns|h|m|s))+")
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?)(ms|us|µs|ns|h|m|s)")
_UNIT_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}
_RESET_KINDS = ("requests", "tokens")


def retry_after_seconds(headers: Mapping[str, str], *, now: datetime | None = None) -> float | None:
    """Seconds to wait, or None when the headers say nothing usable.

    Precedence: ``retry-after-ms``, then ``retry-after`` (seconds or an HTTP date), then the
    ``x-ratelimit-reset-*`` durations (of the exhausted limits when ``x-ratelimit-remaining-*``
    tells which, else the longest)."""
    lowered = {key.lower(): value.strip() for key, value in headers.items()}
    millis = _number(lowered.get("retry-after-ms"))
    if millis is not None:
        return millis / 1000
    retry_after = lowered.get("retry-after")
    if retry_after:
        seconds = _number(retry_after)
        if seconds is None:
            seconds = _seconds_until(retry_after, now or datetime.now(UTC))
        if seconds is not None:
            return seconds
    return _reset_seconds(lowered)


def parse_duration(text: str) -> float | None:
    """Seconds in a Go-style duration such as ``1s``, ``6m0s``, ``20ms`` or ``1h2m3.5s``."""
    if not _DURATION.fullmatch(text):
        return None
    return sum(float(amount) * _UNIT_SECONDS[unit] for amount, unit in _DURATION_PART.findall(text))


def _reset_seconds(lowered: Mapping[str, str]) -> float | None:
    resets = {
        kind: parse_duration(lowered.get(f"x-ratelimit-reset-{kind}", "")) for kind in _RESET_KINDS
    }
    exhausted = [
        kind for kind in _RESET_KINDS if lowered.get(f"x-ratelimit-remaining-{kind}") == "0"
    ]
    chosen = [resets[kind] for kind in (exhausted or _RESET_KINDS)]
    known = [seconds for seconds in chosen if seconds is not None]
    return max(known) if known else None


def _number(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 0 else None


def _seconds_until(http_date: str, now: datetime) -> float | None:
    try:
        when = parsedate_to_datetime(http_date)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())
