"""Every variable, in the README's order, gathered from the area modules that declare them."""

from __future__ import annotations

from bot.config.core import ASSISTANT, CORE, LOGGING
from bot.config.policy import POLICY
from bot.config.slack import OAUTH, SLACK
from bot.config.tools import TOOLS
from bot.config.usage import USAGE
from bot.config.variable import Variable

VARIABLES: tuple[Variable, ...] = (
    *SLACK,
    *OAUTH,
    *CORE,
    *POLICY,
    *USAGE,
    *ASSISTANT,
    *TOOLS,
    *LOGGING,
)
