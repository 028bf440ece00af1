"""Only the newest keyboard of a conversation is live: a step answered (by a button or by typing)
loses its buttons when the next step shows its own, and a second confirmation card takes them off
the first; the buttons that stay useful after a conversation (a result's «Дальше») are left alone."""

from __future__ import annotations

import pytest

from tests.fakes.market import FakeMarket
from tests.handlers.conftest import OWNER, Harness, buttons_of

pytestmark = pytest.mark.usefixtures("shop")


def taken_off(harness: Harness) -> list[int]:
    """The messages whose buttons the bot took away."""
    return [
        int(p["message_id"])
        for p in harness.telegram.sent("editMessageReplyMarkup", chat_id=OWNER)
        if not p.get("reply_markup")
    ]


def message_ids(harness: Harness, text_part: str) -> list[int]:
    return [
        int(c.result["message_id"])
        for c in harness.telegram.calls
        if c.method == "sendMessage" and text_part in str(c.params.get("text")) and c.result
    ]


async def test_a_steps_buttons_go_when_the_next_step_shows_its_own(
    harness: Harness, market: FakeMarket
) -> None:
    market.add_order(1001, 4820001)
    market.add_order(1001, 4820002)
    listed = await harness.send(OWNER, "/track")
    [list_id] = message_ids(harness, "Пришлите номер заказа")
    services = await harness.send(OWNER, "4820001")  # typed, not pressed: the list's buttons go anyway
    assert taken_off(harness) == [list_id] and buttons_of(listed)
    await harness.press_button(OWNER, services, "СДЭК")
    first_card = await harness.send(OWNER, "CDEK-1")
    [first_id] = message_ids(harness, "Проверьте перед отправкой")

    await harness.send(OWNER, "/track 4820002")
    await harness.send(OWNER, "СДЭК")
    await harness.send(OWNER, "CDEK-2")
    assert first_id in taken_off(harness), "the first confirmation card no longer looks live"
    assert buttons_of(first_card)


async def test_a_results_next_step_button_stays(harness: Harness, market: FakeMarket) -> None:
    market.add_order(1001, 4820001)
    await harness.send(OWNER, "/track 4820001")
    await harness.send(OWNER, "СДЭК")
    confirm = await harness.send(OWNER, "CDEK-1")
    result = await harness.press_button(OWNER, confirm, "Отправить")
    assert any("Дальше" in b for b in buttons_of(result))
    before = taken_off(harness)
    await harness.send(OWNER, "/date 4820001")  # a new conversation's step
    [card_id] = message_ids(harness, "Проверьте перед отправкой")
    assert card_id not in taken_off(harness)[len(before) :], "the result's «Дальше» is left alone"


async def test_an_alerts_question_leaves_the_open_conversations_buttons(
    harness: Harness, market: FakeMarket
) -> None:
    market.add_order(1001, 42, "PROCESSING")
    market.add_order(1001, 43, "DELIVERY")
    await harness.send(OWNER, "/track 42")
    await harness.send(OWNER, "СДЭК")
    await harness.send(OWNER, "CDEK-1")
    [card_id] = message_ids(harness, "Проверьте перед отправкой")
    market.request_cancel(1001, 43)
    await harness.deps.alert_poller.turn(poll_every=True)
    alert = [
        c for c in harness.telegram.calls if c.method == "sendMessage" and "№43" in str(c.params["text"])
    ]
    await harness.press_button(OWNER, alert, "Отменить заказ")
    assert card_id not in taken_off(harness), "the confirmation card keeps «Отправить»"
