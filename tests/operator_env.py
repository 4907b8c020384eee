"""The shell an operator runs ``python -m bot <command>`` from: the variables, and no ``.env``."""

from __future__ import annotations

from pathlib import Path

import pytest


def operator_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str, **extra: str
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    variables = {
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": "secret",
        "OPENAI_API_KEY": "sk-test",
        **extra,
    }
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
