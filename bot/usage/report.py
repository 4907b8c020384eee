"""``python -m bot usage``: tokens, images and estimated USD per user, channel, model or day,
as a table for people or CSV for spreadsheets."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.store.db import read_only_session
from bot.store.usage_repo import UsageRepository, UsageSum
from bot.usage.prices import PriceTable

_SINCE = re.compile(r"(\d+)\s*([hdw])")
_UNITS = {"h": "hours", "d": "days", "w": "weeks"}
UNNAMED = "(forgotten)"
"""The key of usage rows whose user or channel retention has cleared."""


def parse_since(text: str) -> timedelta:
    """``7d``, ``24h``, ``2w`` → how far back the report looks."""
    match = _SINCE.fullmatch(text.strip().lower())
    if match is None or int(match[1]) == 0:
        raise ValueError(f"{text!r} is not a period like 7d, 24h or 2w")
    return timedelta(**{_UNITS[match[2]]: int(match[1])})


@dataclass
class ReportRow:
    key: str
    calls: int = 0
    estimated_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    images: int = 0
    cost_usd: float | None = None
    unpriced_models: set[str] = field(default_factory=set)

    def add(self, part: UsageSum, cost: float | None) -> None:
        self.calls += part.calls
        self.estimated_calls += part.estimated_calls
        self.prompt_tokens += part.prompt_tokens
        self.completion_tokens += part.completion_tokens
        self.images += part.images
        if cost is None:
            self.unpriced_models.add(part.model)
        else:
            self.cost_usd = (self.cost_usd or 0.0) + cost


async def usage_sums(
    sessions: async_sessionmaker[AsyncSession], since: datetime, by: str
) -> Sequence[UsageSum]:
    async with read_only_session(sessions) as session:
        return await UsageRepository(session).report(since, by)


def report_rows(sums: Sequence[UsageSum], prices: PriceTable) -> list[ReportRow]:
    """One row per key (models priced separately, then added) in order, rows retention left
    unnamed after them, and a last row of totals."""
    rows: dict[str, ReportRow] = {}
    total = ReportRow("total")
    for part in sums:
        cost = prices.cost(
            part.model,
            prompt_tokens=part.prompt_tokens,
            completion_tokens=part.completion_tokens,
            images=part.images,
        )
        key = part.key or UNNAMED
        rows.setdefault(key, ReportRow(key)).add(part, cost)
        total.add(part, cost)
    named = sorted(rows.values(), key=lambda row: (row.key == UNNAMED, row.key))
    return [*named, total]


_HEADERS = ("calls", "estimated", "tokens in", "tokens out", "images", "est. USD")


def _cells(row: ReportRow) -> list[str]:
    cost = "—" if row.cost_usd is None else f"{row.cost_usd:,.4f}"
    if row.cost_usd is not None and row.unpriced_models:
        cost += "*"
    return [
        row.key,
        f"{row.calls:,}",
        f"{row.estimated_calls:,}",
        f"{row.prompt_tokens:,}",
        f"{row.completion_tokens:,}",
        f"{row.images:,}",
        cost,
    ]


def render_table(rows: Sequence[ReportRow], by: str, since: datetime) -> str:
    header = [by, *_HEADERS]
    cells = [header, *(_cells(row) for row in rows)]
    widths = [max(len(line[i]) for line in cells) for i in range(len(header))]
    lines = [f"Usage since {since:%Y-%m-%d %H:%M} UTC, by {by}"]
    for index, line in enumerate(cells):
        if index == len(cells) - 1:
            lines.append("  ".join("-" * w for w in widths))
        lines.append(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(line, widths, strict=True))
            )
        )
    unpriced = sorted(set().union(*(row.unpriced_models for row in rows)))
    if unpriced:
        lines.append(f"— or *: no price for {', '.join(unpriced)} (tokens only); set MODEL_PRICES.")
    if rows[-1].estimated_calls:
        lines.append("estimated: calls whose server reported no usage, counted by the bot.")
    return "\n".join(lines)


def render_csv(rows: Sequence[ReportRow], by: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [by, "calls", "estimated_calls", "prompt_tokens", "completion_tokens", "images", "usd"]
    )
    for row in rows:
        cost = "" if row.cost_usd is None else f"{row.cost_usd:.6f}"
        writer.writerow(
            [
                row.key,
                row.calls,
                row.estimated_calls,
                row.prompt_tokens,
                row.completion_tokens,
                row.images,
                cost,
            ]
        )
    return out.getvalue()
