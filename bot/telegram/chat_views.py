"""How buyers' chats look: a buyer's message with its buttons, the chats waiting for an answer, a
chat's last messages, the reply prompt with its quick phrases. Pure functions of what they show."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence

from aiogram.types import InlineKeyboardMarkup

from bot.domain.chats import Chat, ChatMessage, ChatType, Sender
from bot.domain.clock import MSK
from bot.domain.market_data import BusinessOrder
from bot.services.chats.desk import ChatLog
from bot.services.notices import ChatNote
from bot.telegram.alert_views import OpenCD
from bot.telegram.callbacks import ChatCD
from bot.telegram.flows import Flows
from bot.telegram.i18n import Texts
from bot.telegram.keyboards import buttons
from bot.telegram.views import MESSAGE_LIMIT, clip, human_date, status_text

PHRASES = 3  # chat-phrase-0 .. chat-phrase-2
WAITING_SHOWN = 10  # chats listed (and buttons) in /chats
FILES_LISTED = 10  # a message's files named in its header (the rest counted)
LOG_MESSAGE_CHARS = 600  # one message of a chat's log is cut to this


PICTURES = (".jpg", ".jpeg", ".png", ".webp")  # sent as photos; any other file as a document


def is_picture(name: str) -> bool:
    return name.lower().endswith(PICTURES)


def sender_name(t: Texts, chat: Chat, sender: Sender | str) -> str:
    """Who wrote: the buyer (by first name), Market support, the Market's robot, the shop (a sender the
    Market adds later reads as the Market)."""
    if sender is Sender.CUSTOMER:
        name = chat.context.first_name
        return t.plain("chat-from-buyer", name=name) if name else t.plain("chat-from-buyer-unnamed")
    known = sender if isinstance(sender, Sender) else Sender.MARKET
    return t.plain(f"chat-from-{known.value.lower()}")


def chat_texts(t: Texts, note: ChatNote) -> list[str]:
    """A buyer's message: the header (who, the order, a dispute mark, its files' names) with as much of
    the text as fits; the rest of a long text in further messages, none over Telegram's limit."""
    chat, order = note.chat, note.order
    lines: list[str] = [t("chat-head", who=sender_name(t, chat, note.message.sender))]
    if chat.context.order_id is not None:
        lines.append(_order_line(t, chat.context.order_id, order))
    else:
        lines.append(t("chat-about-product"))
    if chat.type is ChatType.ARBITRAGE:
        lines.append(t("chat-dispute"))
    for file in note.files[:FILES_LISTED]:
        lines.append(
            t("chat-file" if file.data is not None else "chat-file-not-read", name=clip(file.name, 100))
        )
    if len(note.files) > FILES_LISTED:
        lines.append(t("chat-files-more", count=len(note.files) - FILES_LISTED))
    head = "\n".join(lines)
    text = note.message.text
    if not text:
        return [head]
    # Escaped here, not through the catalogue: Fluent cuts a value over 2,500 characters. Telegram
    # counts the text as shown (an escaped "<" is one character; in UTF-16 units, to be safe), so the
    # cuts are made on the raw text.
    first, rest = utf16_cut(text, MESSAGE_LIMIT - utf16_len(head) - 2)
    parts = [head + "\n\n" + html.escape(first, quote=False)] if first else [head]
    while rest:
        part, rest = utf16_cut(rest, MESSAGE_LIMIT)
        parts.append(html.escape(part, quote=False))
    return parts


def utf16_len(text: str) -> int:
    """Telegram's length of a text: UTF-16 code units (a character beyond the BMP counts two)."""
    return len(text.encode("utf-16-le")) // 2


def utf16_cut(text: str, limit: int) -> tuple[str, str]:
    """The longest start of `text` within `limit` UTF-16 units (no character cut in two), and the rest."""
    used = 0
    for n, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > limit:
            return text[:n], text[n:]
    return text, ""


def _order_line(t: Texts, order_id: int, order: BusinessOrder | None) -> str:
    if order is None:
        return t("chat-order", id=order_id)
    day = order.delivery.dates.from_date if order.delivery and order.delivery.dates else None
    status = status_text(t, order.status)
    if day is None:
        return t("chat-order-status", id=order_id, status=status)
    return t("chat-order-status-day", id=order_id, status=status, day=human_date(t, day))


def chat_keyboard(
    t: Texts,
    shop_id: int,
    chat_id: int,
    order_id: int | None,
    *,
    may_reply: bool,
    answered_by: str | None = None,
) -> InlineKeyboardMarkup | None:
    """«↩️ Ответить» (or who answered already, still a way to answer) and «📋 Карточка заказа»."""
    shown: list[tuple[str, ChatCD | OpenCD]] = []
    if may_reply:
        label = (
            t.plain("button-chat-answered", name=clip(answered_by, 40))
            if answered_by
            else t.plain("button-chat-reply")
        )
        shown.append((label, ChatCD(action="reply", shop_id=shop_id, chat_id=chat_id)))
    if order_id is not None:
        shown.append((t.plain("button-chat-card"), OpenCD(order_id=order_id, shop_id=shop_id)))
    return buttons(shown) if shown else None


def resumed_text(t: Texts, flows: Flows, back: str | None) -> str | None:
    """Back at the step an answer to a buyer opened over: its question again (or where to look for
    it); None when there is no step to go back to."""
    if back is None:
        return None
    prompt = flows.prompt(back)
    return t("chat-resumed") + "\n" + (t(prompt) if prompt is not None else t("chat-resumed-above"))


def reply_prompt(t: Texts, order_id: int | None) -> str:
    if order_id:
        return t("chat-reply-prompt", id=order_id)
    return t("chat-reply-prompt-direct")


def phrases_keyboard(t: Texts, shop_id: int, chat_id: int, *, phrases: bool) -> InlineKeyboardMarkup:
    """One tap each: the quick phrases (in a chat about an order), and «Отмена»."""
    shown: list[tuple[str, ChatCD]] = []
    if phrases:
        shown += [
            (t.plain(f"chat-phrase-{n}"), ChatCD(action="phrase", shop_id=shop_id, chat_id=chat_id, n=n))
            for n in range(PHRASES)
        ]
    shown.append((t.plain("button-chat-stop"), ChatCD(action="stop", shop_id=shop_id, chat_id=chat_id)))
    return buttons(shown, per_row=1)


def waited(t: Texts, since: dt.datetime, now: dt.datetime) -> str:
    minutes = max(0, int((now - since).total_seconds() // 60))
    if minutes < 1:
        return t.plain("chat-waited-now")
    if minutes < 60:
        return t.plain("chat-waited-minutes", minutes=minutes)
    if minutes < 48 * 60:
        return t.plain("chat-waited-hours", hours=minutes // 60, minutes=minutes % 60)
    return t.plain("chat-waited-days", days=minutes // (24 * 60))


def waiting_view(
    t: Texts, shop_id: int, shop_title: str, chats: Sequence[Chat], now: dt.datetime
) -> tuple[str, InlineKeyboardMarkup | None]:
    """/chats: the chats waiting for the shop's answer, the longest waiting first, each a button."""
    if not chats:
        return t("chats-none", shop=shop_title), None
    lines: list[str] = [t("chats-head", shop=shop_title, count=len(chats))]
    shown: list[tuple[str, ChatCD]] = []
    for n, chat in enumerate(chats[:WAITING_SHOWN], start=1):
        what = (
            t.plain("chats-order", id=chat.context.order_id)
            if chat.context.order_id is not None
            else t.plain("chats-product")
        )
        name = chat.context.first_name or t.plain("chat-from-buyer-unnamed")
        dispute = " ⚖️" if chat.type is ChatType.ARBITRAGE else ""
        lines.append(
            t("chats-line", n=n, what=what, name=clip(name, 32), waited=waited(t, chat.updated_at, now))
            + dispute
        )
        shown.append((f"{n}. {what}", ChatCD(action="open", shop_id=shop_id, chat_id=chat.chat_id)))
    if len(chats) > WAITING_SHOWN:
        lines.append(t("chats-more", count=len(chats) - WAITING_SHOWN))
    return "\n".join(lines), buttons(shown, per_row=2)


def log_text(t: Texts, log: ChatLog) -> str:
    """A chat's last messages, oldest first, each with who wrote and when (cut to fit one message)."""
    chat = log.chat
    head = t("chat-log-head", what=_what(t, chat))
    lines: list[str] = []
    for message in log.messages:
        lines.append(_log_line(t, chat, message))
    if not lines:
        return head + "\n" + t("chat-log-empty")
    text = head
    kept: list[str] = []
    budget = MESSAGE_LIMIT - len(head) - 50
    for line in reversed(lines):  # the newest are kept when all do not fit
        if budget - len(line) - 2 < 0:
            break
        kept.append(line)
        budget -= len(line) + 2
    return text + "\n\n" + "\n\n".join(reversed(kept))


def _what(t: Texts, chat: Chat) -> str:
    if chat.context.order_id is not None:
        return t.plain("chats-order", id=chat.context.order_id)
    return t.plain("chats-product")


def _log_line(t: Texts, chat: Chat, message: ChatMessage) -> str:
    when = message.created_at.astimezone(MSK).strftime("%d.%m %H:%M")
    who = sender_name(t, chat, message.sender)  # the shop's own: «Магазин» (the Market names nobody)
    files = len(message.files)
    head = t("chat-log-line", when=when, who=who, files=files)
    # The buyer's words are escaped here, not through the catalogue (Fluent cuts a long value).
    text = clip(message.text, LOG_MESSAGE_CHARS)
    return head + ("\n" + html.escape(text, quote=False) if text else "")
