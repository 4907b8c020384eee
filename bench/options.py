"""What one benchmark run does: rates, durations, sizes and the model's pace."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"


@dataclass(frozen=True)
class ReplyShape:
    """How the fake model answers: wait ``ttft_s``, then ``tokens`` at ``tokens_per_s``."""

    ttft_s: float
    tokens: int
    tokens_per_s: float

    @property
    def first_token_s(self) -> float:
        """When the first text arrives: the fake sends a role chunk, then one token interval."""
        return self.ttft_s + 1 / self.tokens_per_s

    @property
    def stream_s(self) -> float:
        return self.tokens / self.tokens_per_s


@dataclass(frozen=True)
class BenchOptions:
    rates: tuple[int, ...] = (50, 100, 200)
    duration_s: float = 5.0
    reply: ReplyShape = ReplyShape(ttft_s=0.3, tokens=40, tokens_per_s=50)
    concurrency: tuple[int, ...] = (10, 100, 1000)
    concurrent_reply: ReplyShape = ReplyShape(ttft_s=1.0, tokens=60, tokens_per_s=10)
    burst_rate: int = 500
    databases: tuple[str, ...] = ("sqlite", "postgresql")
    postgres_url: str = DEFAULT_POSTGRES_URL
    phase_timeout_s: float = 60.0
    bot_log_level: str = "info"
