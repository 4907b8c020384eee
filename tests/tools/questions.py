"""What the tool tests look for in Slack: the Approve / Deny question the bot posted."""

from __future__ import annotations

from tests.fakes.slack import FakeSlack


def question_key(fake_slack: FakeSlack) -> str | None:
    """The confirmation id carried by the buttons of the first question posted, if any."""
    for call in fake_slack.calls_to("chat.postMessage"):
        for block in call.args.get("blocks") or []:
            if block.get("block_id") == "tool_confirm":
                return str(block["elements"][0]["value"])
    return None
