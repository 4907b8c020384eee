"""The byte-weighted semaphore that bounds attachment bytes held by one process."""

from __future__ import annotations

import asyncio

import pytest

from bot.byte_budget import ByteBudget


async def _queue(budget: ByteBudget, nbytes: int, entered: list[int]) -> asyncio.Task[None]:
    """A holder of ``nbytes`` that has reached ``hold()``: it either holds or waits in line."""
    trying = asyncio.Event()

    async def enter() -> None:
        trying.set()  # the task runs on into hold() and parks there before the test resumes
        async with budget.hold(nbytes):
            entered.append(nbytes)

    task = asyncio.create_task(enter())
    await trying.wait()
    return task


async def test_a_hold_that_does_not_fit_waits_until_room_is_released() -> None:
    budget = ByteBudget(100)
    entered: list[int] = []
    async with budget.hold(80):
        waiter = await _queue(budget, 30, entered)
        assert (budget.in_use, budget.waiting, entered) == (80, 1, [])
    await waiter
    assert entered == [30]
    assert (budget.in_use, budget.waiting) == (0, 0)


async def test_waiters_are_served_in_order_so_a_large_one_is_not_starved() -> None:
    budget = ByteBudget(100)
    entered: list[int] = []
    async with budget.hold(60):
        large = await _queue(budget, 90, entered)
        small = await _queue(budget, 10, entered)
        assert budget.waiting == 2 and entered == []  # 10 would fit, but 90 came first
    await asyncio.gather(large, small)
    assert entered == [90, 10]


async def test_a_cancelled_waiter_gives_up_its_place() -> None:
    budget = ByteBudget(100)
    entered: list[int] = []
    async with budget.hold(50):
        cancelled = await _queue(budget, 100, entered)
        behind = await _queue(budget, 40, entered)
        cancelled.cancel()
        await behind  # fits beside the 50 held once the 100 ahead of it is gone
        with pytest.raises(asyncio.CancelledError):
            await cancelled
    assert entered == [40]
    assert (budget.in_use, budget.waiting) == (0, 0)


async def test_more_than_the_capacity_can_never_be_held() -> None:
    budget = ByteBudget(10)
    with pytest.raises(ValueError, match="cannot hold 11 bytes of 10"):
        async with budget.hold(11):
            pass
