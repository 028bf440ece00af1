"""What services refuse with: `Refused` and its kinds, each with its catalogue text. One error handler
(handlers/errors.py) tells the user."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Self

from bot.domain.market_data import BusinessOrder
from bot.domain.operations import Failure


class MarketFailure(Exception, ABC):
    """A call to the Market failed. The Market client raises its own kinds of it (`bot.market.errors`);
    code outside the services catches this one, and tells the user `failure`."""

    @property
    @abstractmethod
    def failure(self) -> Failure:
        """Why, as the user is told (and as an operation records it)."""


class Refused(Exception):
    """A rule said no, in the user's words: `key` names the catalogue text, `args_` fill it.

    The one kind of "no": services (and the parsing of what a person typed) raise it, or one of its
    kinds below, and one error handler tells the user (handlers/errors.py): a reply to a message, the
    alert of a pressed button. How it is told is data too: `failure` (the Market's answer) follows the
    text, then the catalogue text `hint`; `again` asks the conversation's step again; `ends` ends the
    conversation. Nothing was changed."""

    again: bool = False
    ends: bool = False
    failure: Failure | None = None
    hint: str | None = None

    def __init__(self, key: str, **args: object) -> None:
        super().__init__(key)
        self.key = key  # "" when `failure` says it all
        self.args_ = args

    def asking_again(self) -> Self:
        """This refusal asks the conversation's step again (the user answers it once more)."""
        self.again = True
        return self


class AnswerTaken(Refused):
    """Someone answered (or is answering) this cancellation request: `who` (None: in the Market's
    cabinet, or the Market itself) and their `answer` (an `Answer` value, or how it was settled)."""

    def __init__(self, who: str | None, answer: str) -> None:
        super().__init__("alert-taken" if who else "alert-taken-elsewhere", name=who, answer=answer)
        self.who = who
        self.answer = answer


class NotAMember(Refused):
    """The user does not (or no longer) belong to that shop."""

    def __init__(self) -> None:
        super().__init__("no-right")


class KeyExpired(Refused):
    """The API key waiting for a campaign choice is gone (15 minutes passed, or the bot restarted)."""

    def __init__(self) -> None:
        super().__init__("settings-key-expired")


class KeyNotChecked(Refused):
    """The Market did not answer, or was too busy to: the key was neither accepted nor refused."""

    def __init__(self) -> None:
        super().__init__("settings-market-unreachable")


class KeyRefused(Refused):
    """The Market refused the key: one line says why (a key it does not know, one without access, or
    its own words), then where to get a key; `wrong_key` when the key itself is wrong, revoked or
    lacks access."""

    def __init__(self, failure: Failure, *, wrong_key: bool) -> None:
        reason = {401: "settings-key-refused-unknown", 403: "settings-key-refused-access"}
        super().__init__(
            reason.get(failure.status or 0, "settings-key-refused"), message=failure.message[:300]
        )
        self.market_failure = failure
        self.wrong_key = wrong_key
        self.hint = "settings-key-hint"


class KeyCannotProcessOrders(Refused):
    """The key's scopes allow no order processing: it could not send a track code or move a date."""

    again = True

    def __init__(self) -> None:
        super().__init__("settings-scope-missing")


class CampaignTaken(Refused):
    """Another user owns the shop of this campaign here."""

    def __init__(self, title: str) -> None:
        super().__init__("settings-campaign-taken", shop=title)
        self.title = title


class NoCampaigns(Refused):
    """The key works but reaches no campaign."""

    def __init__(self) -> None:
        super().__init__("settings-no-campaigns")


class NotACourier(Refused):
    """Only couriers can be removed from a team (and this one may have left already)."""

    def __init__(self) -> None:
        super().__init__("team-remove-gone")


class NotAllowedForCouriers(Refused):
    """The owner does not let couriers do this: `key` says what (moving a date for this reason,
    cancelling an order)."""


class OrderNotFound(Refused):
    def __init__(self, order_id: int) -> None:
        super().__init__("order-not-found", id=order_id)
        self.order_id = order_id


class OrderInOtherShop(OrderNotFound):
    """Not in this shop (titled `here`), but in another of the user's shops (`shop_id`, titled
    `shop`): the step that asked offers to switch to it and go on with the order."""

    def __init__(self, order_id: int, shop_id: int, shop: str, here: str) -> None:
        super().__init__(order_id)
        self.key = "order-in-other-shop"
        self.args_ = {"id": order_id, "shop": shop, "here": here}
        self.shop_id = shop_id
        self.shop = shop


class SameDate(Refused):
    """The day chosen is the order's delivery date already: the Market would refuse it
    (SAME_DELIVERY_DATES), so it is not asked; the date step asks again."""

    again = True

    def __init__(self, day: str) -> None:
        super().__init__("date-same", date=day)


class OrderNotAllowed(Refused):
    """The order's status does not allow what the conversation is for; the conversation that asked
    shows the order's card with its own refusal (`bot.telegram.order_steps.take_order`)."""

    def __init__(self, order: BusinessOrder) -> None:
        super().__init__("order-no-actions", status=order.status)
        self.order = order


class NotOneListed(Refused):
    """The end of an order number typed with a list shown matches no listed order, or several (`matches`):
    the conversation shows those (or all) again as buttons."""

    def __init__(self, tail: str, matches: list[int]) -> None:
        super().__init__("orders-tail-several" if matches else "orders-tail-none", tail=tail)
        self.tail = tail
        self.matches = matches


class OrderUnavailable(Refused):
    """The Market could not give the order now (`failure` says why); `ask_again` says whether typing a
    number again can help (if not, the conversation ends)."""

    failure: Failure

    def __init__(self, failure: Failure, *, ask_again: bool) -> None:
        super().__init__("")
        self.failure = failure
        self.ask_again = ask_again
        self.ends = not ask_again


class FileRefused(Refused):
    """A file the bot will not read (a picture, a table): `key` names the catalogue text that says why;
    the step asks again (a picture is an answer to it)."""

    again = True

    def __init__(self, key: str) -> None:
        super().__init__(key)


class NoChatScope(Refused):
    """The shop's key has no access to buyers' chats: the owner adds the `communication` scope to it in
    the Market's cabinet (everything else keeps working)."""

    def __init__(self) -> None:
        super().__init__("chat-no-scope")


class ChatNotSent(Refused):
    """The Market refused a file for a buyer's chat (`key` "chat-file-not-sent"), or to open the chat
    ("chat-not-opened"): its answer follows; a reply step stays open for another try."""

    again = True

    def __init__(self, failure: Failure, key: str = "chat-file-not-sent") -> None:
        super().__init__(key)
        self.failure = failure
