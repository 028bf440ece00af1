# syntax=docker/dockerfile:1
FROM python:3.11-slim AS build
RUN pip install --no-cache-dir uv
WORKDIR /app
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy
COPY pyproject.toml uv.lock ./
RUN uv sync --locked --no-dev
COPY bot ./bot
COPY handlers ./handlers
COPY storage ./storage

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 bot \
    && mkdir /data && chown bot:bot /data
WORKDIR /app
COPY --from=build /app /app
# Every interface of the container (the bot's own default is 127.0.0.1, which nothing outside the
# container could reach); the host decides where the port is published (compose: 127.0.0.1 only).
ENV PATH=/app/.venv/bin:$PATH \
    DATABASE_PATH=/data/bot.sqlite3 \
    HTTP_HOST=0.0.0.0 \
    HTTP_PORT=8080 \
    PYTHONUNBUFFERED=1
USER bot
VOLUME ["/data"]
# /healthz and /metrics in both modes; in webhook mode the webhook too (put a TLS reverse proxy in front).
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"HTTP_PORT\", \"8080\")}/healthz', timeout=4)"
CMD ["python", "-m", "bot"]
