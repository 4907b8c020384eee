"""What the person who asked for a summary reads when there is none to give."""

from __future__ import annotations

INVITE = "`/invite @AI Assistant`"

_UNREADABLE = {
    "not_in_channel": (
        "I can't read this thread because I'm not a member of this channel. "
        f"Invite me with {INVITE} and try again."
    ),
    "channel_not_found": (
        "I can't read this thread: it is in a private channel or a direct message I'm not "
        f"part of. Invite me to the channel with {INVITE} and try again."
    ),
    "missing_scope": (
        "I'm not allowed to read this kind of conversation yet. An admin can give me the "
        "permission by reinstalling the app from its manifest."
    ),
    "method_not_supported_for_channel_type": (
        "Slack doesn't let apps read threads in this kind of conversation."
    ),
    "thread_not_found": "I couldn't find that thread any more; it may have been deleted.",
    "ratelimited": (
        "Slack limits how often I may read threads, and that limit is reached for now. "
        "Please try again in a minute."
    ),
}

NO_REPLIES = "This message has no replies yet, so there's no thread to summarize."
WORKING = ":hourglass_flowing_sand: Summarizing this thread…"
ONLY_REQUESTER = "Only the person who asked for this summary can share it."
ALREADY_SHARED = "This summary is already in the thread."
GONE = "I can't find that summary any more. Please ask for a new one."


def unreadable_notice(slack_error: str) -> str:
    """Why the thread cannot be read, and what to do about it."""
    text = _UNREADABLE.get(slack_error, "Slack wouldn't let me read this thread.")
    return f":lock: {text}"


def slack_trouble(reference_id: str) -> str:
    return (
        ":warning: Slack refused to show the summary here. Please try again in a moment. "
        f"(reference: `{reference_id}`)"
    )
