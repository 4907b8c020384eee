"""The output: a Markdown table per run, the budgets marked met or missed, and the same as
JSON for machines."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from bench.budgets import Budget
from bench.measure import PhaseResult
from bench.options import BenchOptions
from bench.phases import RunResult

BUSY_CORE = 0.9  # past this share of a core the fakes and driver may be what limits a phase

_COLUMNS: list[tuple[str, Callable[[PhaseResult], str]]] = [
    ("phase", lambda p: p.phase),
    ("sent", lambda p: str(p.sent)),
    ("acked 200", lambda p: str(p.acked)),
    ("acks > 3 s", lambda p: str(p.acks_past_3s)),
    ("ack p50 ms", lambda p: _num(p.ack_p50_ms)),
    ("ack p95 ms", lambda p: _num(p.ack_p95_ms)),
    ("ack p99 ms", lambda p: _num(p.ack_p99_ms)),
    ("answered", lambda p: str(p.answered)),
    ("answers/s", lambda p: _num(p.answers_per_s, 0)),
    ("own first text p50 ms", lambda p: _num(p.own_first_text_p50_ms)),
    ("beyond model p50 ms", lambda p: _num(p.beyond_model_p50_ms)),
    ("bot CPU ms/answer", lambda p: _num(p.bot_cpu_ms_per_answer)),
    ("bot CPU", lambda p: f"{p.bot_cores:.0%}"),
    ("fakes+driver CPU", lambda p: f"{p.fakes_cores:.0%}"),
    ("Slack calls/answer", lambda p: _num(p.slack_calls_per_answer, 2)),
    ("peak streams", lambda p: str(p.peak_open_streams)),
    ("peak RSS MB", lambda p: f"{p.peak_rss_mb:.0f}"),
]


def _num(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def render_run(run: RunResult) -> str:
    rows = [
        "| " + " | ".join(name for name, _ in _COLUMNS) + " |",
        "|---" + "|---:" * (len(_COLUMNS) - 1) + "|",
        *("| " + " | ".join(cell(p) for _, cell in _COLUMNS) + " |" for p in run.phases),
    ]
    per_method = ", ".join(f"{m} {n:.2f}" for m, n in run.slack_calls_per_answer.items())
    lines = [
        f"### {run.label}",
        "",
        f"CPUs: {run.pinning}.",
        "",
        *rows,
        "",
        f"Idle (after warm-up): RSS {run.idle_rss_mb:.0f} MB, bot CPU {run.idle_bot_cores:.1%}; "
        f"peak RSS {max((p.peak_rss_mb for p in run.phases), default=run.idle_rss_mb):.0f} MB.",
        f"Per answer over the run: Slack {per_method}; "
        f"model requests {run.model_requests_per_answer:.2f}.",
        *_busy_fakes(run.phases),
        *_errors(run.bot_log_errors),
    ]
    return "\n".join([*lines, ""])


def _busy_fakes(phases: list[PhaseResult]) -> list[str]:
    busy = [p.phase for p in phases if p.fakes_cores > BUSY_CORE]
    if not busy:
        return []
    return [
        f"Note: the fakes and driver kept more than {BUSY_CORE:.0%} of a core busy at "
        f"{', '.join(busy)}: there the load generator may be what limits the figures."
    ]


def _errors(lines: list[str]) -> list[str]:
    if not lines:
        return ["Bot logs: no errors."]
    return [f"Bot logs: {len(lines)} error lines; the first: `{lines[0][:300]}`"]


def render_budgets(budgets: list[Budget]) -> str:
    mark = {True: "✓ met", False: "✗ missed", None: "– not run"}
    rows = [
        "| budget | run | measured | limit | |",
        "|---|---|---|---|---|",
        *(f"| {b.figure} | {b.run} | {b.measured} | {b.limit} | {mark[b.met]} |" for b in budgets),
    ]
    return "\n".join(["### Budgets", "", *rows, ""])


def to_json(
    machine: str, options: BenchOptions, runs: list[RunResult], budgets: list[Budget]
) -> str:
    document: dict[str, Any] = {
        "machine": machine,
        "options": asdict(options),
        "runs": [asdict(run) for run in runs],
        "budgets": [asdict(budget) for budget in budgets],
    }
    return json.dumps(document, indent=2, default=str, ensure_ascii=False)
