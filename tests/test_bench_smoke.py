"""The benchmark at a tiny size, so it cannot rot: it completes and prints its table with
numbers. No timing is asserted; the numbers are the benchmark's business, not the suite's."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TINY = [
    "--rates", "5",
    "--duration", "0.6",
    "--ttft", "0.01",
    "--tokens", "3",
    "--tokens-per-s", "100",
    "--concurrency", "3",
    "--concurrent-ttft", "0.01",
    "--concurrent-tokens", "3",
    "--concurrent-tokens-per-s", "100",
    "--databases", "sqlite",
    "--phase-timeout", "30",
    "--bot-log-level", "warning",
]  # fmt: skip


def test_bench_runs_at_a_tiny_size_and_prints_its_table() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench", *TINY],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    assert re.search(
        r"^\| 5 \| 3 \| 3 \| [\d.]+ \| [\d.]+ \| [\d.]+ \| 3 \| -?[\d.]+ \|", out, re.M
    )
    assert re.search(r"^\| 3 \| 3 \| \d+ \| [\d.]+ \| \d+ \|$", out, re.M)
    assert "model requests 1.00" in out
    assert "conversations.replies calls" in out
