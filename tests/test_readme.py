"""The README's configuration table is the one the code generates (``python -m bot config-table``)."""

from __future__ import annotations

from pathlib import Path

from bot.config import config_table

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_holds_exactly_the_generated_configuration_table() -> None:
    section = (
        README.read_text(encoding="utf-8").split("## Configuration", 1)[1].split("\n## ", 1)[0]
    )
    table = "\n".join(line for line in section.splitlines() if line.startswith("|"))
    assert table == config_table()


def test_quick_start_has_the_two_commands() -> None:
    quick = README.read_text(encoding="utf-8").split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = [
        line.split("#")[0].strip() for line in quick.splitlines() if line.startswith("scripts/")
    ]
    assert commands == ["scripts/run", "scripts/test"]
