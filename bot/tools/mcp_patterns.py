"""Which MCP tools are meant: ``server.tool`` names one, ``server.*`` every tool of a server."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class ToolPatterns:
    patterns: frozenset[str] = frozenset()

    @classmethod
    def of(cls, patterns: Iterable[str]) -> ToolPatterns:
        return cls(frozenset(p.strip() for p in patterns if p.strip()))

    def matches(self, server: str, tool: str) -> bool:
        return f"{server}.{tool}" in self.patterns or f"{server}.*" in self.patterns
