"""The Market client against the fake Market, which validates every request against the spec."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from email.utils import format_datetime

import httpx
import pytest
from aiohttp import web

from bot.domain.market_data import DeliveryDateReason
from bot.market.client import MarketClient
from bot.market.errors import MarketApiError, MarketConnectionError, MarketTimeoutError, MarketTransportError
from bot.market.transport import MarketTransport
from tests.conftest import OWNER_KEY
from tests.fakes.market import FakeMarket
from tests.fakes.serve import serve

BAD_KEY = "ACMA:not-a-key"


async def test_campaigns_follow_every_page(market: FakeMarket, client: MarketClient) -> None:
    for n in range(250):
        market.add_campaign(5000 + n, f"shop-{n}.example")
    market.add_key("many", {5000 + n for n in range(250)})

    campaigns = await client.get_campaigns("many")

    assert [c.id for c in campaigns] == [5000 + n for n in range(250)]
    pages = market.calls("getCampaigns")
    assert [r.query.get("pageToken") for r in pages] == [None, ["100"], ["200"]]
    assert all(r.query["limit"] == ["100"] for r in pages)


async def test_campaign_fields_are_parsed(market: FakeMarket, client: MarketClient) -> None:
    campaigns = await client.get_campaigns(OWNER_KEY)
    dbs = next(c for c in campaigns if c.id == 1001)
    assert (dbs.domain, dbs.placement_type, dbs.is_dbs, dbs.is_available) == (
        "dbs-shop.example",
        "DBS",
        True,
        True,
    )
    assert dbs.business is not None and dbs.business.id == 777
    one = await client.get_campaign(OWNER_KEY, 1002)
    assert one.placement_type == "FBS" and not one.is_dbs


async def test_requests_carry_api_key_header_and_v2_paths(market: FakeMarket, client: MarketClient) -> None:
    market.add_order(1001, 42)
    await client.set_track_code(OWNER_KEY, 1001, 42, track_code="T-1", delivery_service_id=51)
    [call] = market.calls("setOrderDeliveryTrackCode")
    assert call.api_key == OWNER_KEY
    assert call.path == "/v2/campaigns/1001/orders/42/delivery/track"


async def test_int64_order_ids_survive_json_both_ways(market: FakeMarket, client: MarketClient) -> None:
    big = 9_007_199_254_740_993  # beyond 2**53
    market.add_order(1001, big, "DELIVERY", items=[("Кружка", 2), ("Ложка", 1)])
    [order] = (await client.get_business_orders(OWNER_KEY, 777, order_ids=[big])).orders
    assert order.order_id == big
    assert [(i.offer_name, i.count) for i in order.items] == [("Кружка", 2), ("Ложка", 1)]
    assert market.calls("getBusinessOrders")[0].body["orderIds"] == [big]


async def test_set_track_code_sends_the_spec_body(market: FakeMarket, client: MarketClient) -> None:
    market.add_order(1001, 42, "PROCESSING")
    await client.set_track_code(OWNER_KEY, 1001, 42, track_code="TRK-001", delivery_service_id=51)
    [call] = market.calls("setOrderDeliveryTrackCode")
    assert call.method == "POST"
    assert call.path == "/v2/campaigns/1001/orders/42/delivery/track"
    assert call.body == {"trackCode": "TRK-001", "deliveryServiceId": 51}
    assert market.orders[(1001, 42)]["delivery"]["tracks"] == [
        {"trackCode": "TRK-001", "deliveryServiceId": 51}
    ]


async def test_set_delivery_date_sends_iso_date_and_reason(market: FakeMarket, client: MarketClient) -> None:
    market.add_order(1001, 42, "DELIVERY")
    await client.set_delivery_date(
        OWNER_KEY, 1001, 42, to_date=dt.date(2026, 12, 5), reason=DeliveryDateReason.USER_MOVED
    )
    [call] = market.calls("setOrderDeliveryDate")
    assert call.method == "PUT"
    assert call.body == {
        "dates": {"toDate": "2026-12-05"},
        "reason": "USER_MOVED_DELIVERY_DATES",
    }


async def test_delivery_services_and_token_info(market: FakeMarket, client: MarketClient) -> None:
    services = await client.get_delivery_services(OWNER_KEY)
    assert {(s.id, s.name) for s in services} >= {(51, "СДЭК"), (1003, "Своя служба доставки")}
    info = await client.get_token_info(OWNER_KEY)
    assert info.auth_scopes == ["INVENTORY_AND_ORDER_PROCESSING", "COMMUNICATION"]
    assert info.can_process_orders and info.can_chat
    market.add_key("readonly", {1001}, scopes=["ALL_METHODS_READ_ONLY"])
    readonly = await client.get_token_info("readonly")
    assert not readonly.can_process_orders and not readonly.can_chat
    market.add_key("all", {1001}, scopes=["ALL_METHODS"])
    assert (await client.get_token_info("all")).can_chat


@pytest.mark.parametrize(
    ("api_key", "campaign", "order", "status", "code", "message"),  # as the track call meets them
    [
        (BAD_KEY, 1001, 42, 401, "UNAUTHORIZED", "Api-Key token is invalid"),
        (OWNER_KEY, 9999, 42, 403, "FORBIDDEN", "Access denied"),
        (OWNER_KEY, 1001, 404404, 404, "ORDER_NOT_FOUND", "Order 404404 not found"),
    ],
)
async def test_error_statuses_carry_the_markets_message_and_are_final(
    market: FakeMarket,
    client: MarketClient,
    api_key: str,
    campaign: int,
    order: int,
    status: int,
    code: str,
    message: str,
) -> None:
    market.add_order(1001, 42)
    with pytest.raises(MarketApiError) as caught:
        await client.set_track_code(api_key, campaign, order, track_code="T-1", delivery_service_id=51)
    assert (caught.value.status, caught.value.code, caught.value.message) == (status, code, message)
    assert caught.value.retryable is False
    assert len(market.calls("setOrderDeliveryTrackCode")) == 1


async def test_status_rule_400_is_final_with_market_message(market: FakeMarket, client: MarketClient) -> None:
    market.add_order(1001, 7, "CANCELLED")
    with pytest.raises(MarketApiError) as caught:
        await client.set_track_code(OWNER_KEY, 1001, 7, track_code="X1", delivery_service_id=51)
    err = caught.value
    assert err.status == 400 and not err.retryable
    assert err.message == "Order 7 with status CANCELLED is not allowed for this action"


async def test_missing_scope_is_403(market: FakeMarket, client: MarketClient) -> None:
    market.add_key("readonly", {1001}, scopes=["ALL_METHODS_READ_ONLY"])
    market.add_order(1001, 42)
    with pytest.raises(MarketApiError) as caught:
        await client.set_delivery_date(
            "readonly",
            1001,
            42,
            to_date=dt.date(2026, 12, 1),
            reason=DeliveryDateReason.PARTNER_MOVED,
        )
    assert caught.value.status == 403


async def test_get_is_retried_after_500_and_420(market: FakeMarket, client: MarketClient) -> None:
    market.fail("getCampaign", status=500)
    market.fail("getCampaign", status=420, retry_after="1")
    campaign = await client.get_campaign(OWNER_KEY, 1001)
    assert campaign.id == 1001
    assert [c.status for c in market.calls("getCampaign")] == [500, 420, 200]


async def test_a_4xx_read_is_not_retried(market: FakeMarket, client: MarketClient) -> None:
    with pytest.raises(MarketApiError) as caught:
        await client.get_campaign(OWNER_KEY, 9999)
    assert caught.value.status == 403 and not caught.value.retryable
    assert len(market.calls("getCampaign")) == 1, "4xx must not be retried"


async def test_get_gives_up_after_its_attempts_with_a_retryable_error(
    market: FakeMarket, client: MarketClient
) -> None:
    market.fail("getDeliveryServices", times=10, status=503)
    with pytest.raises(MarketApiError) as caught:
        await client.get_delivery_services(OWNER_KEY)
    assert caught.value.status == 503 and caught.value.retryable
    assert len(market.calls("getDeliveryServices")) == 4


@pytest.mark.parametrize("status", [500, 420, 503])
async def test_post_and_put_are_sent_once(market: FakeMarket, client: MarketClient, status: int) -> None:
    market.add_order(1001, 42)
    market.fail("setOrderDeliveryTrackCode", status=status)
    market.fail("setOrderDeliveryDate", status=status)
    with pytest.raises(MarketApiError) as track_err:
        await client.set_track_code(OWNER_KEY, 1001, 42, track_code="T", delivery_service_id=51)
    with pytest.raises(MarketApiError) as date_err:
        await client.set_delivery_date(
            OWNER_KEY, 1001, 42, to_date=dt.date(2026, 12, 1), reason=DeliveryDateReason.USER_MOVED
        )
    assert track_err.value.retryable and date_err.value.retryable
    assert len(market.calls("setOrderDeliveryTrackCode")) == 1
    assert len(market.calls("setOrderDeliveryDate")) == 1


async def test_timeout_is_a_retryable_transport_error(market: FakeMarket) -> None:
    market.add_order(1001, 42)
    market.fail("setOrderDeliveryTrackCode", delay=1.0, apply=True)
    transport = MarketTransport(market.url, timeout=0.2)
    try:
        with pytest.raises(MarketTransportError) as caught:
            await MarketClient(transport).set_track_code(
                OWNER_KEY, 1001, 42, track_code="T", delivery_service_id=51
            )
    finally:
        await transport.aclose()
    assert isinstance(caught.value, MarketTimeoutError) and caught.value.retryable


async def test_connection_refused_is_a_retryable_transport_error() -> None:
    transport = MarketTransport("http://127.0.0.1:9", timeout=1.0, get_attempts=1)
    try:
        with pytest.raises(MarketTransportError) as caught:
            await MarketClient(transport).get_campaigns(OWNER_KEY)
    finally:
        await transport.aclose()
    assert caught.value.retryable and isinstance(caught.value, MarketConnectionError)


async def test_backoff_grows_and_honours_retry_after(market: FakeMarket) -> None:
    slept: list[float] = []

    async def record(seconds: float) -> None:
        slept.append(seconds)

    market.fail("getCampaigns", times=2, status=500)
    market.fail("getCampaigns", status=420, retry_after="7")
    transport = MarketTransport(market.url, sleep=record, backoff_base=1.0, backoff_cap=8.0, get_attempts=4)
    try:
        await MarketClient(transport).get_campaigns(OWNER_KEY)
    finally:
        await transport.aclose()
    assert 0.5 <= slept[0] <= 1.0  # first backoff: half to all of 1 s
    assert 1.0 <= slept[1] <= 2.0  # second: half to all of 2 s
    assert slept[2] == 7.0  # the Market's Retry-After wins over our own backoff


async def test_retry_after_too_long_is_not_waited_for(market: FakeMarket, client: MarketClient) -> None:
    market.fail("getCampaigns", status=420, retry_after="3600")
    with pytest.raises(MarketApiError) as caught:
        await client.get_campaigns(OWNER_KEY)
    assert caught.value.status == 420 and caught.value.retry_after == 3600
    assert len(market.calls("getCampaigns")) == 1


async def test_hourly_budget_from_headers_stops_calls_until_reset(
    market: FakeMarket, client: MarketClient, transport: MarketTransport
) -> None:
    market.add_order(1001, 42)
    reset = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(minutes=30)
    market.rate_headers["setOrderDeliveryTrackCode"] = {
        "X-RateLimit-Resource-Limit": "10000",
        "X-RateLimit-Resource-Remaining": "0",
        "X-RateLimit-Resource-Until": format_datetime(reset, usegmt=True),
    }
    await client.set_track_code(OWNER_KEY, 1001, 42, track_code="A", delivery_service_id=51)
    budget = transport.budget(OWNER_KEY, "POST", "/v2/campaigns/{campaignId}/orders/{orderId}/delivery/track")
    assert budget is not None and budget.remaining == 0 and budget.limit == 10000

    with pytest.raises(MarketApiError) as caught:
        await client.set_track_code(OWNER_KEY, 1001, 42, track_code="B", delivery_service_id=51)
    assert caught.value.status == 420 and caught.value.retryable
    assert caught.value.retry_after is not None and 1700 < caught.value.retry_after <= 1800
    assert len(market.calls("setOrderDeliveryTrackCode")) == 1, "the spent budget kept us home"
    # Other methods (and other keys) are not held back by this one's budget.
    await client.get_campaign(OWNER_KEY, 1001)


async def test_twenty_concurrent_calls_on_one_key_never_exceed_two_in_flight(
    market: FakeMarket, client: MarketClient
) -> None:
    market.add_order(1001, 42)
    market.latency = 0.05
    market.add_key("other", {1001})

    campaigns = await asyncio.gather(
        *(client.get_campaign(OWNER_KEY, 1001) for _ in range(20)),
        *(client.get_campaign("other", 1001) for _ in range(4)),
    )

    assert len(campaigns) == 24
    assert market.max_in_flight[OWNER_KEY] == 2
    assert market.rejected_parallel == 0
    assert len(market.calls("getCampaign")) == 24, "no request failed and was retried"
    assert market.max_in_flight["other"] == 2


async def test_one_log_line_per_call_without_the_key(
    market: FakeMarket, client: MarketClient, caplog: pytest.LogCaptureFixture
) -> None:
    market.fail("getCampaign", status=500)
    with caplog.at_level(logging.INFO, logger="bot.market"):
        await client.get_campaign(OWNER_KEY, 1001)
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.market"]
    assert len(lines) == 2
    assert "method=GET path=/v2/campaigns/{campaignId} status=500" in lines[0]
    assert "status=200" in lines[1] and "latency_ms=" in lines[1]
    assert all(OWNER_KEY not in line and "owner-key" not in line for line in caplog.text.splitlines())


async def test_fake_market_rejects_requests_outside_the_spec(market: FakeMarket) -> None:
    """The contract check itself can fail: a body missing a required field is caught."""
    transport = MarketTransport(market.url)
    market.add_order(1001, 42)
    try:
        with pytest.raises(MarketApiError) as caught:
            await transport.request(
                "POST",
                "/v2/campaigns/{campaignId}/orders/{orderId}/delivery/track",
                api_key=OWNER_KEY,
                path_params={"campaignId": 1001, "orderId": 42},
                json={"trackCode": "T"},  # deliveryServiceId missing
            )
    finally:
        await transport.aclose()
    assert caught.value.status == 400
    assert market.spec_errors and "deliveryServiceId" in market.spec_errors[0]
    market.spec_errors.clear()


async def test_fake_market_answers_420_to_a_third_parallel_request(market: FakeMarket) -> None:
    """Without the client's limiter, a third request in flight on one key is refused."""
    market.latency = 0.2
    async with httpx.AsyncClient(base_url=market.url, headers={"Api-Key": OWNER_KEY}) as raw:
        responses = await asyncio.gather(*(raw.get("/v2/campaigns/1001") for _ in range(3)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 200, 420]
    refused = next(r for r in responses if r.status_code == 420)
    assert refused.json()["errors"][0]["message"] == "Hit rate limit of 2 parallel requests"


async def test_the_timeout_bounds_the_whole_call_not_each_read() -> None:
    """A server that drips its answer a byte at a time never trips a per-read timeout."""

    async def drip(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)
        for byte in b'{"campaigns": []}':
            await asyncio.sleep(0.3)
            await response.write(bytes([byte]))
        return response

    app = web.Application()
    app.router.add_get("/v2/campaigns", drip)
    runner, url = await serve(app)
    transport = MarketTransport(url, timeout=1.0, get_attempts=1)
    started = time.monotonic()
    try:
        with pytest.raises(MarketTimeoutError):
            await MarketClient(transport).get_campaigns(OWNER_KEY)
    finally:
        await transport.aclose()
        await runner.cleanup()
    assert time.monotonic() - started < 2.0
