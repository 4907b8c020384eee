"""``python -m bot run`` migrates in a child process first; a database it cannot reach gets
one line saying what to check (never a traceback, never the password), and the bot does not
start."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.test_config_context import BASE


def test_run_with_an_unreachable_database_says_what_to_check(tmp_path: Path) -> None:
    env = {
        **BASE,
        "DATABASE_URL": "postgresql://bot:hunter2-secret@127.0.0.1:1/gone",
        "PATH": "/usr/bin:/bin",
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 1
    output = done.stdout + done.stderr
    assert "Traceback" not in output and "hunter2-secret" not in output
    assert done.stderr.strip().splitlines()[-1].startswith("Could not migrate the database: ")
    assert "Check DATABASE_URL" in done.stderr
    assert "bot started" not in output
