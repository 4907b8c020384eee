"""The table: percentiles, answers, memory and calls per answer, with ✓/✗ against DESIGN §7."""

from __future__ import annotations

import math
from collections.abc import Sequence

from bench.options import BenchOptions
from bench.phases import DatabaseRun

ACK_P99_BUDGET_MS = 25.0
ACK_BUDGET_RATE = 100
OWN_LATENCY_BUDGET_MS = 50.0
RSS_BUDGET_MB = 300.0
STREAM_CONCURRENCY = 1000
FLUSH_INTERVAL_S = 0.5  # DESIGN §7: Slack calls bounded by a throttle, not one per token


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def _ms(seconds: float) -> str:
    return "–" if math.isnan(seconds) else f"{seconds * 1000:.1f}"


def _mb(kb: int) -> float:
    return kb / 1024


def _mark(ok: bool) -> str:
    return "✓" if ok else "✗"


def render_run(run: DatabaseRun) -> str:
    lines = [f"### {run.label}", "", *_rate_table(run), "", *_concurrency_table(run), ""]
    return "\n".join([*lines, *_calls(run), ""])


def render_budgets(runs: list[DatabaseRun], options: BenchOptions) -> str:
    return "\n".join(["### Budgets (DESIGN §7)", "", *_budgets(runs, options)])


def _rate_table(run: DatabaseRun) -> list[str]:
    rows = [
        "| deliveries/s | sent | acked 200 | ack p50 ms | ack p95 ms | ack p99 ms "
        "| answered | own first text p50 ms | own first text p99 ms | bot CPU |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for phase in run.rates:
        acks = [s.ack_s for s in phase.sent if s.status == 200]
        rows.append(
            f"| {phase.rate} | {len(phase.sent)} | {len(acks)} | {_ms(percentile(acks, 50))} "
            f"| {_ms(percentile(acks, 95))} | {_ms(percentile(acks, 99))} | {phase.answered} "
            f"| {_ms(percentile(phase.own_latency_s, 50))} "
            f"| {_ms(percentile(phase.own_latency_s, 99))} | {phase.bot_cpu:.0%} |"
        )
    return rows


def _concurrency_table(run: DatabaseRun) -> list[str]:
    rows = [
        "| conversations at once | answered | peak open streams | all answered after s "
        "| peak RSS MB |",
        "|---:|---:|---:|---:|---:|",
    ]
    for level in run.concurrency:
        rows.append(
            f"| {level.conversations} | {level.answered} | {level.peak_open_streams} "
            f"| {level.all_answered_s:.1f} | {_mb(level.peak_rss_kb):.0f} |"
        )
    rows.append(f"\nRSS after warm-up: {_mb(run.idle_rss_kb):.0f} MB.")
    return rows


def _calls(run: DatabaseRun) -> list[str]:
    answers = max(1, run.answers)
    per_method = ", ".join(
        f"{method} {count / answers:.2f}" for method, count in sorted(run.slack_calls.items())
    )
    return [
        f"Per answer ({run.answers} answers): Slack {per_method}; "
        f"model requests {run.model_requests / answers:.2f}.",
    ]


def _budgets(runs: list[DatabaseRun], options: BenchOptions) -> list[str]:
    stream_s = max(options.reply.stream_s, options.concurrent_reply.stream_s)
    call_bound = 2 + math.ceil(stream_s / FLUSH_INTERVAL_S)
    lines = []
    if STREAM_CONCURRENCY not in options.concurrency:
        lines.append(f"- (not run) {STREAM_CONCURRENCY} streams at once: add it to --concurrency")
    for run in runs:
        at_rate = [p for p in run.rates if p.rate == ACK_BUDGET_RATE]
        if at_rate:
            acks = [s.ack_s for s in at_rate[0].sent if s.status == 200]
            ack_p99 = percentile(acks, 99) * 1000
            ok = len(acks) == len(at_rate[0].sent) and ack_p99 <= ACK_P99_BUDGET_MS
            lines.append(
                f"- {_mark(ok)} {run.label}: ack p99 {ack_p99:.1f} ms at {ACK_BUDGET_RATE}/s "
                f"(≤ {ACK_P99_BUDGET_MS:.0f} ms)"
            )
            own = percentile(at_rate[0].own_latency_s, 50) * 1000
            lines.append(
                f"- {_mark(own <= OWN_LATENCY_BUDGET_MS)} {run.label}: own latency to first "
                f"text, median {own:.1f} ms at {ACK_BUDGET_RATE}/s (≤ {OWN_LATENCY_BUDGET_MS:.0f} ms)"
            )
        for level in run.concurrency:
            if level.conversations == STREAM_CONCURRENCY:
                ok = (
                    level.answered == level.conversations
                    and _mb(level.peak_rss_kb) <= RSS_BUDGET_MB
                )
                lines.append(
                    f"- {_mark(ok)} {run.label}: {level.answered}/{level.conversations} "
                    f"streams answered, peak RSS {_mb(level.peak_rss_kb):.0f} MB "
                    f"(all, ≤ {RSS_BUDGET_MB:.0f} MB)"
                )
        answers = max(1, run.answers)
        slack_calls = sum(n for m, n in run.slack_calls.items() if m.startswith("chat."))
        per_answer = slack_calls / answers
        lines.append(
            f"- {_mark(per_answer <= call_bound)} {run.label}: {per_answer:.2f} chat.* calls "
            f"per answer (≤ {call_bound}: start, stop and one per {FLUSH_INTERVAL_S} s "
            f"of a {stream_s:.1f} s stream)"
        )
        replies = run.slack_calls["conversations.replies"]
        lines.append(f"- {_mark(replies == 0)} {run.label}: {replies} conversations.replies calls")
    return lines
