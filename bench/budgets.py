"""The service's performance budgets, each checked against the figures of the runs that measure it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from bench.measure import PhaseResult
from bench.options import BenchOptions
from bench.phases import RunResult

STREAM_INTERVAL_S = 0.5  # the bot sends streamed text at most this often (bot/slack_output)
SCALE_OUT_RATIO = 1.8

Measure = Callable[[PhaseResult], tuple[str, bool]]


@dataclass(frozen=True)
class Budget:
    figure: str
    run: str
    measured: str
    limit: str
    met: bool | None  # None: the phase that measures it was not run


SLACK_READS = "Slack reads to rebuild history"
RSS_IDLE = "RSS idle"
THROTTLED = "chat.* calls per streamed answer (throttled, not one per token)"
# Figures that hold for answers of any shape; the rest are budgeted for issue 12's answers.
_ANY_SHAPE = frozenset({SLACK_READS, RSS_IDLE, THROTTLED})


def check(runs: list[RunResult], options: BenchOptions) -> list[Budget]:
    """Every budget against the runs; a figure measured with answers other than the ones it
    is budgeted for is shown but not judged."""
    one = [b for run in runs if run.processes == 1 for b in _one_process(run)]
    checked = [*one, *_scale_out(runs)]
    budgeted = BenchOptions()
    if (options.reply, options.at_once_reply) == (budgeted.reply, budgeted.at_once_reply):
        return checked
    return [
        b
        if b.figure in _ANY_SHAPE or b.met is None
        else replace(b, measured=f"{b.measured} (answers not as budgeted)", met=None)
        for b in checked
    ]


def sustained_rate(run: RunResult) -> tuple[float, str] | None:
    """The most answers per second of any sustained phase in which every delivery was
    answered, and that phase's name."""
    kept_up = [
        (p.answers_per_s, p.phase)
        for p in run.phases
        if p.offered_per_s is not None and p.answers_per_s is not None and p.answered == p.sent
    ]
    return max(kept_up, default=None)


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f} ms"


def _within(value: float | None, limit: float) -> bool:
    return value is not None and value <= limit


def _acks_within(limit_ms: float) -> Measure:
    return lambda p: (_ms(p.ack_p99_ms), p.acked == p.sent and _within(p.ack_p99_ms, limit_ms))


# (phase, figure, limit, how it is measured and judged)
_PHASE_BUDGETS: list[tuple[str, str, str, Measure]] = [
    ("100/s", "ack p99 at 100/s", "≤ 25 ms", _acks_within(25)),
    ("1000 at once", "ack p99, 1,000 threads at once", "≤ 100 ms", _acks_within(100)),
    (
        "1000 at once",
        "acks past 3 s, 1,000 threads at once",
        "0",
        lambda p: (str(p.acks_past_3s), p.acks_past_3s == 0),
    ),
    (
        "10/s",
        "bot CPU per streamed answer (40 tokens) at 10/s",
        "≤ 5 ms",
        lambda p: (_ms(p.bot_cpu_ms_per_answer), _within(p.bot_cpu_ms_per_answer, 5)),
    ),
    (
        "100/s",
        "own latency to first text (model's first token → Slack), median at 100/s",
        "≤ 50 ms",
        lambda p: (_ms(p.own_first_text_p50_ms), _within(p.own_first_text_p50_ms, 50)),
    ),
    (
        "100/s",
        "delivery → first text beyond the model's TTFT, median at 100/s",
        "≤ 50 ms",
        lambda p: (_ms(p.beyond_model_p50_ms), _within(p.beyond_model_p50_ms, 50)),
    ),
    (
        "1000 at once",
        "peak RSS, 1,000 threads streaming at once",
        "≤ 200 MB",
        lambda p: (f"{p.peak_rss_mb:.0f} MB", p.peak_rss_mb <= 200),
    ),
]


def _one_process(run: RunResult) -> Iterator[Budget]:
    by_name = {p.phase: p for p in run.phases}
    for name, figure, limit, measure in _PHASE_BUDGETS:
        phase = by_name.get(name)
        if phase is None:
            yield Budget(figure, run.label, f"({name} not run)", limit, None)
        else:
            measured, met = measure(phase)
            yield Budget(figure, run.label, measured, limit, met)
    best = sustained_rate(run)
    yield Budget(
        "sustained rate on one core, all answered",
        run.label,
        "none answered in full" if best is None else f"{best[0]:.0f}/s (at {best[1]})",
        "≥ 150/s",
        best is not None and best[0] >= 150,
    )
    yield Budget(
        RSS_IDLE, run.label, f"{run.idle_rss_mb:.0f} MB", "≤ 100 MB", run.idle_rss_mb <= 100
    )
    yield _throttled(run)
    replies = run.conversations_replies
    yield Budget(SLACK_READS, run.label, str(replies), "0", replies == 0)


def _call_bound(phase: PhaseResult) -> float | None:
    """A start, a stop and at most one send per stream interval while the answer streamed
    (as long as it took the bot, which under load is longer than the model's stream)."""
    if phase.streamed_s is None:
        return None
    return 2 + phase.streamed_s / STREAM_INTERVAL_S


def _throttled(run: RunResult) -> Budget:
    figure = THROTTLED
    counted = [
        (p, p.chat_calls_per_answer, bound)
        for p in run.phases
        if p.chat_calls_per_answer is not None and (bound := _call_bound(p)) is not None
    ]
    if not counted:
        return Budget(figure, run.label, "no answers", "", None)
    worst, calls, bound = max(counted, key=lambda c: c[1] / c[2])
    return Budget(
        figure,
        run.label,
        f"{calls:.2f} at {worst.phase}",
        f"≤ {bound:.1f} (2 + {worst.streamed_s:.1f} s streamed / {STREAM_INTERVAL_S} s)",
        all(calls <= bound for _, calls, bound in counted),
    )


def _scale_out(runs: list[RunResult]) -> Iterator[Budget]:
    figure = "two processes on one PostgreSQL vs one"
    limit = f"≥ {SCALE_OUT_RATIO}×"
    one = next((r for r in runs if r.processes == 1 and r.label == "PostgreSQL"), None)
    two = next((r for r in runs if r.processes == 2), None)
    if one is None or two is None:
        yield Budget(figure, "PostgreSQL", "(not run)", limit, None)
        return
    single, double = sustained_rate(one), sustained_rate(two)
    if single is None or double is None:
        yield Budget(figure, two.label, "a run answered nothing in full", limit, False)
        return
    ratio = double[0] / single[0]
    yield Budget(
        figure,
        two.label,
        f"{ratio:.2f}× ({double[0]:.0f}/s vs {single[0]:.0f}/s)",
        limit,
        ratio >= SCALE_OUT_RATIO,
    )
