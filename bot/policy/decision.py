"""What a policy check answers: nothing (go on), or a refusal that says why."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Refusal:
    """A policy's "no": a short stable code (metrics label, stored), and what the user is told."""

    code: str
    notice: str
    private: bool = False
    """True: shown only to the asker (ephemeral), not posted in the thread."""
