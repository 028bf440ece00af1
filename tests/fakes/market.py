"""A fake Yandex Market partner API on 127.0.0.1.

Every request it receives is validated against the official spec (tests/contract/market-openapi.yaml)
with openapi-core, and so is every response it sends. It checks `Api-Key`, emulates campaigns with
paging, orders in each status, the status rules for track and date, realistic 400/401/403/404
answers, 420 when a key has more than 2 requests in flight, and scripted faults (500, 420, slow
answers, answers lost after the change was applied).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from aiohttp import web
from openapi_core import OpenAPI
from openapi_core.exceptions import OpenAPIError
from openapi_core.testing import MockRequest, MockResponse

from bot.domain.clock import moscow_today
from tests.fakes.serve import serve

SPEC_PATH = Path(__file__).resolve().parent.parent / "contract" / "market-openapi.yaml"
SPEC_SERVER = "https://api.partner.market.yandex.ru"
ORDER_SCOPES = {"ALL_METHODS", "INVENTORY_AND_ORDER_PROCESSING"}
TRACK_STATUSES = {"PROCESSING", "DELIVERY", "PICKUP"}
DATE_STATUSES = {"PROCESSING", "DELIVERY"}
BUYER_PHONE = "+74951234567"  # the substitute number getOrderBuyerInfo gives


@cache
def market_spec() -> OpenAPI:
    return OpenAPI.from_file_path(str(SPEC_PATH))


@dataclass
class ApiKey:
    campaign_ids: set[int]
    scopes: list[str] = field(default_factory=lambda: ["INVENTORY_AND_ORDER_PROCESSING"])
    name: str = "bot key"


READING_POSTS = frozenset({"getBusinessOrders", "getAuthTokenInfo"})  # a search, the key's own info


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
        app = web.Application(middlewares=[self._middleware])
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
            body = json.loads(raw) if raw else None
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
        openapi_request = MockRequest(
            SPEC_SERVER,
            request.method.lower(),
            request.path,
            args={k: request.query.getall(k) for k in request.query},
            headers=dict(request.headers),
            data=raw,
            content_type=request.content_type if raw else "application/json",
        )
        try:  # validated, not unmarshalled: the same check, without building objects (20× faster)
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
