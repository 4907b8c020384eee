"""Which CPU runs what: each bot on a core of its own (``taskset``) and, with one bot, the fakes
and the driver on the other, so the bot's figures are one core's and the load generator does
not steal from it. With two bots on two cores the fakes and the driver share both."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass


@dataclass(frozen=True)
class Layout:
    bot_cpus: tuple[int | None, ...]  # one per bot process; None: not pinned
    others: frozenset[int]  # the fakes (this process) and the driver
    description: str

    def bot_command_prefix(self, index: int) -> list[str]:
        cpu = self.bot_cpus[index]
        return [] if cpu is None else ["taskset", "--cpu-list", str(cpu)]


def layout(cpus: frozenset[int], bots: int) -> Layout:
    """Where ``bots`` bot processes and the rest run, given the CPUs this process may use."""
    ordered = sorted(cpus)
    everything = frozenset(ordered)
    reason = _why_not_pinned(len(ordered), bots)
    if reason:
        return Layout(
            (None,) * bots, everything, f"not pinned ({reason}): all share CPU {_list(everything)}"
        )
    bot_cpus = tuple(ordered[:bots])
    others = frozenset(ordered[bots:]) or everything
    where = " and ".join(f"CPU {cpu}" for cpu in bot_cpus)
    rest = "sharing them" if others == everything else f"on CPU {_list(others)}"
    who = "bot" if bots == 1 else "bots"
    return Layout(bot_cpus, others, f"{who} on {where} (taskset), fakes and driver {rest}")


def _why_not_pinned(cpu_count: int, bots: int) -> str:
    if shutil.which("taskset") is None:
        return "taskset not found"
    if cpu_count < max(2, bots):
        return f"{cpu_count} CPU for {bots} bot(s) and the load"
    return ""


def available_cpus() -> frozenset[int]:
    return frozenset(os.sched_getaffinity(0))


def run_here_on(cpus: frozenset[int]) -> None:
    """Pin this process (the fakes) and the processes it starts from now on to ``cpus``."""
    os.sched_setaffinity(0, cpus)


def _list(cpus: frozenset[int]) -> str:
    return ",".join(str(cpu) for cpu in sorted(cpus))
