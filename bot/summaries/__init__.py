"""Thread summaries, asked for with the "Summarize thread" message shortcut."""

from __future__ import annotations

from bot.summaries.service import ShareRequest, SummaryRequest, SummaryText, ThreadSummaries

__all__ = ["ShareRequest", "SummaryRequest", "SummaryText", "ThreadSummaries"]
