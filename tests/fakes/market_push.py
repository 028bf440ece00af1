"""The Market as the sender of push notifications (API-уведомления): it POSTs to the bot's endpoint,
and every request it sends and every answer it gets is validated against the official contract
(tests/contract/market-notifications.yaml) with openapi-core. The source address is simulated with
X-Forwarded-For (the bot trusting 127.0.0.1 as its proxy in these tests).

The contract knows 200, 400 and 500; a 403 (a source not allowed, which the Market never is) is
outside it and checked by the tests themselves. It sends with aiohttp: httpx's connection pool slows
down badly with a thousand requests waiting for a connection.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import aiohttp
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

SPEC_PATH = Path(__file__).resolve().parent.parent / "contract" / "market-notifications.yaml"
MARKET_SOURCE = "5.45.207.17"  # in the first of the Market's documented ranges
SPEC_STATUSES = {200, 400, 500}


@cache
def notifications_spec() -> OpenAPI:
    return OpenAPI.from_file_path(str(SPEC_PATH))


def at(minute: int = 0) -> str:
    return (dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC) + dt.timedelta(minutes=minute)).isoformat()


def ping() -> dict[str, Any]:
    return {"notificationType": "PING", "time": at()}


def cancellation_request(order_id: int, campaign_id: int = 1001, minute: int = 0) -> dict[str, Any]:
    return {
        "notificationType": "ORDER_CANCELLATION_REQUEST",
        "orderId": order_id,
        "campaignId": campaign_id,
        "requestedAt": at(minute),
    }


def order_created(order_id: int, campaign_id: int = 1001, minute: int = 0) -> dict[str, Any]:
    return {
        "notificationType": "ORDER_CREATED",
        "orderId": order_id,
        "campaignId": campaign_id,
        "items": [{"offerId": "kettle-1", "count": 1}],
        "createdAt": at(minute),
    }


@dataclass(frozen=True)
class Answer:
    status_code: int
    content: bytes

    def json(self) -> Any:
        return json.loads(self.content)


class MarketPush:
    """Sends notifications to `url` (the bot's endpoint) as the Market does."""

    def __init__(self, http: aiohttp.ClientSession, url: str, *, source: str = MARKET_SOURCE) -> None:
        self._http = http
        self.url = url
        self.source = source

    async def send(
        self,
        body: Any,
        *,
        source: str | None = None,
        raw: bytes | None = None,
        valid: bool = True,
        checked: bool = True,
    ) -> Answer:
        """POST a notification. `valid=False` (or `raw` bytes) for a body the contract does not allow:
        sent unchecked, as a broken Market would; the answer is checked all the same. `checked=False`
        checks neither (~6 ms of CPU a request): for a burst whose every shape is sent checked too."""
        if not checked:
            return await self._post(_json(body).encode(), source)
        spec = notifications_spec()
        request = MockRequest(
            "http://localhost",
            "post",
            "/notification",
            data=_json(body).encode(),
            content_type="application/json",
        )
        if valid and raw is None:
            spec.validate_request(request)
        answer = await self._post(raw if raw is not None else _json(body).encode(), source)
        if answer.status_code in SPEC_STATUSES:
            spec.validate_response(
                request,
                MockResponse(answer.content, status_code=answer.status_code, content_type="application/json"),
            )
        return answer

    async def _post(self, content: bytes, source: str | None) -> Answer:
        headers = {"Content-Type": "application/json", "X-Forwarded-For": source or self.source}
        async with self._http.post(self.url, data=content, headers=headers) as response:
            return Answer(response.status, await response.read())


def _json(body: Any) -> str:
    return json.dumps(body)
