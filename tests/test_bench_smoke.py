"""The benchmark at a tiny size, so it cannot rot: it completes, prints its tables, and every
figure it reports was actually measured. No timing is asserted; the numbers are the
benchmark's business, not the suite's."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "")
TINY = [
    "--rates", "5",
    "--duration", "0.6",
    "--ttft", "0.01",
    "--tokens", "3",
    "--tokens-per-s", "100",
    "--at-once", "3",
    "--at-once-ttft", "0.01",
    "--at-once-tokens", "3",
    "--at-once-tokens-per-s", "100",
    "--two-process-rates", "10",
    "--phase-timeout", "30",
    "--bot-log-level", "warning",
]  # fmt: skip
# Figures that need nothing beyond a few answered deliveries; each must have been measured.
MEASURED = [
    "ack_p50_ms",
    "ack_p99_ms",
    "answers_per_s",
    "own_first_text_p50_ms",
    "beyond_model_p50_ms",
    "bot_cpu_ms_per_answer",
    "slack_calls_per_answer",
    "chat_calls_per_answer",
    "streamed_s",
]


def _bench(tmp_path: Path, *args: str) -> tuple[str, dict[str, Any]]:
    report = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench", *TINY, "--json", str(report), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout, json.loads(report.read_text())


def _assert_every_delivery_answered_and_measured(run: dict[str, Any]) -> None:
    for phase in run["phases"]:
        assert phase["sent"] == phase["acked"] == phase["answered"], phase
        missing = [name for name in MEASURED if phase[name] is None]
        assert not missing, (phase["phase"], missing)
        assert phase["peak_rss_mb"] > 0
    assert run["model_requests_per_answer"] == 1.0
    assert run["conversations_replies"] == 0
    assert run["bot_log_errors"] == []


def test_bench_runs_at_a_tiny_size_and_prints_its_table(tmp_path: Path) -> None:
    out, report = _bench(tmp_path, "--databases", "sqlite")

    assert re.search(r"^\| 5/s \| 3 \| 3 \| \d+ \| [\d.]+ \| [\d.]+ \| [\d.]+ \| 3 \|", out, re.M)
    assert re.search(r"^\| 3 at once \| 3 \| 3 \| \d+ \|", out, re.M)
    assert re.search(r"^CPUs: (bot on CPU \d+ \(taskset\)|not pinned)", out, re.M)
    assert "### Budgets" in out
    [run] = report["runs"]
    assert [p["phase"] for p in run["phases"]] == ["5/s", "3 at once"]
    _assert_every_delivery_answered_and_measured(run)
    judged = {(b["figure"], b["met"] is not None) for b in report["budgets"]}
    assert ("Slack reads to rebuild history", True) in judged
    assert ("RSS idle", True) in judged
    # Answers of 3 tokens are not what the rate budgets are set for: shown, not judged.
    [rate] = [b for b in report["budgets"] if b["figure"].startswith("sustained rate")]
    assert rate["met"] is None
    assert rate["measured"].endswith("(answers not as budgeted)")


@pytest.mark.postgres
@pytest.mark.skipif(not POSTGRES_URL, reason="TEST_POSTGRES_URL not set")
def test_bench_compares_two_processes_with_one_on_postgresql(tmp_path: Path) -> None:
    out, report = _bench(tmp_path, "--databases", "postgresql", "--postgres-url", POSTGRES_URL)

    one, two = report["runs"]
    assert (one["label"], one["processes"], two["processes"]) == ("PostgreSQL", 1, 2)
    _assert_every_delivery_answered_and_measured(one)
    _assert_every_delivery_answered_and_measured(two)
    [scale_out] = [b for b in report["budgets"] if b["figure"].startswith("two processes")]
    assert scale_out["met"] is None  # measured, but with answers it is not budgeted for
    assert re.fullmatch(
        r"[\d.]+× \(\d+/s vs \d+/s\) \(answers not as budgeted\)", scale_out["measured"]
    )
    assert "### PostgreSQL, 2 processes" in out
