"""What users read when an answer could not be given: plain words and a reference id."""

from __future__ import annotations

from bot.errors import (
    BotError,
    ModelContextTooLong,
    ModelRateLimited,
    ModelRefused,
    ModelStatusError,
    ModelStreamInterrupted,
    ModelTimeout,
    ModelUnavailable,
)


def failure_notice(error: BaseException, reference_id: str) -> str:
    """One friendly sentence for the thread; the cause itself goes to the log with the id."""
    if isinstance(error, ModelRateLimited):
        what = "The AI service is busy right now and asked us to slow down. Please try again in a minute."
    elif isinstance(error, ModelStreamInterrupted):
        what = "The answer was cut off because the connection to the AI service broke."
    elif isinstance(error, ModelTimeout | ModelUnavailable):
        what = "I couldn't reach the AI service in time. Please try again shortly."
    elif isinstance(error, ModelRefused):
        what = "The AI service declined to answer this request under its content policy."
    elif isinstance(error, ModelContextTooLong):
        what = "This thread is too long for the model, even after leaving out older messages. Please start a new thread."
    elif isinstance(error, ModelStatusError) and error.status in (401, 403):
        what = (
            "The AI service rejected the bot's credentials. An admin needs to check OPENAI_API_KEY."
        )
    elif isinstance(error, ModelStatusError) and error.status == 404:
        what = "The configured model was not found on the AI service. An admin needs to check OPENAI_MODEL."
    elif isinstance(error, BotError):
        what = "Sorry, I couldn't answer that because the AI service returned an error."
    else:
        what = "Sorry, something went wrong on my side while answering."
    return f":warning: {what} (reference: `{reference_id}`)"


INTERRUPTED_MARK = "⚠️ Answer interrupted."
DROPPED_FOOTNOTE = (
    "_Older messages in this thread were left out to fit the model's context window._"
)
LENGTH_CUT_MARK = "_…cut at the length limit. Ask me to go on for the rest._"


def history_capped_footnote(history_limit: int) -> str:
    """Older turns left out for ``HISTORY_MAX_TOKENS``, though the window had room for more."""
    return (
        "_Older messages in this thread were left out: each answer reads at most "
        f"{history_limit:,} tokens of the thread's history._"
    )


EMPTY_ANSWER_NOTICE = "_The model returned an empty answer. Please try rephrasing your question._"
"""Shown in place of an answer the model left empty; the turn is stored with no text, so it
never enters a later prompt."""
EMPTY_PROMPT_NOTICE = (
    ":wave: Hi! Ask me anything: mention me with your question, e.g. "
    "`@bot summarize the discussion above`, or send me a direct message."
)
BARE_MENTION_PROMPT = (
    "(I was mentioned in this thread without a question: help with the discussion above.)"
)
