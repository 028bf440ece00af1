"""Serving a fake server's aiohttp app on 127.0.0.1, on a free port; a server that never answers."""

from __future__ import annotations

import asyncio

from aiohttp import web


async def serve(app: web.Application, port: int = 0) -> tuple[web.AppRunner, str]:
    """Start `app` on 127.0.0.1 (on `port`, or a free one) and return its runner (for cleanup) and base
    URL. A fake logs no access lines: what a test reads in the logs is the bot's."""
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"


class Silent:
    """A server on 127.0.0.1 that takes connections and never answers: a Telegram behind a network
    that drops its packets, or stuck. `connected` is set when the first request arrives."""

    def __init__(self) -> None:
        self.connected = asyncio.Event()
        self.url = ""
        self._server: asyncio.Server | None = None
        self._taking: dict[asyncio.Task[None], asyncio.StreamWriter] = {}

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._take, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"
        return self.url

    async def _take(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._taking[task] = writer
        try:
            await reader.readline()
            self.connected.set()
            await reader.read()  # until the client gives up and closes (or `stop` does)
        finally:
            writer.close()
            del self._taking[task]

    async def stop(self) -> None:
        """Close the connections the client still holds open, then stop listening."""
        for writer in list(self._taking.values()):
            writer.close()
        await asyncio.gather(*self._taking)
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
