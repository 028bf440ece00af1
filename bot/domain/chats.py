"""Buyers' chats as the Market gives them (getChats, getChat, getChatHistory, getChatMessage): parsed
straight from its JSON. Only the fields the bot reads; an unknown status, type, sender or context kept as
its text, so one new value never breaks a whole page.

A buyer's messages and files are personal data: shown to the shop's team, never logged or stored (only
the ids are kept)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field, model_validator

from bot.domain.errors import MarketFailure
from bot.domain.market_data import MarketModel
from bot.domain.operations import Failure

MESSAGE_LIMIT = 4096  # characters of one message (sendMessageToChat takes 1-4,096)
FILE_LIMIT = 5 * 1024 * 1024  # bytes of one file, sent or downloaded
FIRST_NAME_LIMIT = 32


class ChatType(StrEnum):
    CHAT = "CHAT"  # with the buyer
    ARBITRAGE = "ARBITRAGE"  # a dispute, the Market arbitrating


class ChatStatus(StrEnum):
    NEW = "NEW"
    WAITING_FOR_CUSTOMER = "WAITING_FOR_CUSTOMER"
    WAITING_FOR_PARTNER = "WAITING_FOR_PARTNER"
    WAITING_FOR_ARBITER = "WAITING_FOR_ARBITER"
    WAITING_FOR_MARKET = "WAITING_FOR_MARKET"
    FINISHED = "FINISHED"


WAITING = (ChatStatus.NEW, ChatStatus.WAITING_FOR_PARTNER)  # the chats waiting for the shop's answer


class Sender(StrEnum):
    PARTNER = "PARTNER"  # the shop
    CUSTOMER = "CUSTOMER"
    MARKET = "MARKET"  # an automatic message
    SUPPORT = "SUPPORT"  # the Market's support


class ContextType(StrEnum):
    ORDER = "ORDER"
    RETURN = "RETURN"  # not for DBS
    DIRECT = "DIRECT"  # a buyer's question about a product; the shop cannot start one


class FileTooLarge(MarketFailure):
    """A file over `limit` bytes: refused before sending, or while downloading (on its declared length,
    else once more than `limit` bytes have arrived). `size` is what was known of it then."""

    def __init__(self, size: int, limit: int = FILE_LIMIT) -> None:
        super().__init__(f"The file is over {limit} bytes ({size} or more)")
        self.size = size
        self.limit = limit

    @property
    def failure(self) -> Failure:
        return Failure(None, "FILE_TOO_LARGE", str(self), retryable=False)


class ChatFile(MarketModel):
    name: str
    url: str
    size: int


class ChatMessage(MarketModel):
    message_id: int
    created_at: dt.datetime
    sender: Annotated[Sender | str, Field(union_mode="left_to_right")]
    message: str | None = None
    payload: list[ChatFile] | None = None

    @property
    def files(self) -> list[ChatFile]:
        return list(self.payload or ())

    @property
    def text(self) -> str:
        return self.message or ""


class ChatCustomer(MarketModel):
    name: str | None = None
    public_id: str | None = None


class ChatContext(MarketModel):
    type: Annotated[ContextType | str, Field(union_mode="left_to_right")]
    customer: ChatCustomer | None = None
    campaign_id: int | None = None
    order_id: int | None = None
    return_id: int | None = None

    @property
    def first_name(self) -> str | None:
        """The first word of the buyer's name (at most 32 characters), None when there is none."""
        name = self.customer.name if self.customer else None
        words = (name or "").split()
        return words[0][:FIRST_NAME_LIMIT] if words else None


class Chat(MarketModel):
    chat_id: int
    context: ChatContext
    type: Annotated[ChatType | str, Field(union_mode="left_to_right")]
    status: Annotated[ChatStatus | str, Field(union_mode="left_to_right")]
    created_at: dt.datetime
    updated_at: dt.datetime


class ChatHistory(MarketModel):
    """One page of a chat's messages, oldest first; `next_page_token` names the next (None: the last)."""

    context: ChatContext
    messages: list[ChatMessage] = Field(default_factory=list)
    next_page_token: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _lift_paging(cls, data: Any) -> Any:
        """The Market names the next page in `paging.nextPageToken`."""
        if isinstance(data, dict) and "nextPageToken" not in data and "next_page_token" not in data:
            paging = data.get("paging")
            token = paging.get("nextPageToken") if isinstance(paging, dict) else None
            return {**data, "nextPageToken": token}
        return data

    @property
    def items(self) -> list[ChatMessage]:
        return self.messages
