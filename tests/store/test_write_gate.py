"""The SQLite write gate: intake before answering work, first come first served within each,
and a waiter cancelled before or after its turn never leaves the gate held."""

from __future__ import annotations

import asyncio

import pytest

from bot.store.write_gate import INTAKE, WORK, WriteGate


async def _queue(
    gate: WriteGate, order: list[str], *waiters: tuple[str, int]
) -> list[asyncio.Task[None]]:
    """Tasks that each wait for the gate (held by the caller) and note when they got it."""

    async def take(name: str, priority: int) -> None:
        async with gate.hold(priority):
            order.append(name)

    tasks = [asyncio.create_task(take(name, priority)) for name, priority in waiters]
    await asyncio.sleep(0)  # one loop step: each task runs up to its wait, in creation order
    return tasks


async def _free(gate: WriteGate) -> None:
    """The gate can be taken at once: nobody holds it or waits for it."""
    async with asyncio.timeout(1), gate.hold(WORK):
        pass


async def test_intake_goes_before_work_that_waited_longer() -> None:
    gate, order = WriteGate(), []
    async with gate.hold(WORK):
        tasks = await _queue(gate, order, ("work", WORK), ("intake", INTAKE))
    await asyncio.gather(*tasks)
    assert order == ["intake", "work"]


async def test_waiters_of_one_priority_are_served_in_arrival_order() -> None:
    gate, order = WriteGate(), []
    async with gate.hold(INTAKE):
        tasks = await _queue(gate, order, *[(f"work-{n}", WORK) for n in range(4)])
        tasks += await _queue(gate, order, ("intake-1", INTAKE), ("intake-2", INTAKE))
    await asyncio.gather(*tasks)
    assert order == ["intake-1", "intake-2", "work-0", "work-1", "work-2", "work-3"]


async def test_a_waiter_cancelled_before_its_turn_is_skipped() -> None:
    gate, order = WriteGate(), []
    async with gate.hold(WORK):
        cancelled, served = await _queue(gate, order, ("cancelled", WORK), ("served", WORK))
        cancelled.cancel()
        with pytest.raises(asyncio.CancelledError):
            await cancelled
    async with asyncio.timeout(1):
        await served
    assert order == ["served"]
    await _free(gate)


async def test_a_waiter_cancelled_as_its_turn_came_passes_the_turn_on() -> None:
    gate, order = WriteGate(), []
    async with gate.hold(WORK):
        granted, next_one = await _queue(gate, order, ("granted", WORK), ("next", WORK))
    granted.cancel()  # its turn was handed over as the block ended; it has not run since
    with pytest.raises(asyncio.CancelledError):
        await granted
    async with asyncio.timeout(1):
        await next_one
    assert order == ["next"]
    await _free(gate)
