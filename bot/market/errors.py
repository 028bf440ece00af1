"""Errors of the Market client: one class per kind of failure, so callers test the class, not a number.
Each is a domain `MarketFailure` and says its `failure` (what the user is told): code outside the
services catches that, not these.

MarketError
├── MarketApiError            the Market answered with an error status
│   ├── BadRequestError       400: the request breaks a rule (status, format)
│   ├── UnauthorizedError     401: the key is wrong or revoked
│   ├── ForbiddenError        403: the key lacks a scope or the campaign
│   ├── NotFoundError         404
│   ├── RateLimitError        420/429: a limit is reached (retryable)
│   └── ServerError           5xx (retryable)
└── MarketTransportError      no answer (retryable)
    ├── MarketTimeoutError
    └── MarketConnectionError
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.errors import MarketFailure
from bot.domain.operations import Failure


@dataclass(frozen=True, slots=True)
class ApiErrorItem:
    code: str
    message: str


class MarketError(MarketFailure):
    """Base of everything the Market client raises."""

    retryable: bool = False
    retry_after: float | None = None

    @property
    def failure(self) -> Failure:
        return Failure(None, "NETWORK", str(self), retryable=True)


class MarketApiError(MarketError):
    """The Market answered with an error status.

    `errors` is the API's own list (`code`, `message`); `message` of the first is what a person reads.
    Build it with `MarketApiError.for_status(...)` to get the subclass of that status.
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
        super().__init__(f"Market API {status}: {self.code}: {self.message}")

    @property
    def code(self) -> str:
        return self.errors[0].code

    @property
    def message(self) -> str:
        return self.errors[0].message

    @property
    def failure(self) -> Failure:
        return Failure(self.status, self.code, self.message, self.retryable, self.retry_after)

    @staticmethod
    def for_status(
        status: int,
        errors: list[ApiErrorItem],
        *,
        request_id: str | None = None,
        retry_after: float | None = None,
    ) -> MarketApiError:
        cls = _BY_STATUS.get(status) or (ServerError if status >= 500 else MarketApiError)
        return cls(status, errors, request_id=request_id, retry_after=retry_after)


class BadRequestError(MarketApiError):
    pass


class UnauthorizedError(MarketApiError):
    pass


class ForbiddenError(MarketApiError):
    pass


class NotFoundError(MarketApiError):
    pass


class RateLimitError(MarketApiError):
    retryable = True


class ServerError(MarketApiError):
    retryable = True


_BY_STATUS: dict[int, type[MarketApiError]] = {
    400: BadRequestError,
    401: UnauthorizedError,
    403: ForbiddenError,
    404: NotFoundError,
    420: RateLimitError,
    429: RateLimitError,
}


class MarketTransportError(MarketError):
    """The request did not get an answer."""

    retryable = True


class MarketTimeoutError(MarketTransportError):
    """No answer within the time allowed for the whole call."""

    @property
    def failure(self) -> Failure:
        return Failure(None, "TIMEOUT", str(self), retryable=True)


class MarketConnectionError(MarketTransportError):
    """Refused or dropped connection, DNS failure."""
