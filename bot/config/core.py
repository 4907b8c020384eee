"""Where the Slack API, model server and database are, how answers are sized and timed, what the
Messages tab suggests, and logging."""

from __future__ import annotations

from bot.config.parsers import (
    base_url,
    choice,
    context_tokens,
    database_url,
    port,
    positive_float,
    positive_int,
    slack_api_url,
    suggested_prompts,
    text,
)
from bot.config.variable import Variable

DEFAULT_SYSTEM_PROMPT = (
    "You are a helpful assistant in a Slack workspace. Answer clearly and concisely, "
    "use Markdown where it helps, and say so when you are not sure."
)

DEFAULT_SUGGESTED_PROMPTS = (
    "Explain something|Explain how DNS works, step by step, for someone new to it;"
    "Draw a picture|/imagine a lighthouse at dawn in watercolour;"
    "Improve my writing|Make this paragraph clearer and friendlier:;"
    "Plan a meeting|Help me plan a one-hour team workshop with an agenda"
)


CORE: tuple[Variable, ...] = (
    Variable(
        "SLACK_API_URL",
        slack_api_url,
        "https://slack.com/api/",
        "Slack Web API base (GovSlack, proxies, tests).",
    ),
    Variable(
        "OPENAI_API_KEY",
        text,
        None,
        "Key for the model server (any non-empty value for servers without auth).",
        secret=True,
    ),
    Variable(
        "OPENAI_BASE_URL",
        base_url,
        "https://api.openai.com/v1",
        "OpenAI-compatible base URL (Azure OpenAI, vLLM, Ollama, LiteLLM, llama.cpp).",
    ),
    Variable("OPENAI_MODEL", text, "gpt-4.1-mini", "Chat model."),
    Variable("OPENAI_IMAGE_MODEL", text, "gpt-image-1", "Image model for `/imagine`."),
    Variable(
        "DATABASE_URL",
        database_url,
        "sqlite+aiosqlite:///./bot.db",
        "SQLAlchemy URL; `sqlite:///…` and `postgresql://…` get their async drivers.",
    ),
    Variable("PORT", port, "3000", "HTTP port (HTTP mode, and health/metrics in both modes)."),
    Variable("SYSTEM_PROMPT", text, DEFAULT_SYSTEM_PROMPT, "Default system prompt."),
    Variable(
        "MODEL_CONTEXT_TOKENS",
        context_tokens,
        "",
        "Context window in tokens: a number for every model, and/or per-model entries "
        "(`gpt-4o=128000,llama3.1=8192`, longest name prefix wins); overrides the built-in "
        "table of OpenAI models. Unset: that table, else 128000. A smaller window a server "
        "reports in its errors is learned and remembered in the database.",
        unset={},
    ),
    Variable(
        "ANSWER_MAX_TOKENS",
        positive_int,
        "4096",
        "Longest answer in tokens: sent with every chat request (`max_completion_tokens`, or "
        "`max_tokens` for servers that refuse it) and kept free in the window (at most half "
        "of it). An answer cut at this limit says so.",
    ),
    Variable(
        "HISTORY_MAX_TOKENS",
        positive_int,
        "16000",
        "Most tokens of thread history sent with one answer, however large the window, so "
        "each answer's cost stays bounded; older turns are left out, with a footnote.",
    ),
    Variable(
        "VISION_MODELS",
        text,
        "",
        "Comma-separated model-name prefixes that accept images, besides OpenAI's known vision "
        "models (e.g. `llava,qwen2.5-vl` or an Azure deployment name). Others get text only.",
    ),
    Variable(
        "MAX_IMAGES_PER_MESSAGE",
        positive_int,
        "4",
        "Images the model is shown from one message; the user is told which were skipped.",
    ),
    Variable(
        "MAX_ATTACHMENT_MB_PER_MESSAGE",
        positive_int,
        "32",
        "MiB of images taken from one message, each also capped at OpenAI's 20 MiB; base64 "
        "adds a third, and 32 keeps the request under OpenAI's 50 MB.",
    ),
    Variable(
        "MAX_ATTACHMENT_MB_IN_FLIGHT",
        positive_int,
        "200",
        "MiB of images one process holds at once, from download until their answer is done; "
        "further downloads wait for room. At least `MAX_ATTACHMENT_MB_PER_MESSAGE`.",
    ),
    Variable(
        "MAX_FILE_MB",
        positive_int,
        "10",
        "MiB an attached text, PDF or Word file may have to be read (capped at "
        "`MAX_ATTACHMENT_MB_IN_FLIGHT`); larger ones get a note.",
    ),
    Variable(
        "FILE_TEXT_MAX_TOKENS",
        positive_int,
        "20000",
        "Tokens of attached files' text one message may give the model (and at most half the "
        "model's prompt); a longer file is excerpted from its start and the user told how much "
        "was read.",
    ),
    Variable(
        "OPENAI_CONNECT_TIMEOUT", positive_float, "5", "Seconds to connect to the model server."
    ),
    Variable(
        "OPENAI_READ_TIMEOUT", positive_float, "60", "Seconds to wait for a non-streamed response."
    ),
    Variable(
        "OPENAI_STREAM_IDLE_TIMEOUT",
        positive_float,
        "30",
        "Seconds a streamed answer may stay silent (no byte, the response's headers included) "
        "before it is abandoned.",
    ),
    Variable(
        "OPENAI_MAX_RETRY_SECONDS",
        positive_float,
        "60",
        "Total time spent retrying 429/5xx/timeouts before the user is told.",
    ),
    Variable(
        "WORKER_CONCURRENCY", positive_int, "1000", "How many answers one process streams at once."
    ),
    Variable(
        "INBOX_LEASE_SECONDS",
        positive_float,
        "60",
        "How long a claimed delivery stays with a process before another may take it over.",
    ),
    Variable(
        "SHUTDOWN_GRACE_SECONDS",
        positive_float,
        "25",
        "On SIGTERM, how long in-flight answers may finish before the process exits.",
    ),
)


ASSISTANT: tuple[Variable, ...] = (
    Variable(
        "SUGGESTED_PROMPTS",
        suggested_prompts,
        DEFAULT_SUGGESTED_PROMPTS,
        "Prompts offered when someone opens the bot's Messages tab: up to 4 `title\\|message` "
        "pairs separated by `;` (a message may be an `/imagine …` picture request).",
    ),
)


LOGGING: tuple[Variable, ...] = (
    Variable("LOG_LEVEL", choice("debug", "info", "warning", "error"), "info", "Log level."),
    Variable("LOG_FORMAT", choice("text", "json"), "text", "`text`, or `json` for containers."),
)
