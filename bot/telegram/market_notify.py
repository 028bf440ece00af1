"""The endpoint for the Market's push notifications (API-уведомления), on the bot's HTTP server.

Its whole job is to answer in time: the Market waits 1 s for a PING and 10 s for the others, and a
notification unanswered or failed holds back every later one. So it checks where the request comes
from, reads the notification, writes it to the inbox and answers; it calls neither Telegram nor the
Market (a worker does the rest, from the inbox).

| request                                   | answer                                            |
|-------------------------------------------|---------------------------------------------------|
| source not in MARKET_NOTIFY_ALLOW         | 403, nothing written                              |
| not JSON, or not a valid notification     | 400 `WRONG_EVENT_FORMAT` (the Market does not retry) |
| PING                                      | 200 `{version, name, time}` at once; noted afterwards |
| a type the contract names                 | written to the inbox (once), 200 `{version, name, time}` |
| a type it does not name (a newer one)     | 200, not written (its payload is not known)       |
| the inbox full                            | 500 `UNKNOWN` (the Market sends it again later)   |
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address
from typing import Any

from aiohttp import web

from bot.domain.clock import utcnow
from bot.domain.notifications import PING, MarketEvent, UnknownEvent, parse_event
from bot.services.background import Tasks
from bot.services.notifications.inbox import InboxFull, MarketInbox

logger = logging.getLogger(__name__)

NAME = "market-dbs-bot"
VERSION = "1.0"
MAX_BODY = 64 * 1024  # the payloads are a few hundred bytes
Network = IPv4Network | IPv6Network
Address = IPv4Address | IPv6Address


def source_of(peer: str | None, forwarded_for: str | None, trusted: Sequence[Network]) -> Address | None:
    """Who sent a request: the direct peer, unless it is a trusted proxy; then the last address in
    X-Forwarded-For that is not one (each proxy appends the address it got the request from, so the
    ones before a proxy we do not trust could be anything the client wrote). None when unreadable."""
    chain = [peer or ""]
    if forwarded_for:
        chain = [part.strip() for part in forwarded_for.split(",")] + chain
    source: Address | None = None
    for text in reversed(chain):
        source = _address(text)
        if source is None or not any(source in net for net in trusted):
            return source
    return source  # every hop a trusted proxy: the first of them


def _address(text: str) -> Address | None:
    try:
        address = ip_address(text)
    except ValueError:
        return None
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:  # a dual-stack socket's
        return address.ipv4_mapped
    return address


class MarketNotifications:
    """The request handler; `count(type, outcome)` counts each request (the /metrics counter)."""

    def __init__(
        self,
        inbox: MarketInbox,
        *,
        path: str = "/market/notification",
        allow: Sequence[Network],
        trusted: Sequence[Network] = (),
        count: Callable[[str, str], None] = lambda kind, outcome: None,
        heard: Callable[[MarketEvent], None] = lambda event: None,
    ) -> None:
        self._inbox = inbox
        self._heard = heard  # told of each notification taken (the worker acts on it at once)
        self.path = path
        self._allow = tuple(allow)
        self._trusted = tuple(trusted)
        self._count = count
        self._noting = Tasks()  # PINGs written after their answer

    def register(self, app: web.Application) -> None:
        """Served at its path and at path/notification (the Market's documentation leaves open which)."""
        app.router.add_post(self.path, self.handle)
        app.router.add_post(self.path + "/notification", self.handle)

    async def stop(self, grace: float) -> None:
        await self._noting.stop(grace)

    async def handle(self, request: web.Request) -> web.Response:
        # Several header lines are one list (RFC 9110): a client's own line comes first, the proxy's last.
        forwarded = ",".join(request.headers.getall("X-Forwarded-For", [])) or None
        source = source_of(request.remote, forwarded, self._trusted)
        if source is None or not any(source in net for net in self._allow):
            self._count("-", "refused")
            logger.warning(
                "market notification refused (403): %s", self._why_refused(request.remote, forwarded, source)
            )
            return _error(403, "UNKNOWN", "the source is not allowed")
        received_at = utcnow()
        try:
            event = parse_event(await _body(request))
        except UnknownEvent as exc:
            self._count("other", "unknown")
            logger.info("market notification of an unknown type ignored: %s", exc)
            return _answer()
        except ValueError as exc:
            self._count("-", "malformed")
            logger.warning("malformed market notification refused: %s", exc)
            return _error(400, "WRONG_EVENT_FORMAT", str(exc)[:200])
        if event.kind == PING:
            self._noting.spawn(self._note_ping(event, received_at), name="market-ping")
            self._count(PING, "answered")
            self._heard(event)
            logger.info("market notification PING answered")
            return _answer()
        try:
            recorded = await self._inbox.record(event, received_at)
        except InboxFull:
            self._count(event.kind, "full")
            return _error(500, "UNKNOWN", "too many notifications wait; send it again later")
        self._count(event.kind, "recorded" if recorded else "duplicate")
        if recorded:
            self._heard(event)
        return _answer()

    def _why_refused(self, peer: str | None, forwarded: str | None, source: Address | None) -> str:
        """What the owner should change, not just what was refused: a proxy that is not trusted (its
        X-Forwarded-For ignored), a trusted proxy that sent none, or a source outside the list."""
        direct = _address(peer or "")
        trusted = direct is not None and any(direct in net for net in self._trusted)
        if forwarded and not trusted:
            return (
                f"it came through {peer} with X-Forwarded-For {forwarded[:100]!r}, but {peer} is not in "
                f"TRUSTED_PROXIES, so the header was ignored; if {peer} is your reverse proxy, set "
                f"TRUSTED_PROXIES={peer} (do not add it to MARKET_NOTIFY_ALLOW)"
            )
        if trusted and not forwarded:
            return (
                f"it came from the trusted proxy {peer} without X-Forwarded-For: add "
                '"proxy_set_header X-Forwarded-For $remote_addr;" to its location'
            )
        return f"the source {source} is not in MARKET_NOTIFY_ALLOW"

    async def _note_ping(self, event: MarketEvent, received_at: dt.datetime) -> None:
        await self._inbox.record_done(event, received_at, "pong")


async def _body(request: web.Request) -> Any:
    if (request.content_length or 0) > MAX_BODY:
        raise ValueError("the notification is too large")
    raw = await request.read()
    if len(raw) > MAX_BODY:
        raise ValueError("the notification is too large")
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):  # not UTF-8, not JSON, or nested past reason
        raise ValueError("the body is not JSON") from None


def _answer() -> web.Response:
    now = utcnow().isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return web.json_response({"version": VERSION, "name": NAME, "time": now})


def _error(status: int, kind: str, message: str) -> web.Response:
    return web.json_response({"error": {"type": kind, "message": message}}, status=status)
