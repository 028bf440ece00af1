"""A fake Yandex Market partner API on 127.0.0.1.

Every request it receives is validated against the official spec (tests/contract/market-openapi.yaml)
with openapi-core, and so is every response it sends. It checks `Api-Key`, emulates campaigns with
paging, orders in each status, the status rules for track and date, realistic 400/401/403/404
answers, 420 when a key has more than 2 requests in flight, and scripted faults (500, 420, slow
answers, answers lost after the change was applied). Buyers' chats too: `add_chat`, `buyer_writes` (files
served at the fake's own `/chat-files/...`, with the Api-Key), `chat_messages`, `chat_files`.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import mimetypes
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aiohttp import BodyPartReader, MultipartReader, web
from aiohttp.base_protocol import BaseProtocol
from aiohttp.streams import StreamReader
from openapi_core import OpenAPI
from openapi_core.exceptions import OpenAPIError
from openapi_core.testing import MockRequest, MockResponse

from bot.domain.clock import moscow_today
from tests.fakes.serve import serve

SPEC_PATH = Path(__file__).resolve().parent.parent / "contract" / "market-openapi.yaml"
SPEC_SERVER = "https://api.partner.market.yandex.ru"
ORDER_SCOPES = {"ALL_METHODS", "INVENTORY_AND_ORDER_PROCESSING"}
CHAT_SCOPES = {"ALL_METHODS", "COMMUNICATION"}
CHAT_FILE_LIMIT = 5 * 1024 * 1024  # bytes of a file sent to a chat
CHAT_FILE_ROUTE = "chatFile"  # the fake's own route for a chat's files: not in the spec
CHAT_ROUTES = frozenset(
    {
        "createChat",
        "getChats",
        "getChat",
        "getChatMessage",
        "sendMessageToChat",
        "getChatHistory",
        "sendFileToChat",
    }
)
TRACK_STATUSES = {"PROCESSING", "DELIVERY", "PICKUP"}
DATE_STATUSES = {"PROCESSING", "DELIVERY"}
BUYER_PHONE = "+74951234567"  # the substitute number getOrderBuyerInfo gives


@cache
def market_spec() -> OpenAPI:
    return OpenAPI.from_file_path(str(SPEC_PATH))


@dataclass
class ApiKey:
    campaign_ids: set[int]
    scopes: list[str] = field(default_factory=lambda: ["INVENTORY_AND_ORDER_PROCESSING", "COMMUNICATION"])
    name: str = "bot key"


# Searches, the key's own info, listings of chats and their messages
READING_POSTS = frozenset({"getBusinessOrders", "getAuthTokenInfo", "getChats", "getChatHistory"})


@dataclass
class Received:
    """One request as the Market saw it."""

    method: str
    path: str
    route: str
    query: dict[str, list[str]]
    body: Any
    api_key: str | None
    status: int = 0


@dataclass
class SentFile:
    """A file sendFileToChat received, as it arrived."""

    name: str
    content_type: str | None
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class ChatMessage:
    message_id: int
    created_at: dt.datetime
    sender: str
    text: str | None
    files: list[tuple[str, int]]  # name and size; the bytes are in `FakeMarket.chat_blobs`


@dataclass
class FakeChat:
    chat_id: int
    business_id: int
    campaign_id: int
    order_id: int | None  # None: a DIRECT chat
    type: str
    status: str
    customer: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    messages: list[ChatMessage] = field(default_factory=list)
    files: list[SentFile] = field(default_factory=list)  # what the shop sent (sendFileToChat)


def _stamp(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


@dataclass
class Fault:
    route: str  # an operationId, e.g. "setOrderDeliveryTrackCode", or "*"
    status: int = 500
    delay: float = 0.0  # answer this much later (a client with a shorter timeout sees a timeout)
    apply: bool = False  # carry the request out before the fault (a lost answer)
    retry_after: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    message: str = "Internal server error"
    code: str | None = None  # the API's error code; a default per status when None
    order_id: int | None = None  # only for requests about this order (any order when None)
    # Answer only once this is set (`FakeMarket.hold`): in flight for as long as the test wants.
    hold: asyncio.Event | None = None


def _page(
    request: web.Request, items: list[dict[str, Any]], *, default_limit: int
) -> tuple[list[dict[str, Any]], int, dict[str, Any]]:
    """One page of `items` by `limit` and `pageToken` (an offset here), and the `paging` part."""
    limit = int(request.query.get("limit", default_limit))
    start = int(request.query.get("pageToken", 0))
    more = start + limit < len(items)
    return (
        items[start : start + limit],
        start,
        {"paging": {"nextPageToken": str(start + limit)}} if more else {},
    )


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"status": "ERROR", "errors": [{"code": code, "message": message}]}


def make_order(
    order_id: int,
    status: str = "PROCESSING",
    *,
    delivery_from: dt.date | None = None,
    items: list[tuple[str, int]] | None = None,
    tracks: list[dict[str, Any]] | None = None,
    service_id: int = 1003,
    service_name: str = "Своя служба доставки",
    created: dt.date | None = None,
) -> dict[str, Any]:
    """An order DTO as the Market sends it (dates as DD-MM-YYYY); valid against the spec."""
    day = delivery_from or dt.date(2026, 11, 25)
    items = items or [("Чайник электрический", 1)]
    delivery: dict[str, Any] = {
        "type": "DELIVERY",
        "serviceName": service_name,
        "deliveryPartnerType": "SHOP",
        "deliveryServiceId": service_id,
        "dates": {"fromDate": day.strftime("%d-%m-%Y"), "toDate": day.strftime("%d-%m-%Y")},
    }
    if tracks:
        delivery["tracks"] = tracks
    return {
        "id": order_id,
        "status": status,
        "substatus": "STARTED" if status == "PROCESSING" else "UNKNOWN",
        "creationDate": (created or moscow_today() - dt.timedelta(days=3)).strftime("%d-%m-%Y") + " 10:15:00",
        "currency": "RUR",
        "itemsTotal": 1990,
        "deliveryTotal": 300,
        "buyerItemsTotalBeforeDiscount": 1990,
        "paymentType": "PREPAID",
        "paymentMethod": "YANDEX",
        "fake": False,
        "taxSystem": "USN",
        "buyer": {"type": "PERSON"},
        "items": [
            {
                "id": 100 + i,
                "offerId": f"SKU-{i}",
                "offerName": name,
                "price": 1990,
                "buyerPrice": 1990,
                "buyerPriceBeforeDiscount": 1990,
                "count": count,
            }
            for i, (name, count) in enumerate(items)
        ],
        "delivery": delivery,
    }


def _created(order: dict[str, Any]) -> dt.date:
    return dt.datetime.strptime(order["creationDate"], "%d-%m-%Y %H:%M:%S").date()


def _iso(ddmmyyyy: str) -> str:
    return dt.datetime.strptime(ddmmyyyy, "%d-%m-%Y").date().isoformat()


def business_order(
    campaign_id: int, order: dict[str, Any], updated: dt.datetime | None = None
) -> dict[str, Any]:
    """The same order as getBusinessOrders shows it: `orderId`, ISO dates, no prices per item."""
    old = order["delivery"]
    dates = {k: _iso(v) for k, v in old["dates"].items()}
    delivery = {
        "type": old["type"],
        "serviceName": old["serviceName"],
        "deliveryServiceId": old["deliveryServiceId"],
        "deliveryPartnerType": old["deliveryPartnerType"],
        "dates": dates,
        "courier": {"address": {"city": "Москва", "street": "Тверская", "house": "1"}},
    }
    if old.get("tracks"):
        delivery["tracks"] = old["tracks"]
    created = dt.datetime.strptime(order["creationDate"], "%d-%m-%Y %H:%M:%S")
    return {
        "orderId": order["id"],
        "campaignId": campaign_id,
        "status": order["status"],
        "substatus": order["substatus"],
        "creationDate": created.replace(tzinfo=dt.timezone(dt.timedelta(hours=3))).isoformat(),
        "paymentType": order["paymentType"],
        "paymentMethod": order["paymentMethod"],
        "fake": False,
        "items": [
            {"id": i["id"], "offerId": i["offerId"], "offerName": i["offerName"], "count": i["count"]}
            for i in order["items"]
        ],
        "delivery": delivery,
        "cancelRequested": bool(order.get("cancelRequested", False)),
        **({"updateDate": updated.isoformat(timespec="seconds")} if updated else {}),
    }


class FakeMarket:
    def __init__(self) -> None:
        self.spec = market_spec()
        self.keys: dict[str, ApiKey] = {}
        self.campaigns: dict[int, dict[str, Any]] = {}
        self.orders: dict[tuple[int, int], dict[str, Any]] = {}
        self.updated: dict[tuple[int, int], dt.datetime] = {}  # each order's last change (updateDate)
        self.delivery_services: list[dict[str, Any]] = [
            {"id": 1003, "name": "Своя служба доставки"},
            {"id": 51, "name": "СДЭК"},
            {"id": 106, "name": "Boxberry"},
            {"id": 139, "name": "Почта России"},
            {"id": 1005, "name": "DPD"},
        ]
        self.received: list[Received] = []
        self.spec_errors: list[str] = []
        self.faults: list[Fault] = []
        self.latency = 0.0  # every answer takes this long (to hold requests in flight)
        # Checking each response against the spec costs ~17 ms of CPU; benchmarks turn it off.
        self.check_responses = True
        self.rate_headers: dict[str, dict[str, str]] = {}  # operationId -> extra headers
        self.in_flight: dict[str, int] = {}
        self.max_in_flight: dict[str, int] = {}
        self.rejected_parallel = 0
        self._held = asyncio.Event()  # what `hold` waits for
        self._stopping = asyncio.Event()  # cuts every delay short: a test's end waits for none
        self.today = moscow_today()
        self.date_edits_allowed = 10  # moves of one order's delivery date the Market takes
        self.date_edits: dict[int, int] = {}  # order id → its date's moves so far
        self.chats: dict[int, FakeChat] = {}
        self.chat_blobs: dict[tuple[int, str], bytes] = {}  # (message id, file name) → the file
        self._next_chat_id = 9001
        self._next_message_id = 1
        self._last_stamp = dt.datetime.min.replace(tzinfo=dt.UTC)
        self._runner: web.AppRunner | None = None
        self.url = ""

    # --- scenario set-up -------------------------------------------------------------------
    def add_key(self, api_key: str, campaign_ids: set[int], **kwargs: Any) -> None:
        self.keys[api_key] = ApiKey(campaign_ids=set(campaign_ids), **kwargs)

    def add_campaign(
        self,
        campaign_id: int,
        domain: str,
        *,
        placement: str = "DBS",
        availability: str = "AVAILABLE",
        business_id: int = 777,
    ) -> None:
        self.campaigns[campaign_id] = {
            "id": campaign_id,
            "domain": domain,
            "business": {"id": business_id, "name": f"Бизнес {business_id}"},
            "placementType": placement,
            "apiAvailability": availability,
        }

    def add_order(self, campaign_id: int, order_id: int, status: str = "PROCESSING", **kw: Any) -> None:
        self.orders[(campaign_id, order_id)] = make_order(order_id, status, **kw)
        self.touch(campaign_id, order_id)

    def add_new_order(self, campaign_id: int, order_id: int, **kw: Any) -> None:
        """An order placed just now (after the bot started watching the shop)."""
        self.add_order(campaign_id, order_id, "PROCESSING", **kw)
        now = dt.datetime.now(dt.timezone(dt.timedelta(hours=3))) + dt.timedelta(seconds=1)
        self.orders[(campaign_id, order_id)]["creationDate"] = now.strftime("%d-%m-%Y %H:%M:%S")

    def touch(self, campaign_id: int, order_id: int, at: dt.datetime | None = None) -> None:
        """The order changed (its updateDate moves)."""
        self.updated[(campaign_id, order_id)] = at or dt.datetime.now(dt.UTC).replace(microsecond=0)

    def request_cancel(self, campaign_id: int, order_id: int, at: dt.datetime | None = None) -> None:
        """The buyer asks to cancel an order out for delivery (DBS)."""
        self.orders[(campaign_id, order_id)]["cancelRequested"] = True
        self.touch(campaign_id, order_id, at)

    def add_chat(
        self,
        campaign_id: int,
        order_id: int | None,
        *,
        chat_id: int | None = None,
        type: str = "CHAT",
        status: str = "NEW",
        customer: str | None = "Анна Петрова",
    ) -> int:
        """A chat of the campaign's business about the order (a DIRECT one when `order_id` is None)."""
        if chat_id is None:
            chat_id = self._next_chat_id
        self._next_chat_id = max(self._next_chat_id, chat_id + 1)
        now = self._now()
        self.chats[chat_id] = FakeChat(
            chat_id=chat_id,
            business_id=self.campaigns[campaign_id]["business"]["id"],
            campaign_id=campaign_id,
            order_id=order_id,
            type=type,
            status=status,
            customer=customer,
            created_at=now,
            updated_at=now,
        )
        return chat_id

    def buyer_writes(
        self,
        chat_id: int,
        text: str | None = None,
        *,
        files: Iterable[tuple[str, bytes]] = (),
        sender: str = "CUSTOMER",
    ) -> int:
        """A message in the chat (by the buyer unless `sender` says otherwise), its files served at the
        fake's `/chat-files/<message id>/<name>` (with the Api-Key). A buyer's message leaves the chat
        waiting for the shop. Returns the message's id (increasing)."""
        files = list(files)
        assert text or files, "a message has a text or files"
        chat = self.chats[chat_id]
        message = self._append(chat, sender, text, files)
        if sender == "CUSTOMER":
            chat.status = "WAITING_FOR_PARTNER"
        return message.message_id

    def chat_messages(self, chat_id: int) -> list[dict[str, Any]]:
        """The chat's messages as getChatHistory gives them, oldest first."""
        return [self._message_dto(m) for m in self.chats[chat_id].messages]

    def chat_files(self, chat_id: int) -> list[SentFile]:
        """The files the shop sent to the chat (sendFileToChat), as they arrived."""
        return list(self.chats[chat_id].files)

    def _now(self) -> dt.datetime:
        """Now, always later than the last time given (a chat's updatedAt moves on each change)."""
        now = dt.datetime.now(dt.UTC)
        now = now.replace(microsecond=now.microsecond // 1000 * 1000)  # the milliseconds it shows
        self._last_stamp = max(now, self._last_stamp + dt.timedelta(milliseconds=1))
        return self._last_stamp

    def _append(
        self, chat: FakeChat, sender: str, text: str | None, files: list[tuple[str, bytes]]
    ) -> ChatMessage:
        message = ChatMessage(
            message_id=self._next_message_id,
            created_at=self._now(),
            sender=sender,
            text=text,
            files=[(name, len(data)) for name, data in files],
        )
        self._next_message_id += 1
        for name, data in files:
            self.chat_blobs[(message.message_id, name)] = data
        chat.messages.append(message)
        chat.updated_at = message.created_at
        return message

    def fail(self, route: str, times: int = 1, **kwargs: Any) -> None:
        for _ in range(times):
            self.faults.append(Fault(route=route, **kwargs))

    def hold(self, route: str, **kwargs: Any) -> None:
        """The next such request is held in flight, taking one of its key's 2 slots, until `release`;
        then the fault answers it (`apply=True`: carried out on arrival, its answer lost)."""
        self.fail(route, hold=self._held, **kwargs)

    async def release(self) -> None:
        """Answer the held requests (to nobody, once their bot has stopped) and wait until every
        request has its answer, so that each key's slots are free again."""
        self._held.set()
        while any(self.in_flight.values()):
            await asyncio.sleep(0.01)
        self._held = asyncio.Event()

    def calls(self, route: str | None = None) -> list[Received]:
        return [r for r in self.received if route is None or r.route == route]

    def writes(self) -> list[Received]:
        """The requests that may have changed something: any but a GET or a POST that only reads
        (an endpoint added later, or a path the fake does not know, counts)."""
        return [r for r in self.received if r.method != "GET" and r.route not in READING_POSTS]

    # --- server ----------------------------------------------------------------------------
    async def start(self) -> str:
        # Room for a file over the chats' 5 MB (the Market's own 400, not aiohttp's 413)
        app = web.Application(middlewares=[self._middleware], client_max_size=2 * CHAT_FILE_LIMIT)
        routes = [
            ("GET", "/v2/campaigns", "getCampaigns", self._campaigns),
            ("GET", "/v2/campaigns/{campaignId}", "getCampaign", self._campaign),
            ("GET", "/v2/campaigns/{campaignId}/orders", "getOrders", self._orders),
            ("GET", "/v2/campaigns/{campaignId}/orders/{orderId}", "getOrder", self._order),
            ("POST", "/v1/businesses/{businessId}/orders", "getBusinessOrders", self._business_orders),
            (
                "POST",
                "/v2/campaigns/{campaignId}/orders/{orderId}/delivery/track",
                "setOrderDeliveryTrackCode",
                self._track,
            ),
            (
                "PUT",
                "/v2/campaigns/{campaignId}/orders/{orderId}/delivery/date",
                "setOrderDeliveryDate",
                self._date,
            ),
            ("PUT", "/v2/campaigns/{campaignId}/orders/{orderId}/status", "updateOrderStatus", self._status),
            ("GET", "/v2/campaigns/{campaignId}/orders/{orderId}/buyer", "getOrderBuyerInfo", self._buyer),
            (
                "PUT",
                "/v2/campaigns/{campaignId}/orders/{orderId}/cancellation/accept",
                "acceptOrderCancellation",
                self._cancellation,
            ),
            ("GET", "/v2/delivery/services", "getDeliveryServices", self._services),
            ("POST", "/v2/auth/token", "getAuthTokenInfo", self._token),
            ("POST", "/v2/businesses/{businessId}/chats/new", "createChat", self._create_chat),
            ("POST", "/v2/businesses/{businessId}/chats", "getChats", self._chats),
            ("GET", "/v2/businesses/{businessId}/chat", "getChat", self._chat),
            ("GET", "/v2/businesses/{businessId}/chats/message", "getChatMessage", self._chat_message),
            ("POST", "/v2/businesses/{businessId}/chats/message", "sendMessageToChat", self._send_message),
            ("POST", "/v2/businesses/{businessId}/chats/history", "getChatHistory", self._chat_history),
            ("POST", "/v2/businesses/{businessId}/chats/file/send", "sendFileToChat", self._send_file),
            ("GET", "/chat-files/{messageId}/{name}", CHAT_FILE_ROUTE, self._chat_file),
        ]
        for method, path, name, handler in routes:
            app.router.add_route(method, path, handler, name=name)
        self._runner, self.url = await serve(app)
        return self.url

    async def stop(self) -> None:
        """Answers what is held or delayed at once (the server's shutdown waits for every answer)."""
        self._held.set()
        self._stopping.set()
        if self._runner:
            await self._runner.cleanup()

    def _json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> web.Response:
        return web.Response(
            status=status,
            text=json.dumps(body, ensure_ascii=False),
            content_type="application/json",
            headers=headers,
        )

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        arrived = asyncio.get_running_loop().time()
        raw = await request.read()
        route = request.match_info.route.name or "unknown"
        try:
            # a multipart body (a file) is kept by its endpoint: `chat_files`
            body = json.loads(raw) if raw and not request.content_type.startswith("multipart/") else None
        except ValueError:
            body = raw.decode(errors="replace")
        api_key = request.headers.get("Api-Key")
        record = Received(
            method=request.method,
            path=request.path,
            route=route,
            query={k: request.query.getall(k) for k in request.query},
            body=body,
            api_key=api_key,
        )
        self.received.append(record)
        response = await self._serve(request, handler, raw, api_key, route, arrived)
        record.status = response.status
        return response

    async def _serve(
        self, request: web.Request, handler: Any, raw: bytes, api_key: str | None, route: str, arrived: float
    ) -> web.StreamResponse:
        content_type = request.content_type if raw else "application/json"
        if content_type.startswith("multipart/"):  # with its boundary
            content_type = request.headers["Content-Type"]
        openapi_request = MockRequest(
            SPEC_SERVER,
            request.method.lower(),
            request.path,
            args={k: request.query.getall(k) for k in request.query},
            headers=dict(request.headers),
            data=raw,
            content_type=content_type,
        )
        in_spec = route != CHAT_FILE_ROUTE  # a chat's file: the fake's own address, not the API
        try:  # validated, not unmarshalled: the same check, without building objects (20× faster)
            if in_spec:
                self.spec.validate_request(openapi_request)
        except OpenAPIError as exc:
            detail = f"{exc}: {getattr(exc, '__cause__', '')}"
            self.spec_errors.append(f"{request.method} {request.path}: {detail}")
            return self._json(400, error_body("BAD_REQUEST", f"Request is invalid: {detail}"))
        if api_key is None or api_key not in self.keys:
            return self._json(401, error_body("UNAUTHORIZED", "Api-Key token is invalid"))

        if self.in_flight.get(api_key, 0) >= 2:
            self.rejected_parallel += 1
            return self._json(420, error_body("LIMIT_EXCEEDED", "Hit rate limit of 2 parallel requests"))
        self.in_flight[api_key] = self.in_flight.get(api_key, 0) + 1
        self.max_in_flight[api_key] = max(self.max_in_flight.get(api_key, 0), self.in_flight[api_key])
        try:
            response = await self._answer(request, handler, route, arrived)
        finally:
            self.in_flight[api_key] -= 1
        if in_spec:
            self._check_response(openapi_request, response)
        return response

    async def _answer(self, request: web.Request, handler: Any, route: str, arrived: float) -> web.Response:
        order_ids = {request.match_info.get("orderId")}
        if route == "getBusinessOrders":  # the order is named in the body
            order_ids = {str(i) for i in (await request.json()).get("orderIds") or []}
        fault = next(
            (
                f
                for f in self.faults
                if f.route in (route, "*") and (f.order_id is None or str(f.order_id) in order_ids)
            ),
            None,
        )
        if fault is not None:
            self.faults.remove(fault)
            if fault.apply:
                await handler(request)
            if fault.hold is not None:
                await fault.hold.wait()
            if fault.delay:
                await self._pause(fault.delay)
            headers = dict(fault.headers)
            if fault.retry_after is not None:
                headers["Retry-After"] = fault.retry_after
            code = fault.code or {420: "LIMIT_EXCEEDED", 503: "SERVICE_UNAVAILABLE"}.get(
                fault.status, "INTERNAL"
            )
            if fault.status < 400:
                response: web.Response = await handler(request)
                return response
            return self._json(fault.status, error_body(code, fault.message), headers)
        if self.latency:  # counted from the request's arrival: the fake's own checks are part of it
            await self._pause(self.latency - (asyncio.get_running_loop().time() - arrived))
        response = await handler(request)
        for name, value in self.rate_headers.get(route, {}).items():
            response.headers[name] = value
        return response

    async def _pause(self, seconds: float) -> None:
        """Sleep, unless the fake is stopping."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    def _check_response(self, openapi_request: MockRequest, response: web.Response) -> None:
        if not self.check_responses or response.status == 503 or response.body is None:
            return  # 503 (overloaded) happens in real life though the spec does not list it
        assert isinstance(response.body, bytes | bytearray)
        try:
            self.spec.validate_response(
                openapi_request,
                MockResponse(
                    bytes(response.body), status_code=response.status, content_type="application/json"
                ),
            )
        except OpenAPIError as exc:
            self.spec_errors.append(f"response {response.status}: {exc}: {getattr(exc, '__cause__', '')}")

    # --- access checks ---------------------------------------------------------------------
    def _campaign_or_error(self, request: web.Request) -> tuple[int, web.Response | None]:
        key = self.keys[request.headers["Api-Key"]]
        campaign_id = int(request.match_info["campaignId"])
        if campaign_id not in self.campaigns or campaign_id not in key.campaign_ids:
            return campaign_id, self._json(403, error_body("FORBIDDEN", "Access denied"))
        return campaign_id, None

    def _order_or_error(self, request: web.Request) -> tuple[dict[str, Any] | None, web.Response | None]:
        campaign_id, denied = self._campaign_or_error(request)
        if denied:
            return None, denied
        order_id = int(request.match_info["orderId"])
        order = self.orders.get((campaign_id, order_id))
        if order is None:
            return None, self._json(404, error_body("ORDER_NOT_FOUND", f"Order {order_id} not found"))
        return order, None

    def _may_process_orders(self, request: web.Request) -> web.Response | None:
        key = self.keys[request.headers["Api-Key"]]
        if not ORDER_SCOPES & set(key.scopes):
            return self._json(
                403,
                error_body("FORBIDDEN", "Access denied: token has no scope for this method"),
            )
        return None

    # --- endpoints -------------------------------------------------------------------------
    async def _campaigns(self, request: web.Request) -> web.Response:
        key = self.keys[request.headers["Api-Key"]]
        mine = [self.campaigns[c] for c in sorted(key.campaign_ids) if c in self.campaigns]
        page, start, paging = _page(request, mine, default_limit=100)
        body: dict[str, Any] = {
            "campaigns": page,
            "pager": {"total": len(mine), "from": start + 1, "to": start + len(page)},
            **paging,
        }
        return self._json(200, body)

    async def _campaign(self, request: web.Request) -> web.Response:
        campaign_id, denied = self._campaign_or_error(request)
        return denied or self._json(200, {"campaign": self.campaigns[campaign_id]})

    async def _orders(self, request: web.Request) -> web.Response:
        """getOrders is deprecated (degraded from 2027-01-18): the bot must not call it any more."""
        return self._json(500, error_body("GONE", "getOrders is deprecated: use getBusinessOrders"))

    async def _business_orders(self, request: web.Request) -> web.Response:
        """getBusinessOrders: the key's campaigns of this business; orders created in the last 30 days
        unless a creation window (at most 30 days, `To` exclusive) is given; orders last changed in an
        update window (`To` exclusive) when one is given; token paging (a token it never gave: 400)."""
        key = self.keys[request.headers["Api-Key"]]
        business_id = int(request.match_info["businessId"])
        mine = {
            c
            for c in key.campaign_ids
            if self.campaigns.get(c, {}).get("business", {}).get("id") == business_id
        }
        if not mine:
            return self._json(403, error_body("FORBIDDEN", "Access denied"))
        body = await request.json()
        wanted = set(body.get("campaignIds") or mine)
        if not wanted <= mine:
            return self._json(403, error_body("FORBIDDEN", "Access denied"))
        dates = body.get("dates") or {}
        start = dt.date.fromisoformat(dates["creationDateFrom"]) if "creationDateFrom" in dates else None
        end = dt.date.fromisoformat(dates["creationDateTo"]) if "creationDateTo" in dates else None
        if start is None and end is None:  # the last 30 days, today included
            start, end = self.today - dt.timedelta(days=29), self.today + dt.timedelta(days=1)
        start = start or (end - dt.timedelta(days=30) if end else None)
        end = end or (start + dt.timedelta(days=30) if start else None)
        assert start is not None and end is not None
        if (end - start).days > 30:
            return self._json(400, error_body("BAD_REQUEST", "Date range is more than 30 days"))
        ids, statuses = set(body.get("orderIds") or []), set(body.get("statuses") or [])
        # Changed in [updateDateFrom, updateDateTo): the poller reads a fixed window page by page.
        changed_from, changed_to = (
            dt.datetime.fromisoformat(dates[k]) if k in dates else None
            for k in ("updateDateFrom", "updateDateTo")
        )

        def changed_in_window(at: dt.datetime | None) -> bool:
            return at is None or (
                (changed_from is None or at >= changed_from) and (changed_to is None or at < changed_to)
            )

        if not request.query.get("pageToken", "0").isdecimal():  # an offset here; opaque to the client
            return self._json(400, error_body("BAD_REQUEST", "Invalid page token"))
        waiting = body.get("waitingForCancellationApprove")
        found = [
            business_order(c, o, self.updated.get((c, n)))
            for (c, n), o in sorted(self.orders.items())
            if c in wanted
            and (not ids or o["id"] in ids)
            and (not statuses or o["status"] in statuses)
            and start <= _created(o) < end
            and changed_in_window(self.updated.get((c, n)))
            and (not waiting or (bool(o.get("cancelRequested")) and o["status"] in ("DELIVERY", "PICKUP")))
        ]
        page, _, paging = _page(request, found, default_limit=50)
        return self._json(200, {"orders": page, **paging})

    async def _order(self, request: web.Request) -> web.Response:
        """getOrder is deprecated (degraded from 2027-01-18): the bot must not call it any more."""
        return self._json(500, error_body("GONE", "getOrder is deprecated: use getBusinessOrders"))

    async def _track(self, request: web.Request) -> web.Response:
        order, error = self._order_or_error(request)
        if error:
            return error
        assert order is not None
        if denied := self._may_process_orders(request):
            return denied
        if order["status"] not in TRACK_STATUSES:
            return self._status_not_allowed(order)
        body = await request.json()
        order["delivery"]["tracks"] = [
            {"trackCode": body["trackCode"], "deliveryServiceId": body["deliveryServiceId"]}
        ]
        self.touch(int(request.match_info["campaignId"]), order["id"])
        return self._json(200, {"status": "OK"})

    async def _date(self, request: web.Request) -> web.Response:
        order, error = self._order_or_error(request)
        if error:
            return error
        assert order is not None
        if denied := self._may_process_orders(request):
            return denied
        if order["status"] not in DATE_STATUSES:
            return self._status_not_allowed(order)
        body = await request.json()
        new_date = dt.date.fromisoformat(body["dates"]["toDate"])
        if new_date < self.today:
            return self._json(400, error_body("BAD_REQUEST", f"Delivery date {new_date} is in the past"))
        text = new_date.strftime("%d-%m-%Y")
        if order["delivery"].get("dates", {}).get("toDate") == text:
            return self._json(400, error_body("SAME_DELIVERY_DATES", "New delivery dates are the same"))
        if self.date_edits.get(order["id"], 0) >= self.date_edits_allowed:
            message = f"Exceeded the number of edits of delivery dates! limit is: {self.date_edits_allowed}"
            return self._json(400, error_body("EDIT_COUNT_EXCEEDED", message))
        self.date_edits[order["id"]] = self.date_edits.get(order["id"], 0) + 1
        order["delivery"]["dates"] = {"fromDate": text, "toDate": text}
        self.touch(int(request.match_info["campaignId"]), order["id"])
        return self._json(200, {"status": "OK"})

    async def _status(self, request: web.Request) -> web.Response:
        """updateOrderStatus with the DBS order of steps: PROCESSING → DELIVERY → (PICKUP, for orders
        to the shop's pickup point) → DELIVERED, one at a time; CANCELLED/SHOP_FAILED from PROCESSING
        or DELIVERY; `realDeliveryDate` never in the future."""
        order, error = self._order_or_error(request)
        if error:
            return error
        assert order is not None
        if denied := self._may_process_orders(request):
            return denied
        wanted = (await request.json())["order"]
        pickup = order["delivery"]["type"] == "PICKUP"
        steps = {
            "DELIVERY": {"PROCESSING"},
            "PICKUP": {"DELIVERY"} if pickup else set(),
            "DELIVERED": {"PICKUP"} if pickup else {"DELIVERY"},
            "CANCELLED": {"PROCESSING", "DELIVERY"},
        }
        if order["status"] not in steps.get(wanted["status"], set()):
            return self._json(
                400,
                error_body(
                    "STATUS_NOT_ALLOWED",
                    f"Order {order['id']} with status {order['status']} cannot move to {wanted['status']}",
                ),
            )
        real = (wanted.get("delivery") or {}).get("dates", {}).get("realDeliveryDate")
        if real and dt.date.fromisoformat(real) > self.today:
            return self._json(400, error_body("BAD_REQUEST", f"Real delivery date {real} is in the future"))
        order["status"] = wanted["status"]
        self.touch(int(request.match_info["campaignId"]), order["id"])
        order["substatus"] = wanted.get("substatus") or (
            "SHOP_FAILED" if wanted["status"] == "CANCELLED" else "UNKNOWN"
        )
        return self._json(200, {"order": order})

    async def _cancellation(self, request: web.Request) -> web.Response:
        """acceptOrderCancellation: only for an order out for delivery whose buyer asked to cancel."""
        order, error = self._order_or_error(request)
        if error:
            return error
        assert order is not None
        if denied := self._may_process_orders(request):
            return denied
        if not order.get("cancelRequested") or order["status"] not in ("DELIVERY", "PICKUP"):
            return self._json(
                400,
                error_body("BAD_REQUEST", f"Order {order['id']} has no cancellation request to answer"),
            )
        body = await request.json()
        if not body["accepted"] and not body.get("reason"):
            return self._json(400, error_body("BAD_REQUEST", "reason is required when accepted is false"))
        order["cancelRequested"] = False
        if body["accepted"]:
            order["status"], order["substatus"] = "CANCELLED", "USER_CHANGED_MIND"
        self.touch(int(request.match_info["campaignId"]), order["id"])
        return self._json(200, {"status": "OK"})

    async def _buyer(self, request: web.Request) -> web.Response:
        """getOrderBuyerInfo: allowed in PROCESSING, DELIVERY and PICKUP."""
        order, error = self._order_or_error(request)
        if error:
            return error
        assert order is not None
        if order["status"] not in TRACK_STATUSES:
            return self._status_not_allowed(order)
        buyer = {"type": "PERSON", "firstName": "Анна", "lastName": "Покупателева", "phone": BUYER_PHONE}
        return self._json(200, {"status": "OK", "result": buyer})

    def _status_not_allowed(self, order: dict[str, Any]) -> web.Response:
        return self._json(
            400,
            error_body(
                "STATUS_NOT_ALLOWED",
                f"Order {order['id']} with status {order['status']} is not allowed for this action",
            ),
        )

    async def _services(self, request: web.Request) -> web.Response:
        return self._json(200, {"result": {"deliveryService": self.delivery_services}})

    async def _token(self, request: web.Request) -> web.Response:
        key = self.keys[request.headers["Api-Key"]]
        return self._json(
            200,
            {"status": "OK", "result": {"apiKey": {"name": key.name, "authScopes": key.scopes}}},
        )

    # --- buyers' chats -----------------------------------------------------------------------
    def _chat_access(self, request: web.Request) -> tuple[int, web.Response | None]:
        """The business of the path, if the key may use its chats: 403 without the scope
        (COMMUNICATION or ALL_METHODS) or without a campaign of that business."""
        key = self.keys[request.headers["Api-Key"]]
        business_id = int(request.match_info["businessId"])
        if not CHAT_SCOPES & set(key.scopes):
            return business_id, self._json(
                403, error_body("FORBIDDEN", "Access denied: token has no scope for this method")
            )
        if not self._business_campaigns(key, business_id):
            return business_id, self._json(403, error_body("FORBIDDEN", "Access denied"))
        return business_id, None

    def _business_campaigns(self, key: ApiKey, business_id: int) -> set[int]:
        return {
            c
            for c in key.campaign_ids
            if self.campaigns.get(c, {}).get("business", {}).get("id") == business_id
        }

    def _chat_or_error(self, request: web.Request) -> tuple[FakeChat | None, web.Response | None]:
        business_id, denied = self._chat_access(request)
        if denied:
            return None, denied
        chat_id = int(request.query["chatId"])
        chat = self.chats.get(chat_id)
        if chat is None or chat.business_id != business_id:  # another business's chat is not found
            return None, self._json(404, error_body("CHAT_NOT_FOUND", f"Chat {chat_id} not found"))
        return chat, None

    def _chat_dto(self, chat: FakeChat) -> dict[str, Any]:
        context: dict[str, Any] = {
            "type": "ORDER" if chat.order_id else "DIRECT",
            "campaignId": chat.campaign_id,
        }
        if chat.order_id:
            context["orderId"] = chat.order_id
        if chat.customer:
            context["customer"] = {"name": chat.customer, "publicId": f"buyer-{chat.chat_id}"}
        return {
            "chatId": chat.chat_id,
            "context": context,
            "type": chat.type,
            "status": chat.status,
            "createdAt": _stamp(chat.created_at),
            "updatedAt": _stamp(chat.updated_at),
        }

    def _message_dto(self, message: ChatMessage) -> dict[str, Any]:
        dto: dict[str, Any] = {
            "messageId": message.message_id,
            "createdAt": _stamp(message.created_at),
            "sender": message.sender,
        }
        if message.text is not None:
            dto["message"] = message.text
        if message.files:
            dto["payload"] = [
                {
                    "name": name,
                    "size": size,
                    "url": f"{self.url}/chat-files/{message.message_id}/{quote(name)}",
                }
                for name, size in message.files
            ]
        return dto

    def _shop_writes(self, chat: FakeChat, text: str | None, files: list[tuple[str, bytes]]) -> None:
        self._append(chat, "PARTNER", text, files)
        chat.status = "WAITING_FOR_CUSTOMER"

    async def _create_chat(self, request: web.Request) -> web.Response:
        """createChat for an order of one of the business's campaigns (that the key reaches): the
        order's chat, or a new one."""
        business_id, denied = self._chat_access(request)
        if denied:
            return denied
        body = await request.json()
        context = body.get("context") or {"type": "ORDER", "id": body.get("orderId")}
        if context["type"] != "ORDER":
            return self._json(400, error_body("BAD_REQUEST", "Only order chats can be created for DBS"))
        order_id = context["id"]
        mine = self._business_campaigns(self.keys[request.headers["Api-Key"]], business_id)
        campaign_id = next((c for c in sorted(mine) if (c, order_id) in self.orders), None)
        if campaign_id is None:
            return self._json(404, error_body("ORDER_NOT_FOUND", f"Order {order_id} not found"))
        chat_id = next(
            (
                c.chat_id
                for c in self.chats.values()
                if c.business_id == business_id and c.order_id == order_id
            ),
            None,
        )
        if chat_id is None:
            chat_id = self.add_chat(campaign_id, order_id)
        return self._json(200, {"status": "OK", "result": {"chatId": chat_id}})

    async def _chats(self, request: web.Request) -> web.Response:
        """getChats: filtered by statuses, types, contextTypes, contexts and (deprecated) orderIds; the
        least recently updated first; pages by `limit` (at most 20) and `pageToken`."""
        business_id, denied = self._chat_access(request)
        if denied:
            return denied
        body = await request.json()
        statuses, types = set(body.get("statuses") or []), set(body.get("types") or [])
        context_types = set(body.get("contextTypes") or [])
        orders = set(body.get("orderIds") or []) | {
            c["id"] for c in body.get("contexts") or [] if c["type"] == "ORDER"
        }
        if body.get("contexts") and not orders:
            orders = {0}  # only RETURN contexts asked: none of a DBS shop's
        found = [
            self._chat_dto(c)
            for c in sorted(self.chats.values(), key=lambda c: (c.updated_at, c.chat_id))
            if c.business_id == business_id
            and (not statuses or c.status in statuses)
            and (not types or c.type in types)
            and (not context_types or ("ORDER" if c.order_id else "DIRECT") in context_types)
            and (not orders or c.order_id in orders)
        ]
        if not request.query.get("pageToken", "0").isdecimal():
            return self._json(400, error_body("BAD_REQUEST", "Invalid page token"))
        page, _, paging = _page(request, found, default_limit=10)
        return self._json(200, {"status": "OK", "result": {"chats": page, **paging}})

    async def _chat(self, request: web.Request) -> web.Response:
        chat, error = self._chat_or_error(request)
        if error:
            return error
        assert chat is not None
        return self._json(200, {"status": "OK", "result": self._chat_dto(chat)})

    async def _chat_message(self, request: web.Request) -> web.Response:
        chat, error = self._chat_or_error(request)
        if error:
            return error
        assert chat is not None
        message_id = int(request.query["messageId"])
        message = next((m for m in chat.messages if m.message_id == message_id), None)
        if message is None:
            return self._json(404, error_body("MESSAGE_NOT_FOUND", f"Message {message_id} not found"))
        return self._json(200, {"status": "OK", "result": self._message_dto(message)})

    async def _chat_history(self, request: web.Request) -> web.Response:
        """getChatHistory: the messages from `messageIdFrom` on, oldest first; pages by `limit` (at most
        100) and `pageToken`."""
        chat, error = self._chat_or_error(request)
        if error:
            return error
        assert chat is not None
        start = (await request.json()).get("messageIdFrom") or 0
        found = [self._message_dto(m) for m in chat.messages if m.message_id >= start]
        if not request.query.get("pageToken", "0").isdecimal():
            return self._json(400, error_body("BAD_REQUEST", "Invalid page token"))
        page, _, paging = _page(request, found, default_limit=50)
        context = self._chat_dto(chat)["context"]
        return self._json(200, {"status": "OK", "result": {"context": context, "messages": page, **paging}})

    async def _send_message(self, request: web.Request) -> web.Response:
        """sendMessageToChat: the shop's message (1-4,096 characters; the spec's check says so first)."""
        chat, error = self._chat_or_error(request)
        if error:
            return error
        assert chat is not None
        text = (await request.json())["message"]
        if not 1 <= len(text) <= 4096:
            return self._json(400, error_body("BAD_REQUEST", "message must be 1-4096 characters"))
        self._shop_writes(chat, text, [])
        return self._json(200, {"status": "OK"})

    async def _send_file(self, request: web.Request) -> web.Response:
        """sendFileToChat: multipart `file`, at most 5 MB."""
        chat, error = self._chat_or_error(request)
        if error:
            return error
        assert chat is not None
        sent = await _multipart_file(request, "file")
        if sent is None:
            return self._json(400, error_body("BAD_REQUEST", "file is required"))
        if sent.size > CHAT_FILE_LIMIT:
            return self._json(400, error_body("BAD_REQUEST", f"File is larger than {CHAT_FILE_LIMIT} bytes"))
        chat.files.append(sent)
        self._shop_writes(chat, None, [(sent.name, sent.data)])
        return self._json(200, {"status": "OK"})

    async def _chat_file(self, request: web.Request) -> web.Response:
        """A chat message's file, for a key that reaches the chat's business."""
        message_id, name = int(request.match_info["messageId"]), request.match_info["name"]
        data = self.chat_blobs.get((message_id, name))
        chat = next(
            (c for c in self.chats.values() if any(m.message_id == message_id for m in c.messages)), None
        )
        if data is None or chat is None:
            return self._json(404, error_body("NOT_FOUND", "No such file"))
        if not self._business_campaigns(self.keys[request.headers["Api-Key"]], chat.business_id):
            return self._json(403, error_body("FORBIDDEN", "Access denied"))
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
        return web.Response(body=data, content_type=kind)


async def _multipart_file(request: web.Request, field_name: str) -> SentFile | None:
    """The part `field_name` of a multipart body (already read by the middleware: parsed from its
    bytes, as aiohttp's own reader parses a stream)."""
    loop = asyncio.get_running_loop()
    raw = await request.read()
    stream = StreamReader(BaseProtocol(loop), len(raw) + 1, loop=loop)  # never paused: no transport
    stream.feed_data(raw)
    stream.feed_eof()
    reader = MultipartReader(request.headers, stream)
    while (part := await reader.next()) is not None:
        if isinstance(part, BodyPartReader) and part.name == field_name:
            data = bytes(await part.read())
            return SentFile(
                name=part.filename or "", content_type=part.headers.get("Content-Type"), data=data
            )
    return None
