"""``python -m bot usage`` on a seeded database: per user, model or day, priced by MODEL_PRICES,
as a table and as CSV."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from bot.__main__ import main
from bot.store.models import UsageRecord
from tests.operator_env import operator_env

NOW = datetime.now(UTC)


def _row(user: str | None, model: str, at: datetime, **figures: object) -> UsageRecord:
    values: dict[str, object] = {
        "prompt_tokens": 0,
        "completion_tokens": 0,
        "images": 0,
        "estimated": False,
        "kind": "chat",
    }
    values.update(figures)
    return UsageRecord(
        created_at=at, team_id="T0001", user_id=user, channel_id="C0001", model=model, **values
    )


async def _seed(database_url: str) -> None:
    engine = create_async_engine(database_url)
    async with AsyncSession(engine) as session, session.begin():
        session.add_all(
            [
                _row(
                    "U0ANN",
                    "gpt-4o-mini",
                    NOW - timedelta(hours=1),
                    prompt_tokens=1000,
                    completion_tokens=200,
                ),
                _row("U0ANN", "gpt-image-1", NOW - timedelta(hours=2), kind="image", images=2),
                _row(
                    "U0BOB",
                    "acme-llm-7b",
                    NOW - timedelta(days=1),
                    prompt_tokens=500,
                    completion_tokens=100,
                    estimated=True,
                ),
                _row(None, "gpt-4o-mini", NOW - timedelta(days=2), prompt_tokens=10),  # retained
                _row("U0OLD", "gpt-4o-mini", NOW - timedelta(days=10), prompt_tokens=99999),
            ]
        )
    await engine.dispose()


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(args) == 0
    return capsys.readouterr().out


@pytest.fixture
def environment(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    operator_env(
        monkeypatch, tmp_path, database_url, MODEL_PRICES="gpt-4o-mini=1/2,gpt-image-1=0.5"
    )
    asyncio.run(_seed(database_url))
    return database_url


def test_usage_by_user_as_csv_prices_each_model_and_skips_older_rows(
    environment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = _run(["usage", "--since", "7d", "--by", "user", "--csv"], capsys)
    rows = list(csv.DictReader(io.StringIO(out)))
    by_user = {row["user"]: row for row in rows}
    assert list(by_user) == ["U0ANN", "U0BOB", "(forgotten)", "total"]
    ann = by_user["U0ANN"]
    assert (ann["calls"], ann["prompt_tokens"], ann["completion_tokens"], ann["images"]) == (
        "2",
        "1000",
        "200",
        "2",
    )
    assert float(ann["usd"]) == pytest.approx((1000 * 1 + 200 * 2) / 1e6 + 2 * 0.5)
    bob = by_user["U0BOB"]
    assert (bob["estimated_calls"], bob["usd"]) == ("1", "")  # acme-llm-7b has no price
    total = by_user["total"]
    assert (total["calls"], total["prompt_tokens"]) == ("4", "1510")
    assert float(total["usd"]) == pytest.approx(1.0014 + 10 / 1e6)


def test_usage_by_model_as_a_table(environment: str, capsys: pytest.CaptureFixture[str]) -> None:
    out = _run(["usage", "--by", "model"], capsys)  # 7 days by default
    lines = out.splitlines()
    assert lines[0].startswith("Usage since ") and lines[0].endswith("UTC, by model")
    assert lines[1].split() == [
        "model",
        "calls",
        "estimated",
        "tokens",
        "in",
        "tokens",
        "out",
        "images",
        "est.",
        "USD",
    ]
    table = {line.split()[0]: line.split()[1:] for line in lines[2:] if line[:1].isalnum()}
    assert table["acme-llm-7b"] == ["1", "1", "500", "100", "0", "—"]
    assert table["gpt-4o-mini"] == ["2", "0", "1,010", "200", "0", "0.0014"]
    assert table["gpt-image-1"] == ["1", "0", "0", "0", "2", "1.0000"]
    assert table["total"] == ["4", "1", "1,510", "300", "2", "1.0014*"]
    assert "no price for acme-llm-7b" in out


def test_usage_by_day_groups_utc_days(environment: str, capsys: pytest.CaptureFixture[str]) -> None:
    out = _run(["usage", "--since", "30d", "--by", "day", "--csv"], capsys)
    days = [row["day"] for row in csv.DictReader(io.StringIO(out))][:-1]
    expected = {f"{NOW - timedelta(hours=h):%Y-%m-%d}" for h in (1, 2, 24, 48, 240)}
    assert days == sorted(expected)


def test_a_bad_period_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["usage", "--since", "soon"])
    assert exited.value.code == 2
    assert "'soon' is not a period like 7d, 24h or 2w" in capsys.readouterr().err
