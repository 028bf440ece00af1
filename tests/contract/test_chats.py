"""Buyers' chats: each client method against the fake Market, which validates every request and answer
against the spec; paging; the scope; sending a file (multipart) and downloading one (capped, the Api-Key
only to the Market's own origin)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from aiohttp import web

from bot.domain.chats import (
    FILE_LIMIT,
    MESSAGE_LIMIT,
    ChatStatus,
    ChatType,
    ContextType,
    FileTooLarge,
    Sender,
)
from bot.market.client import MarketClient
from bot.market.errors import BadRequestError, ForbiddenError, NotFoundError, ServerError
from bot.market.transport import MarketTransport
from tests.conftest import OWNER_KEY
from tests.fakes.market import FakeMarket
from tests.fakes.serve import serve

BUSINESS = 777
OTHER_BUSINESS = 888


class OtherHost:
    """A tiny server on 127.0.0.1 (another origin than the fake Market's): it records the headers of
    what it is asked and serves `/small`, `/declared` (a length over the cap, its body never sent),
    `/streamed` (no length, chunks until the client hangs up) and `/to?url=` (a redirect)."""

    SMALL = b"\x89PNG small file"

    def __init__(self) -> None:
        self.seen: list[tuple[str, dict[str, str]]] = []
        self.sent = 0  # bytes `/streamed` wrote
        self.release = asyncio.Event()
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def start(self) -> OtherHost:
        app = web.Application()
        app.router.add_get("/small", self._small)
        app.router.add_get("/declared", self._declared)
        app.router.add_get("/streamed", self._streamed)
        app.router.add_get("/to", self._redirect)
        self._runner, self.url = await serve(app)
        return self

    async def stop(self) -> None:
        self.release.set()
        if self._runner:
            await self._runner.cleanup()

    def _saw(self, request: web.Request) -> None:
        self.seen.append((request.path, dict(request.headers)))

    async def _small(self, request: web.Request) -> web.Response:
        self._saw(request)
        return web.Response(body=self.SMALL, content_type="image/png")

    async def _declared(self, request: web.Request) -> web.StreamResponse:
        self._saw(request)
        response = web.StreamResponse()
        response.content_length = FILE_LIMIT + 1
        await response.prepare(request)
        await self.release.wait()  # the body never comes while the test runs
        return response

    async def _streamed(self, request: web.Request) -> web.StreamResponse:
        self._saw(request)
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        with contextlib.suppress(ConnectionError):
            while self.sent < 10 * FILE_LIMIT and not self.release.is_set():
                await response.write(b"x" * 65536)
                self.sent += 65536
        return response

    async def _redirect(self, request: web.Request) -> web.Response:
        self._saw(request)
        raise web.HTTPFound(request.query["url"])


@pytest.fixture
async def other() -> AsyncIterator[OtherHost]:
    host = await OtherHost().start()
    yield host
    await host.stop()


def _order_chat(market: FakeMarket, order_id: int = 42, **kwargs: Any) -> int:
    market.add_order(1001, order_id, "DELIVERY")
    return market.add_chat(1001, order_id, **kwargs)


async def test_create_chat_gives_the_orders_chat_new_or_existing(
    market: FakeMarket, client: MarketClient
) -> None:
    market.add_order(1001, 42)
    chat_id = await client.create_chat(OWNER_KEY, BUSINESS, 42)
    assert await client.create_chat(OWNER_KEY, BUSINESS, 42) == chat_id
    assert len(market.chats) == 1 and market.chats[chat_id].status == "NEW"
    calls = market.calls("createChat")
    assert [(c.method, c.path, c.body) for c in calls] == [
        ("POST", "/v2/businesses/777/chats/new", {"context": {"type": "ORDER", "id": 42}})
    ] * 2
    chat = await client.get_chat(OWNER_KEY, BUSINESS, chat_id)
    assert (chat.chat_id, chat.status, chat.type) == (chat_id, ChatStatus.NEW, ChatType.CHAT)
    assert (chat.context.type, chat.context.order_id, chat.context.campaign_id) == (
        ContextType.ORDER,
        42,
        1001,
    )


async def test_create_chat_for_an_order_not_of_the_business_is_not_found(
    market: FakeMarket, client: MarketClient
) -> None:
    market.add_campaign(3001, "other.example", business_id=OTHER_BUSINESS)
    market.add_key("both", {1001, 3001})
    market.add_order(3001, 77)
    with pytest.raises(NotFoundError):
        await client.create_chat("both", BUSINESS, 77)
    with pytest.raises(NotFoundError):
        await client.create_chat("both", BUSINESS, 404404)
    assert market.chats == {}
    assert len(market.calls("createChat")) == 2, "a write is sent once"


async def test_get_chats_filters_and_parses(market: FakeMarket, client: MarketClient) -> None:
    waiting = _order_chat(market, 42, customer="Анна-Мария Петрова")
    answered = _order_chat(market, 43, type="ARBITRAGE", status="WAITING_FOR_CUSTOMER")
    direct = market.add_chat(1001, None, customer=None)
    market.buyer_writes(waiting, "Где мой заказ?")  # created first, updated last

    page = await client.get_chats(
        OWNER_KEY, BUSINESS, statuses=[ChatStatus.NEW, ChatStatus.WAITING_FOR_PARTNER]
    )
    assert [c.chat_id for c in page.chats] == [direct, waiting], "the least recently updated first"
    assert page.next_page_token is None
    first = page.chats[1]
    assert (first.status, first.context.first_name, first.context.order_id) == (
        ChatStatus.WAITING_FOR_PARTNER,
        "Анна-Мария",
        42,
    )
    assert first.updated_at > first.created_at and first.updated_at.tzinfo is not None
    assert page.chats[0].context.type == ContextType.DIRECT and page.chats[0].context.first_name is None

    by_order = await client.get_chats(OWNER_KEY, BUSINESS, order_ids=[43], types=[ChatType.ARBITRAGE])
    assert [(c.chat_id, c.type) for c in by_order.chats] == [(answered, ChatType.ARBITRAGE)]
    calls = market.calls("getChats")
    assert [c.body for c in calls] == [
        {"statuses": ["NEW", "WAITING_FOR_PARTNER"]},
        {"types": ["ARBITRAGE"], "contexts": [{"type": "ORDER", "id": 43}]},
    ]
    assert all(c.path == "/v2/businesses/777/chats" and c.query["limit"] == ["20"] for c in calls)


async def test_chats_over_twenty_come_in_pages(market: FakeMarket, client: MarketClient) -> None:
    chats = [_order_chat(market, 100 + n) for n in range(45)]
    pages = client.chat_pages(OWNER_KEY, BUSINESS, statuses=[ChatStatus.NEW])
    assert [c.chat_id async for c in pages.items()] == chats
    assert [c.query.get("pageToken") for c in market.calls("getChats")] == [None, ["20"], ["40"]]
    assert pages.next_token is None and pages.read == 3

    capped = client.chat_pages(OWNER_KEY, BUSINESS, max_pages=1)
    assert len([c async for c in capped.items()]) == 20 and capped.next_token == "20"


async def test_a_buyers_message_and_its_history(market: FakeMarket, client: MarketClient) -> None:
    chat_id = _order_chat(market)
    before = await client.get_chat(OWNER_KEY, BUSINESS, chat_id)
    first = market.buyer_writes(chat_id, "Здравствуйте!")
    second = market.buyer_writes(chat_id, "Можно после 18:00?")
    assert second > first

    chat = await client.get_chat(OWNER_KEY, BUSINESS, chat_id)
    assert chat.status == ChatStatus.WAITING_FOR_PARTNER and chat.updated_at > before.updated_at
    message = await client.get_chat_message(OWNER_KEY, BUSINESS, chat_id, second)
    assert (message.message_id, message.sender, message.text, message.files) == (
        second,
        Sender.CUSTOMER,
        "Можно после 18:00?",
        [],
    )
    [call] = market.calls("getChatMessage")
    assert call.path == "/v2/businesses/777/chats/message"
    assert call.query == {"chatId": [str(chat_id)], "messageId": [str(second)]}

    history = await client.get_chat_history(OWNER_KEY, BUSINESS, chat_id)
    assert [m.text for m in history.messages] == ["Здравствуйте!", "Можно после 18:00?"]
    assert history.context.order_id == 42 and history.next_page_token is None
    since = await client.get_chat_history(OWNER_KEY, BUSINESS, chat_id, message_id_from=second)
    assert [m.message_id for m in since.items] == [second]
    assert [c.body for c in market.calls("getChatHistory")] == [{}, {"messageIdFrom": second}]


async def test_a_history_of_230_messages_comes_in_3_pages(market: FakeMarket, client: MarketClient) -> None:
    chat_id = _order_chat(market)
    ids = [market.buyer_writes(chat_id, f"сообщение {n}") for n in range(230)]
    pages = client.chat_history_pages(OWNER_KEY, BUSINESS, chat_id)
    assert [m.message_id async for m in pages.items()] == ids
    calls = market.calls("getChatHistory")
    assert [c.query.get("pageToken") for c in calls] == [None, ["100"], ["200"]]
    assert all(c.query["limit"] == ["100"] and c.query["chatId"] == [str(chat_id)] for c in calls)


async def test_chat_reads_are_retried_and_writes_sent_once(market: FakeMarket, client: MarketClient) -> None:
    chat_id = _order_chat(market)
    market.buyer_writes(chat_id, "Алло")
    market.fail("getChats")
    market.fail("getChatHistory")
    assert len((await client.get_chats(OWNER_KEY, BUSINESS)).chats) == 1
    assert len((await client.get_chat_history(OWNER_KEY, BUSINESS, chat_id)).messages) == 1
    assert len(market.calls("getChats")) == len(market.calls("getChatHistory")) == 2
    assert market.writes() == []

    market.fail("sendMessageToChat")
    with pytest.raises(ServerError):
        await client.send_chat_message(OWNER_KEY, BUSINESS, chat_id, "Подъезжаю")
    assert len(market.calls("sendMessageToChat")) == 1


async def test_send_chat_message(market: FakeMarket, client: MarketClient) -> None:
    chat_id = _order_chat(market)
    market.buyer_writes(chat_id, "Где курьер?")
    text = "Подъезжаю, буду через 15 минут"
    await client.send_chat_message(OWNER_KEY, BUSINESS, chat_id, text)
    [call] = market.calls("sendMessageToChat")
    assert (call.path, call.query, call.body) == (
        "/v2/businesses/777/chats/message",
        {"chatId": [str(chat_id)]},
        {"message": text},
    )
    last = market.chat_messages(chat_id)[-1]
    assert (last["sender"], last["message"]) == ("PARTNER", text)
    assert (await client.get_chat(OWNER_KEY, BUSINESS, chat_id)).status == ChatStatus.WAITING_FOR_CUSTOMER
    await client.send_chat_message(OWNER_KEY, BUSINESS, chat_id, "я" * MESSAGE_LIMIT)  # the longest


async def test_a_message_over_the_limit_is_a_request_outside_the_spec(
    market: FakeMarket, client: MarketClient
) -> None:
    chat_id = _order_chat(market)
    with pytest.raises(BadRequestError):
        await client.send_chat_message(OWNER_KEY, BUSINESS, chat_id, "я" * (MESSAGE_LIMIT + 1))
    [error] = market.spec_errors
    assert error.startswith("POST /v2/businesses/777/chats/message") and "is too long" in error
    market.spec_errors.clear()  # seen here; the bot's services refuse such a text before sending it
    assert market.chat_messages(chat_id) == []


async def test_unknown_chat_or_another_business_chat_is_not_found(
    market: FakeMarket, client: MarketClient
) -> None:
    market.add_campaign(3001, "other.example", business_id=OTHER_BUSINESS)
    market.add_key("both", {1001, 3001})
    market.add_order(3001, 77)
    theirs = market.add_chat(3001, 77)
    with pytest.raises(NotFoundError):
        await client.get_chat("both", BUSINESS, theirs)
    with pytest.raises(NotFoundError):
        await client.send_chat_message("both", BUSINESS, theirs, "Здравствуйте")
    with pytest.raises(NotFoundError):
        await client.get_chat_history(OWNER_KEY, BUSINESS, 123456)
    assert market.chat_messages(theirs) == []
    assert (await client.get_chat("both", OTHER_BUSINESS, theirs)).chat_id == theirs


CHAT_CALLS: dict[str, Callable[[MarketClient, str, int], Awaitable[object]]] = {
    "createChat": lambda c, key, chat: c.create_chat(key, BUSINESS, 42),
    "getChats": lambda c, key, chat: c.get_chats(key, BUSINESS),
    "getChat": lambda c, key, chat: c.get_chat(key, BUSINESS, chat),
    "getChatMessage": lambda c, key, chat: c.get_chat_message(key, BUSINESS, chat, 1),
    "getChatHistory": lambda c, key, chat: c.get_chat_history(key, BUSINESS, chat),
    "sendMessageToChat": lambda c, key, chat: c.send_chat_message(key, BUSINESS, chat, "Здравствуйте"),
    "sendFileToChat": lambda c, key, chat: c.send_chat_file(
        key, BUSINESS, chat, name="a.txt", data=b"a", content_type="text/plain"
    ),
}


@pytest.mark.parametrize("route", list(CHAT_CALLS))
async def test_a_key_without_communication_is_forbidden(
    market: FakeMarket, client: MarketClient, route: str
) -> None:
    chat_id = _order_chat(market)
    market.buyer_writes(chat_id, "Алло")
    market.add_key("orders-only", {1001}, scopes=["INVENTORY_AND_ORDER_PROCESSING"])
    market.add_key("everything", {1001}, scopes=["ALL_METHODS"])
    with pytest.raises(ForbiddenError):
        await CHAT_CALLS[route](client, "orders-only", chat_id)
    await CHAT_CALLS[route](client, "everything", chat_id)
    assert [c.status for c in market.calls(route)] == [403, 200]


async def test_a_file_reaches_the_chat_with_its_exact_bytes_and_name(
    market: FakeMarket, client: MarketClient
) -> None:
    chat_id = _order_chat(market)
    data = os.urandom(200_000) + b"\r\n--boundary--\r\n" + bytes(range(256))
    await client.send_chat_file(
        OWNER_KEY, BUSINESS, chat_id, name="Дверь подъезда.jpg", data=data, content_type="image/jpeg"
    )
    [sent] = market.chat_files(chat_id)
    assert (sent.name, sent.content_type, sent.size, sent.data == data) == (
        "Дверь подъезда.jpg",
        "image/jpeg",
        len(data),
        True,
    )
    [call] = market.calls("sendFileToChat")
    assert (call.path, call.query) == ("/v2/businesses/777/chats/file/send", {"chatId": [str(chat_id)]})

    [message] = (await client.get_chat_history(OWNER_KEY, BUSINESS, chat_id)).messages
    [file] = message.files
    assert (message.sender, message.text, file.name, file.size) == (
        Sender.PARTNER,
        "",
        "Дверь подъезда.jpg",
        len(data),
    )
    assert await client.download_chat_file(OWNER_KEY, file.url) == data


async def test_a_file_over_5_mb_is_not_sent(market: FakeMarket, client: MarketClient) -> None:
    chat_id = _order_chat(market)
    with pytest.raises(FileTooLarge) as caught:
        await client.send_chat_file(
            OWNER_KEY,
            BUSINESS,
            chat_id,
            name="big.pdf",
            data=b"0" * (FILE_LIMIT + 1),
            content_type="application/pdf",
        )
    assert caught.value.failure.code == "FILE_TOO_LARGE" and not caught.value.failure.retryable
    assert market.calls("sendFileToChat") == []
    # The Market itself refuses one (a client that sent it anyway)
    async with httpx.AsyncClient(base_url=market.url) as http:
        response = await http.post(
            "/v2/businesses/777/chats/file/send",
            params={"chatId": chat_id},
            files={"file": ("big.pdf", b"0" * (FILE_LIMIT + 1), "application/pdf")},
            headers={"Api-Key": OWNER_KEY},
        )
    assert response.status_code == 400 and market.chat_files(chat_id) == []


async def test_a_buyers_file_downloads_with_the_key_from_the_market(
    market: FakeMarket, client: MarketClient
) -> None:
    chat_id = _order_chat(market)
    photo = os.urandom(50_000)
    message_id = market.buyer_writes(chat_id, files=[("Фото.jpg", photo), ("чек.pdf", b"%PDF-1.4")])
    message = await client.get_chat_message(OWNER_KEY, BUSINESS, chat_id, message_id)
    assert message.text == "" and [(f.name, f.size) for f in message.files] == [
        ("Фото.jpg", 50_000),
        ("чек.pdf", 8),
    ]
    assert [await client.download_chat_file(OWNER_KEY, f.url) for f in message.files] == [photo, b"%PDF-1.4"]
    downloads = market.calls("chatFile")
    assert [c.api_key for c in downloads] == [OWNER_KEY] * 2
    with pytest.raises(FileTooLarge):
        await client.download_chat_file(OWNER_KEY, message.files[0].url, max_bytes=49_999)


async def test_a_file_declared_over_the_cap_is_refused_before_its_body(
    client: MarketClient, other: OtherHost
) -> None:
    # The body never comes: reading it would end in the transport's timeout, not in FileTooLarge.
    started = asyncio.get_running_loop().time()
    with pytest.raises(FileTooLarge) as caught:
        await client.download_chat_file(OWNER_KEY, f"{other.url}/declared")
    assert caught.value.size == FILE_LIMIT + 1
    assert asyncio.get_running_loop().time() - started < 1.0


async def test_a_file_with_no_length_is_cut_at_the_cap(client: MarketClient, other: OtherHost) -> None:
    with pytest.raises(FileTooLarge) as caught:
        await client.download_chat_file(OWNER_KEY, f"{other.url}/streamed", max_bytes=100_000)
    assert 100_000 < caught.value.size <= 100_000 + 65536


async def test_the_key_goes_to_the_markets_origin_only(
    market: FakeMarket, client: MarketClient, other: OtherHost
) -> None:
    assert await client.download_chat_file(OWNER_KEY, f"{other.url}/small") == OtherHost.SMALL
    [(path, headers)] = other.seen
    assert path == "/small" and "api-key" not in {h.lower() for h in headers}

    # A redirect from the Market's origin to another: the key goes to the first only
    market_host, file_host = other, await OtherHost().start()
    transport = MarketTransport(market_host.url, timeout=2.0)
    try:
        url = f"{market_host.url}/to?url={file_host.url}/small"
        assert await MarketClient(transport).download_chat_file(OWNER_KEY, url) == OtherHost.SMALL
    finally:
        await transport.aclose()
        await file_host.stop()
    assert [(p, h.get("Api-Key")) for p, h in market_host.seen[1:]] == [("/to", OWNER_KEY)]
    assert [(p, h.get("Api-Key")) for p, h in file_host.seen] == [("/small", None)]


async def test_chat_budgets_are_read(market: FakeMarket, client: MarketClient) -> None:
    until = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=30)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    for route, remaining in (("getChats", "4999"), ("getChatHistory", "9999")):
        market.rate_headers[route] = {
            "X-RateLimit-Resource-Limit": str(int(remaining) + 1),
            "X-RateLimit-Resource-Remaining": remaining,
            "X-RateLimit-Resource-Until": until,
        }
    chat_id = _order_chat(market)
    assert client.hourly_budget(OWNER_KEY, "getChats") is None
    await client.get_chats(OWNER_KEY, BUSINESS)
    await client.get_chat_history(OWNER_KEY, BUSINESS, chat_id)
    chats, history = (
        client.hourly_budget(OWNER_KEY, "getChats"),
        client.hourly_budget(OWNER_KEY, "getChatHistory"),
    )
    assert chats is not None and (chats.limit, chats.remaining) == (5000, 4999)
    assert history is not None and (history.limit, history.remaining) == (10000, 9999)
