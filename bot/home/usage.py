"""What the App Home shows of usage, behind a small interface the usage ledger implements.

The App Home shows a usage section only when it is given a ``UsageSummary``: until the ledger
exists there is nothing true to show, so nothing is shown."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class UsageTotals:
    """Usage over the current calendar month (UTC)."""

    answers: int
    prompt_tokens: int
    completion_tokens: int
    images: int
    estimated_cost_usd: float | None = None
    """None where prices are not known for the models used."""


class UsageSummary(Protocol):
    async def for_user(self, team_id: str, user_id: str) -> UsageTotals:
        """One person's usage in one workspace this month."""
        ...

    async def for_workspace(self, team_id: str) -> UsageTotals:
        """The whole workspace's usage this month."""
        ...
