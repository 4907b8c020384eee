"""Who may use the bot and change it, and what it will not take up or say: rules asked by the
domain before the model is called, each answering nothing (go on) or a ``Refusal``."""

from __future__ import annotations

from bot.policy.decision import Refusal
from bot.policy.rules import Policies, Policy, PolicyRequest, RequestKind, Rule

__all__ = ["Policies", "Policy", "PolicyRequest", "Refusal", "RequestKind", "Rule"]
