"""Budget periods are UTC days and calendar months, whatever the clock's own zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from bot.policy.budgets import day_start, month_start, next_month


def test_a_day_starts_at_utc_midnight_even_for_a_clock_in_another_zone() -> None:
    tokyo_morning = datetime(2026, 12, 2, 8, 0, tzinfo=timezone(timedelta(hours=9)))
    assert day_start(tokyo_morning) == datetime(2026, 12, 1, 0, 0, tzinfo=UTC)


def test_months_roll_over_at_the_year_end() -> None:
    assert month_start(datetime(2026, 12, 31, 23, 59, tzinfo=UTC)) == datetime(
        2026, 12, 1, tzinfo=UTC
    )
    assert next_month(datetime(2026, 12, 31, 23, 59, tzinfo=UTC)) == datetime(
        2027, 1, 1, tzinfo=UTC
    )
    assert next_month(datetime(2026, 2, 14, tzinfo=UTC)) == datetime(2026, 3, 1, tzinfo=UTC)
