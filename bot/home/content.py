"""What one person's Home tab shows, as plain values (``slack_output.home_view`` draws them)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.home.usage import UsageTotals


@dataclass(frozen=True, slots=True)
class HomeModels:
    chat: str
    image: str


@dataclass(frozen=True, slots=True)
class ChannelSetting:
    """A channel's own settings (``/ai-settings``); None where it uses the default."""

    channel_id: str
    model: str | None
    system_prompt: str | None


@dataclass(frozen=True, slots=True)
class HomeContent:
    """Everything one person's Home tab shows; None leaves a section out."""

    models: HomeModels
    own_usage: UsageTotals | None
    workspace_usage: UsageTotals | None
    """Workspace admins only."""
    channel_settings: tuple[ChannelSetting, ...] | None
    """Workspace admins only."""
