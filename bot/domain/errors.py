"""What services refuse with. Handlers turn each into a message from the catalogue."""

from __future__ import annotations

from abc import ABC, abstractmethod

from bot.domain.market_data import BusinessOrder
from bot.domain.operations import Failure


class MarketFailure(Exception, ABC):
    """A call to the Market failed. The Market client raises its own kinds of it (`bot.market.errors`);
    code outside the services catches this one, and tells the user `failure`."""

    @property
    @abstractmethod
    def failure(self) -> Failure:
        """Why, as the user is told (and as an operation records it)."""


class DomainError(Exception):
    """A rule said no; nothing was changed."""


class Refused(DomainError):
    """A rule said no, in the user's words: `key` names the catalogue text, `args` fill it."""

    def __init__(self, key: str, **args: object) -> None:
        super().__init__(key)
        self.key = key
        self.args_ = args


class AnswerTaken(Refused):
    """Someone answered (or is answering) this cancellation request: `who` (None: in the Market's
    cabinet, or the Market itself) and their `answer` (an `Answer` value, or how it was settled)."""

    def __init__(self, who: str | None, answer: str) -> None:
        super().__init__("alert-taken" if who else "alert-taken-elsewhere", name=who, answer=answer)
        self.who = who
        self.answer = answer


class NotAMember(DomainError):
    """The user does not (or no longer) belong to that shop."""


class KeyExpired(DomainError):
    """The API key waiting for a campaign choice is gone (15 minutes passed, or the bot restarted)."""


class KeyNotChecked(DomainError):
    """The Market did not answer, or was too busy to: the key was neither accepted nor refused."""


class KeyRefused(DomainError):
    """The Market refused the key: `failure` says how; `wrong_key` when the key itself is wrong, revoked
    or lacks access (the user is told how to make a new one)."""

    def __init__(self, failure: Failure, *, wrong_key: bool) -> None:
        super().__init__(failure.message)
        self.failure = failure
        self.wrong_key = wrong_key


class KeyCannotProcessOrders(DomainError):
    """The key's scopes allow no order processing: it could not send a track code or move a date."""


class CampaignTaken(DomainError):
    """Another user owns the shop of this campaign here."""

    def __init__(self, title: str) -> None:
        super().__init__(title)
        self.title = title


class NoCampaigns(DomainError):
    """The key works but reaches no campaign."""


class NotACourier(DomainError):
    """Only couriers can be removed from a team (and this one may have left already)."""


class NotAllowedForCouriers(DomainError):
    """The owner does not let couriers do this (moving a date, or with this reason)."""


class OrderNotFound(DomainError):
    def __init__(self, order_id: int) -> None:
        super().__init__(f"order {order_id} not found")
        self.order_id = order_id


class OrderNotAllowed(DomainError):
    """The order's status does not allow what the conversation is for; `order` is shown with the refusal."""

    def __init__(self, order: BusinessOrder) -> None:
        super().__init__(f"order {order.order_id} is {order.status}")
        self.order = order


class NotOneListed(DomainError):
    """The end of an order number typed with a list shown matches no listed order, or several (`matches`)."""

    def __init__(self, tail: str, matches: list[int]) -> None:
        super().__init__(tail)
        self.tail = tail
        self.matches = matches


class OrderUnavailable(DomainError):
    """The Market could not give the order now; `ask_again` says whether typing a number again can help."""

    def __init__(self, failure: Failure, *, ask_again: bool) -> None:
        super().__init__(failure.message)
        self.failure = failure
        self.ask_again = ask_again


class FileRefused(DomainError):
    """A file the bot will not read (a picture, a table): `key` names the catalogue text that says why."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key
