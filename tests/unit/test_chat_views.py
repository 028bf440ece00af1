"""How a buyer's message looks in Telegram: the whole text, in parts each within Telegram's 4,096
characters (as Telegram counts them: after the markup), shown as written (no markup of the buyer's)."""

from __future__ import annotations

import datetime as dt
import html
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.chats import Chat, ChatMessage
from bot.domain.records import Shop
from bot.services.notices import ChatFileData, ChatNote
from bot.telegram.chat_views import chat_texts, utf16_len, waited
from bot.telegram.i18n import Catalogue

TAG = re.compile(r"<[^>]+>")
NOW = dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.UTC)
SHOP = Shop(
    id=1,
    campaign_id=1001,
    domain="shop.example",
    business_id=777,
    business_name=None,
    placement_type="DBS",
    owner_id=1,
)


def shown(part: str) -> str:
    """What Telegram shows of an HTML text."""
    return html.unescape(TAG.sub("", part))


def note(text: str, *, files: tuple[ChatFileData, ...] = ()) -> ChatNote:
    chat = Chat.model_validate(
        {
            "chatId": 5,
            "context": {"type": "ORDER", "orderId": 42, "campaignId": 1001, "customer": {"name": "Анна П"}},
            "type": "CHAT",
            "status": "WAITING_FOR_PARTNER",
            "createdAt": NOW.isoformat(),
            "updatedAt": NOW.isoformat(),
        }
    )
    message = ChatMessage.model_validate(
        {"messageId": 7, "createdAt": NOW.isoformat(), "sender": "CUSTOMER", "message": text}
    )
    return ChatNote(shop=SHOP, chat=chat, message=message, order=None, files=files)


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet="я<&>b a\n😀", min_size=1, max_size=9000))
def test_a_long_text_comes_whole_in_parts_within_telegrams_limit(text: str) -> None:
    t = Catalogue.default().texts("ru")
    parts = chat_texts(t, note(text))
    assert all(utf16_len(shown(p)) <= 4096 for p in parts), "counted as Telegram does, in UTF-16"
    body = shown(parts[0]).split("\n\n", 1)[1] + "".join(shown(p) for p in parts[1:])
    assert body == text


def test_the_buyers_markup_is_shown_as_written_and_files_are_named() -> None:
    t = Catalogue.default().texts("ru")
    files = (ChatFileData("door.jpg", b"x"), ChatFileData("big.pdf", None))
    (text,) = chat_texts(t, note("<b>жирный</b> & <a href='x'>ссылка</a>", files=files))
    assert "&lt;b&gt;жирный&lt;/b&gt; &amp; &lt;a href='x'&gt;" in text
    assert "Покупатель Анна" in text and "Заказ №42" in text
    assert "📎 door.jpg" in text and "big.pdf — не загрузился" in text


def test_many_files_are_named_up_to_ten_and_the_header_fits_with_a_long_text() -> None:
    t = Catalogue.default().texts("ru")
    files = tuple(ChatFileData("ф" * 100 + f"{n}.pdf", None) for n in range(45))
    parts = chat_texts(t, note("Ω" * 4096, files=files))
    assert all(utf16_len(shown(p)) <= 4096 for p in parts)
    assert shown(parts[0]).count("📎") == 11 and "и ещё 35 файлов" in parts[0]
    assert "".join(shown(p) for p in parts).count("Ω") == 4096, "the whole text"


def test_how_long_a_chat_has_waited_reads_naturally() -> None:
    t = Catalogue.default().texts("ru")
    assert waited(t, NOW - dt.timedelta(minutes=5), NOW) == "5 мин"
    assert waited(t, NOW - dt.timedelta(hours=2, minutes=15), NOW) == "2 ч 15 мин"
    assert waited(t, NOW - dt.timedelta(days=3), NOW) == "3 дня"
