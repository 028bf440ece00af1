"""Errors of the Market client: one for the API's answers, one for the way there."""

from __future__ import annotations

from dataclasses import dataclass

RETRYABLE_STATUSES = frozenset({420, 429, 500, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class ApiErrorItem:
    code: str
    message: str


class MarketError(Exception):
    """Base of everything the Market client raises."""

    retryable: bool = False
    retry_after: float | None = None


class MarketApiError(MarketError):
    """The Market answered with an error status.

    `errors` is the API's own list (`code`, `message`); `message` of the first is what a person reads.
    """

    def __init__(
        self,
        status: int,
        errors: list[ApiErrorItem],
        *,
        request_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.status = status
        self.errors = errors or [ApiErrorItem(code=f"HTTP_{status}", message=f"HTTP {status}")]
        self.request_id = request_id
        self.retry_after = retry_after
        self.retryable = status in RETRYABLE_STATUSES or status >= 500
        super().__init__(f"Market API {status}: {self.code}: {self.message}")

    @property
    def code(self) -> str:
        return self.errors[0].code

    @property
    def message(self) -> str:
        return self.errors[0].message


class MarketTransportError(MarketError):
    """The request did not get an answer: timeout, refused or dropped connection."""

    retryable = True

    def __init__(self, message: str, *, timeout: bool = False) -> None:
        self.timeout = timeout
        super().__init__(message)
