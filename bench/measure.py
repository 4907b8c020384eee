"""What one phase is (how many deliveries, how fast, how the model answers), what was seen
while it ran, and the figures it comes to."""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from bench.driver import Sent
from bench.fakes import ModelTimes
from bench.options import ReplyShape

SLACK_ACK_LIMIT_S = 3.0  # past this Slack counts the delivery as failed and retries it


@dataclass(frozen=True)
class PhaseSpec:
    name: str
    rate: float  # deliveries per second; math.inf sends them all at once
    count: int
    reply: ReplyShape


def sustained(rate: int, duration_s: float, reply: ReplyShape) -> PhaseSpec:
    return PhaseSpec(f"{rate}/s", rate, max(1, round(rate * duration_s)), reply)


def at_once(threads: int, reply: ReplyShape) -> PhaseSpec:
    return PhaseSpec(f"{threads} at once", math.inf, threads, reply)


@dataclass(frozen=True)
class Observed:
    """Raw material of one phase: times are ``time.monotonic()``, shared by all processes."""

    spec: PhaseSpec
    sent: list[Sent]
    model: dict[str, ModelTimes]  # thread → its model request arrived, its first token left
    first_text_at: dict[str, float]  # thread → its first visible text reached the fake Slack
    answered_at: dict[str, float]  # thread → its answer's last chat.stopStream
    wall_s: float
    bot_cpu_s: float  # all bot processes together
    fakes_cpu_s: float  # the fakes' process and the driver together
    slack_calls: Counter[str]
    peak_rss_kb: int  # the highest of the bot processes
    peak_open_streams: int


@dataclass(frozen=True)
class PhaseResult:
    phase: str
    offered_per_s: float | None  # None: all at once
    sent: int
    acked: int  # HTTP 200
    acks_past_3s: int  # including those that got no answer within the driver's 30 s
    ack_p50_ms: float | None
    ack_p95_ms: float | None
    ack_p99_ms: float | None
    answered: int
    answers_per_s: float | None  # from the phase's first finished answer to its last
    own_first_text_p50_ms: float | None  # the model's first token left → first text at Slack
    own_first_text_p99_ms: float | None
    beyond_model_p50_ms: float | None  # delivery sent → first text, less the model's TTFT
    beyond_model_p99_ms: float | None
    bot_cpu_ms_per_answer: float | None
    bot_cores: float  # the bots' CPU time over the phase's wall time (1.0 = one core busy)
    fakes_cores: float  # the same for the fakes and the driver
    slack_calls_per_answer: float | None
    chat_calls_per_answer: float | None
    streamed_s: float | None  # first text → answer finished, on average
    peak_open_streams: int
    peak_rss_mb: float


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (an observed value, so tails are never smoothed); None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000


def _per(total: float, answers: int) -> float | None:
    return total / answers if answers else None


def summarise(seen: Observed) -> PhaseResult:
    acks = [s.ack_s for s in seen.sent if s.status == 200]
    shown = [
        s for s in seen.sent if s.thread_ts in seen.first_text_at and s.thread_ts in seen.model
    ]
    own = [seen.first_text_at[s.thread_ts] - seen.model[s.thread_ts].first_token_at for s in shown]
    beyond = [
        seen.first_text_at[s.thread_ts] - s.sent_at - seen.model[s.thread_ts].ttft_s for s in shown
    ]
    threads = [s.thread_ts for s in seen.sent]
    streamed = [
        seen.answered_at[t] - seen.first_text_at[t]
        for t in threads
        if t in seen.answered_at and t in seen.first_text_at
    ]
    finished = sorted(seen.answered_at[t] for t in threads if t in seen.answered_at)
    span = finished[-1] - finished[0] if len(finished) > 1 else 0.0
    answered = len(finished)
    chat_calls = sum(n for method, n in seen.slack_calls.items() if method.startswith("chat."))
    return PhaseResult(
        phase=seen.spec.name,
        offered_per_s=None if math.isinf(seen.spec.rate) else seen.spec.rate,
        sent=len(seen.sent),
        acked=len(acks),
        acks_past_3s=sum(1 for s in seen.sent if s.ack_s > SLACK_ACK_LIMIT_S),
        ack_p50_ms=_ms(percentile(acks, 50)),
        ack_p95_ms=_ms(percentile(acks, 95)),
        ack_p99_ms=_ms(percentile(acks, 99)),
        answered=answered,
        answers_per_s=(answered - 1) / span if span > 0 else None,
        own_first_text_p50_ms=_ms(percentile(own, 50)),
        own_first_text_p99_ms=_ms(percentile(own, 99)),
        beyond_model_p50_ms=_ms(percentile(beyond, 50)),
        beyond_model_p99_ms=_ms(percentile(beyond, 99)),
        bot_cpu_ms_per_answer=_ms(_per(seen.bot_cpu_s, answered)),
        bot_cores=seen.bot_cpu_s / seen.wall_s,
        fakes_cores=seen.fakes_cpu_s / seen.wall_s,
        slack_calls_per_answer=_per(seen.slack_calls.total(), answered),
        chat_calls_per_answer=_per(chat_calls, answered),
        streamed_s=statistics.fmean(streamed) if streamed else None,
        peak_open_streams=seen.peak_open_streams,
        peak_rss_mb=seen.peak_rss_kb / 1024,
    )
