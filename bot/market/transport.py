"""The one place that talks HTTP to the Market.

It owns, process-wide: the Market's global limit of 2 requests in flight per API key (a further request
waits for a slot), the per-method hourly budget read from `X-RateLimit-Resource-*`, retries of GETs with
capped exponential backoff and jitter (honouring `Retry-After` / `X-RateLimit-Resource-Until`), timeouts,
error parsing and one log line per call. POST and PUT are sent once: whoever owns the operation decides
whether to send it again. A multipart body (a chat's file) goes through `request(files=...)`; a file the
Market links to comes through `download`, capped, its Api-Key only to the Market's own origin.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import hashlib
import json as jsonlib
import logging
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import certifi
import httpx

from bot.domain.backoff import jittered_delay
from bot.domain.chats import FileTooLarge
from bot.market.errors import (
    ApiErrorItem,
    MarketApiError,
    MarketConnectionError,
    MarketError,
    MarketTimeoutError,
    RateLimitError,
)
from bot.redaction import REDACTOR

logger = logging.getLogger("bot.market")

MAX_IN_FLIGHT_PER_KEY = 2
MAX_BUDGETS = 10_000
INTEGRATION = "market-dbs-bot/0.1"
REQUEST_ID_HEADERS = ("X-Market-Request-Id", "X-Market-Req-Id", "X-Request-Id")

MAX_REDIRECTS = 5
ERROR_BODY_LIMIT = 64 * 1024  # of an error answer to a download, read to say what went wrong
FILE_CALL = "(chat file)"  # a download's "path" in logs and metrics: its URL is never logged

Params = Mapping[str, str | int | list[str] | list[int]]
Files = Mapping[str, tuple[str, bytes, str]]
_T = TypeVar("_T")


@dataclass(slots=True)
class HourlyBudget:
    """What the Market last said about one method's hourly budget for one key."""

    limit: int | None
    remaining: int
    until: dt.datetime | None


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """One TLS context per process (loading the CA bundle costs ~40 ms), shared by every client."""
    return ssl.create_default_context(cafile=certifi.where())


def _key_id(api_key: str) -> str:
    """A stable, non-reversible handle for an API key (it is never kept or logged in clear)."""
    return hashlib.sha256(api_key.encode()).hexdigest()


def _parse_http_date(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _seconds_until(moment: dt.datetime | None) -> float | None:
    if moment is None:
        return None
    return max(0.0, (moment - dt.datetime.now(dt.UTC)).total_seconds())


def _retry_after(headers: httpx.Headers) -> float | None:
    """Seconds the Market asks us to wait: `Retry-After` (seconds or date), else the budget reset."""
    raw = headers.get("Retry-After")
    if raw:
        try:
            return max(0.0, float(raw))
        except ValueError:
            return _seconds_until(_parse_http_date(raw))
    if headers.get("X-RateLimit-Resource-Remaining") == "0":
        return _seconds_until(_parse_http_date(headers.get("X-RateLimit-Resource-Until")))
    return None


def _int_header(headers: httpx.Headers, name: str) -> int | None:
    try:
        return int(headers[name])
    except (KeyError, ValueError):
        return None


def parse_error(response: httpx.Response) -> MarketApiError:
    """Turn an error response into `MarketApiError`, keeping the Market's own `errors` list."""
    return _api_error(response.status_code, response.headers, response.content)


def _api_error(status: int, headers: httpx.Headers, content: bytes) -> MarketApiError:
    items: list[ApiErrorItem] = []
    try:
        body = jsonlib.loads(content)
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("errors"), list):
        for raw in body["errors"]:
            if isinstance(raw, dict) and raw.get("code"):
                items.append(ApiErrorItem(code=str(raw["code"]), message=str(raw.get("message", ""))))
    if not items:
        text = httpx.codes.get_reason_phrase(status) or f"HTTP {status}"
        items.append(ApiErrorItem(code=f"HTTP_{status}", message=text))
    request_id = next((headers[h] for h in REQUEST_ID_HEADERS if h in headers), None)
    return MarketApiError.for_status(
        status,
        items,
        request_id=request_id,
        retry_after=_retry_after(headers),
    )


async def _read_capped(response: httpx.Response, max_bytes: int) -> bytes:
    """The body, refused on its declared length before any of it is read, else once more than
    `max_bytes` have arrived (a server may send no length, or a false one)."""
    declared = _int_header(response.headers, "Content-Length")
    if declared is not None and declared > max_bytes:
        raise FileTooLarge(declared, max_bytes)
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > max_bytes:
            raise FileTooLarge(len(body), max_bytes)
    return bytes(body)


async def _download_error(response: httpx.Response) -> MarketApiError:
    """The error an answer to a download says, from at most ERROR_BODY_LIMIT bytes of its body."""
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) >= ERROR_BODY_LIMIT:
            break
    return _api_error(response.status_code, response.headers, bytes(body[:ERROR_BODY_LIMIT]))


def _bad_download(code: str, message: str) -> MarketApiError:
    return MarketApiError(502, [ApiErrorItem(code, message)])


class MarketTransport:
    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 15.0,
        get_attempts: int = 4,
        backoff_base: float = 0.5,
        backoff_cap: float = 8.0,
        max_retry_wait: float = 30.0,
        http: httpx.AsyncClient | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._owns_http = http is None
        self._http = http or httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            headers={"X-Market-Integration": INTEGRATION, "Accept": "application/json"},
            verify=_tls_context(),
        )
        self._timeout = timeout
        self._get_attempts = max(1, get_attempts)
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._max_retry_wait = max_retry_wait
        self._sleep = sleep
        self._slots: dict[str, asyncio.Semaphore] = {}
        self._users: dict[str, int] = {}  # requests holding or waiting for each key's slots
        self._budgets: dict[tuple[str, str], HourlyBudget] = {}
        # Told of every call's end: "METHOD /path/{template}" and the status (or "timeout",
        # "network-error"); the metrics count them. Never given a key or a path with ids in it.
        self.on_call: Callable[[str, int | str], None] = lambda operation, status: None

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def request(
        self,
        method: str,
        path_template: str,
        *,
        api_key: str,
        path_params: Mapping[str, int] | None = None,
        params: Params | None = None,
        json: Any = None,
        files: Files | None = None,
        retry: bool | None = None,
    ) -> Any:
        """Send one call and return the decoded JSON. Reads are retried when retrying can help: GETs by
        default, a POST that only reads with `retry=True`; `retry=False` sends once. `files` makes the
        body multipart/form-data: field → (file name, bytes, content type)."""
        attempts = self._get_attempts if (method == "GET" if retry is None else retry) else 1
        return await self._retrying(
            attempts,
            lambda attempt: self._send(
                method, path_template, api_key, path_params or {}, params, json, files, attempt
            ),
        )

    async def download(self, url: str, *, api_key: str, max_bytes: int) -> bytes:
        """The body of a GET of `url` (a file the Market links to), at most `max_bytes` of it: a bigger
        one raises `FileTooLarge` on its declared length, before its body is read, else as soon as more
        has arrived. The key goes only to the Market's own origin (scheme, host and port), redirects
        included; the URL is never logged. Retried like a GET."""
        return await self._retrying(
            self._get_attempts, lambda attempt: self._download(url, api_key, max_bytes, attempt)
        )

    async def _retrying(self, attempts: int, send: Callable[[int], Awaitable[_T]]) -> _T:
        for attempt in range(1, attempts + 1):
            try:
                return await send(attempt)
            except MarketError as exc:
                delay = self._retry_delay(exc, attempt) if attempt < attempts else None
                if delay is None:
                    raise
                await self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _retry_delay(self, exc: MarketError, attempt: int) -> float | None:
        if not exc.retryable:
            return None
        if exc.retry_after is not None:
            # The Market said when: wait that long if it is reasonable, else give up now.
            wait: float = exc.retry_after
            return wait if wait <= self._max_retry_wait else None
        return jittered_delay(attempt, self._backoff_base, self._backoff_cap)

    @contextlib.asynccontextmanager
    async def _slot(self, key_id: str) -> AsyncIterator[None]:
        """One of the key's 2 slots. Keys nobody is using are forgotten, so the map stays small."""
        slot = self._slots.get(key_id)
        if slot is None:
            slot = self._slots[key_id] = asyncio.Semaphore(MAX_IN_FLIGHT_PER_KEY)
        self._users[key_id] = self._users.get(key_id, 0) + 1
        try:
            async with slot:
                yield
        finally:
            self._users[key_id] -= 1
            if not self._users[key_id]:
                del self._users[key_id], self._slots[key_id]

    def budget(self, api_key: str, method: str, path_template: str) -> HourlyBudget | None:
        """The last known hourly budget of one method for one key (None until the Market said)."""
        return self._budgets.get((_key_id(api_key), f"{method} {path_template}"))

    def _check_budget(self, key_id: str, resource: str) -> None:
        budget = self._budgets.get((key_id, resource))
        if budget is None or budget.remaining > 0:
            return
        wait = _seconds_until(budget.until)
        if wait is None or wait <= 0:
            del self._budgets[(key_id, resource)]
            return
        raise RateLimitError(
            420,
            [
                ApiErrorItem(
                    code="HOURLY_LIMIT_REACHED",
                    message=f"Hourly limit of {budget.limit} requests for this method is used up "
                    f"until {budget.until:%H:%M} UTC",
                )
            ],
            retry_after=wait,
        )

    def _record_budget(self, key_id: str, resource: str, headers: httpx.Headers) -> None:
        remaining = _int_header(headers, "X-RateLimit-Resource-Remaining")
        if remaining is None:
            return
        if len(self._budgets) > MAX_BUDGETS:  # forget budgets whose hour is over
            now = dt.datetime.now(dt.UTC)
            for known in [k for k, b in self._budgets.items() if b.until is None or b.until <= now]:
                del self._budgets[known]
        self._budgets[(key_id, resource)] = HourlyBudget(
            limit=_int_header(headers, "X-RateLimit-Resource-Limit"),
            remaining=remaining,
            until=_parse_http_date(headers.get("X-RateLimit-Resource-Until")),
        )

    async def _send(
        self,
        method: str,
        path_template: str,
        api_key: str,
        path_params: Mapping[str, int],
        params: Params | None,
        json: Any,
        files: Files | None,
        attempt: int,
    ) -> Any:
        key_id = _key_id(api_key)
        resource = f"{method} {path_template}"
        self._check_budget(key_id, resource)
        path = path_template.format(**path_params)
        async with self._slot(key_id):
            started = time.perf_counter()
            try:
                # `timeout` bounds the whole call (httpx's own bounds each phase: connect, each read...),
                # so a Market dripping its answer cannot hold one of the key's 2 slots for long.
                async with asyncio.timeout(self._timeout):
                    response = await self._http.request(
                        method, path, params=params, json=json, files=files, headers={"Api-Key": api_key}
                    )
            except (httpx.TimeoutException, TimeoutError) as exc:
                self._log(method, path_template, "timeout", started, attempt)
                raise MarketTimeoutError(f"Market did not answer in time ({type(exc).__name__})") from None
            except httpx.TransportError as exc:
                self._log(method, path_template, "network-error", started, attempt)
                raise MarketConnectionError(f"Could not reach the Market ({type(exc).__name__})") from None
        self._log(method, path_template, response.status_code, started, attempt)
        self._record_budget(key_id, resource, response.headers)
        if response.is_success:
            REDACTOR.add(api_key)  # a key the Market accepted: masked in every log line from now on
            try:
                return response.json()
            except ValueError:
                raise MarketApiError(
                    response.status_code,
                    [ApiErrorItem("BAD_RESPONSE", "The Market sent a response that is not JSON")],
                ) from None
        raise parse_error(response)

    def _is_market(self, url: httpx.URL) -> bool:
        base = self._http.base_url
        return (url.scheme, url.host, url.port) == (base.scheme, base.host, base.port)

    async def _download(self, url: str, api_key: str, max_bytes: int, attempt: int) -> bytes:
        key_id = _key_id(api_key)
        started = time.perf_counter()
        status: int | str = "bad-url"
        try:
            target = httpx.URL(url)
            # The whole download, redirects included, within `timeout` (a server dripping a file
            # cannot hold one of the key's slots for long).
            async with asyncio.timeout(self._timeout):
                for _ in range(MAX_REDIRECTS + 1):
                    if target.scheme not in ("http", "https") or not target.host:
                        raise _bad_download("BAD_FILE_URL", "The file's address is not an http(s) URL")
                    mine = self._is_market(target)
                    # identity: a compressed body could inflate past the cap within one chunk
                    headers = {"Accept": "*/*", "Accept-Encoding": "identity"}
                    if mine:
                        headers["Api-Key"] = api_key
                    async with (
                        self._slot(key_id) if mine else contextlib.nullcontext(),
                        self._http.stream("GET", target, headers=headers) as response,
                    ):
                        status = response.status_code
                        if response.is_redirect:
                            target = target.join(response.headers["Location"])
                            continue
                        if not response.is_success:
                            raise await _download_error(response)
                        if mine:
                            REDACTOR.add(api_key)
                        return await _read_capped(response, max_bytes)
                raise _bad_download(
                    "TOO_MANY_REDIRECTS", f"The file's address redirects over {MAX_REDIRECTS} times"
                )
        except (httpx.TimeoutException, TimeoutError) as exc:
            status = "timeout"
            raise MarketTimeoutError(f"The file did not arrive in time ({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            status = "network-error"
            raise MarketConnectionError(f"Could not reach the file ({type(exc).__name__})") from None
        except httpx.InvalidURL:
            raise _bad_download("BAD_FILE_URL", "The file's address is not a valid URL") from None
        finally:
            self._log("GET", FILE_CALL, status, started, attempt)

    def _log(self, method: str, path_template: str, status: int | str, started: float, attempt: int) -> None:
        self.on_call(f"{method} {path_template}", status)
        latency_ms = round((time.perf_counter() - started) * 1000)
        logger.info(
            "market_call method=%s path=%s status=%s latency_ms=%d attempt=%d",
            method,
            path_template,
            status,
            latency_ms,
            attempt,
            extra={
                "market_method": method,
                "market_path": path_template,
                "market_status": status,
                "latency_ms": latency_ms,
                "attempt": attempt,
            },
        )
