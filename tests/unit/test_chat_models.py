"""The chat records parse the Market's JSON, and a value the bot does not know breaks no page."""

from __future__ import annotations

import pytest

from bot.domain.chats import WAITING, Chat, ChatContext, ChatHistory, ChatMessage, ChatStatus, Sender
from bot.market.models import ChatsPage

CHAT = {
    "chatId": 5,
    "context": {"type": "ORDER", "campaignId": 1001, "orderId": 42, "customer": {"name": "Анна Петрова"}},
    "type": "CHAT",
    "status": "WAITING_FOR_PARTNER",
    "createdAt": "2026-11-20T10:00:00.000+03:00",
    "updatedAt": "2026-11-20T10:05:00Z",
    "someNewField": True,
}


def test_a_chat_parses_from_the_markets_json() -> None:
    chat = Chat.model_validate(CHAT)
    assert (chat.chat_id, chat.status, chat.context.order_id, chat.context.first_name) == (
        5,
        ChatStatus.WAITING_FOR_PARTNER,
        42,
        "Анна",
    )
    assert chat.status in WAITING and chat.updated_at > chat.created_at


def test_unknown_values_break_no_page() -> None:
    odd = {**CHAT, "status": "ON_HOLD", "type": "COMPLAINT", "context": {"type": "PRODUCT_QUESTION"}}
    page = ChatsPage.model_validate({"chats": [odd, CHAT], "paging": {"nextPageToken": "abc"}})
    assert [c.status for c in page.items] == ["ON_HOLD", ChatStatus.WAITING_FOR_PARTNER]
    assert page.chats[0].status not in WAITING and page.next_page_token == "abc"
    message = ChatMessage.model_validate(
        {"messageId": 1, "createdAt": "2026-11-20T10:00:00Z", "sender": "BOT"}
    )
    assert (message.sender, message.text, message.files) == ("BOT", "", [])


@pytest.mark.parametrize(
    ("name", "first"),
    [
        ("Анна Петрова", "Анна"),
        ("  Иван  ", "Иван"),
        ("", None),
        (None, None),
        ("Ы" * 40 + " Фамилия", "Ы" * 32),
    ],
)
def test_first_name_is_the_first_word_at_most_32_characters(name: str | None, first: str | None) -> None:
    customer = {"name": name} if name is not None else {}
    assert ChatContext.model_validate({"type": "ORDER", "customer": customer}).first_name == first


def test_history_takes_its_next_page_from_paging() -> None:
    body = {
        "context": {"type": "DIRECT"},
        "messages": [
            {
                "messageId": 7,
                "createdAt": "2026-11-20T10:00:00Z",
                "sender": "CUSTOMER",
                "payload": [{"name": "a.jpg", "url": "https://example.test/a.jpg", "size": 10}],
            }
        ],
        "paging": {"nextPageToken": "next"},
    }
    history = ChatHistory.model_validate(body)
    assert history.next_page_token == "next" and history.items[0].sender == Sender.CUSTOMER
    assert [(f.name, f.size) for f in history.items[0].files] == [("a.jpg", 10)]
    assert ChatHistory.model_validate({"context": {"type": "ORDER"}, "messages": []}).next_page_token is None
