"""What one benchmark run does: rates, durations, sizes and the model's pace."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"


@dataclass(frozen=True)
class ReplyShape:
    """How the fake model answers: wait ``ttft_s``, then ``tokens`` at ``tokens_per_s``."""

    ttft_s: float
    tokens: int
    tokens_per_s: float

    @property
    def stream_s(self) -> float:
        return self.tokens / self.tokens_per_s


@dataclass(frozen=True)
class BenchOptions:
    """Defaults are issue 12's: sustained rates with short answers, bursts with long ones."""

    rates: tuple[int, ...] = (10, 50, 100, 150, 200)
    duration_s: float = 5.0
    reply: ReplyShape = ReplyShape(ttft_s=0.3, tokens=40, tokens_per_s=50)
    at_once: tuple[int, ...] = (100, 1000)
    at_once_reply: ReplyShape = ReplyShape(ttft_s=1.0, tokens=60, tokens_per_s=10)
    two_process_rates: tuple[int, ...] = (400,)
    databases: tuple[str, ...] = ("sqlite", "postgresql")
    postgres_url: str = DEFAULT_POSTGRES_URL
    phase_timeout_s: float = 60.0
    bot_log_level: str = "info"
    json_path: Path | None = None


QUICK = BenchOptions(rates=(10, 100, 200), duration_s=0.5, at_once=(100,))
