"""One renderer for every "no", and one answer for every press.

A service's refusal (`Refused` and its kinds) reaches the user as its catalogue text: a reply to a
message (with the step's question again when the refusal says so), the alert of a pressed button, or
a message when the press was answered before the handler ran. Every press is answered exactly once
(the harness checks that for every press of every test; these name the paths where it could slip:
an unexpected error, the access check's refusal, a refusal inside a handler).
"""

from __future__ import annotations

import logging

import pytest

from bot.domain.alerts import Switch
from bot.telegram.alert_views import OpenCD
from handlers.alerts import SwitchCD
from tests.fakes.market import FakeMarket
from tests.fakes.telegram import Call
from tests.handlers.conftest import OWNER, STRANGER, Harness, answers_to, texts


def said(harness: Harness, key: str, **args: object) -> str:
    return harness.deps.catalogue.texts("ru")(key, **args)


def answer_of(calls: list[Call]) -> dict[str, object]:
    (answer,) = [c.params for c in calls if c.method == "answerCallbackQuery"]
    return answer


def messages(calls: list[Call]) -> list[str]:
    return [str(c.params["text"]) for c in calls if c.method == "sendMessage"]


@pytest.mark.usefixtures("shop")
async def test_a_services_refusal_to_a_message_is_its_catalogue_text(
    harness: Harness, market: FakeMarket
) -> None:
    not_found = await harness.send(OWNER, "/track 777")  # OrdersService.find: OrderNotFound
    assert messages(not_found) == [said(harness, "order-not-found", id=777)]
    await harness.send(OWNER, "/cancel")
    await harness.send(OWNER, "/track")
    typed = await harness.send(OWNER, "12ab")  # OrdersService.take: InputError, the step asked again
    again = said(harness, "order-id-digits") + "\n" + said(harness, "track-ask-order-again")
    assert messages(typed) == [again]


@pytest.mark.usefixtures("shop")
async def test_a_services_refusal_to_a_press_is_its_alert(harness: Harness) -> None:
    pressed = await harness.press(OWNER, "sh:999")  # ShopsService.switch: NotAMember
    assert answer_of(pressed) == {
        "callback_query_id": answer_of(pressed)["callback_query_id"],
        "text": harness.deps.catalogue.texts("ru").plain("no-right"),
        "show_alert": True,
    }
    assert messages(pressed) == []


async def test_a_refusal_after_the_press_was_answered_comes_as_a_message(
    harness: Harness, market: FakeMarket, shop: int
) -> None:
    # «Открыть заказ» is answered before the Market is asked; the order is not there.
    pressed = await harness.press(OWNER, OpenCD(order_id=777, shop_id=shop).pack())
    assert not answer_of(pressed).get("text")
    assert messages(pressed) == [said(harness, "order-not-found", id=777)]


@pytest.mark.usefixtures("shop")
async def test_a_press_is_answered_once_when_its_handler_says_nothing_and_when_it_fails(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    quiet = await harness.press(OWNER, SwitchCD(switch=Switch.CANCEL).pack())  # the card is edited
    assert [c.method for c in quiet].count("answerCallbackQuery") == 1

    async def broken(*_: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(harness.deps.alert_switches, "toggle", broken)
    query = "cb-broken"
    update = harness.callback_update(OWNER, SwitchCD(switch=Switch.CANCEL).pack())
    update["callback_query"]["id"] = query
    pressed = await harness.feed(update)
    assert answers_to(pressed, query) == 1
    assert messages(pressed) == [said(harness, "internal-error")]


async def test_a_press_the_access_check_refuses_is_answered_once_with_its_alert(harness: Harness) -> None:
    pressed = await harness.press(STRANGER, SwitchCD(switch=Switch.CANCEL).pack())  # no shop at all
    answer = answer_of(pressed)
    assert answer["text"] == harness.deps.catalogue.texts("ru").plain("no-shop")
    assert answer["show_alert"] is True
    assert messages(pressed) == []


@pytest.mark.parametrize(
    "data", ["oo:1:99999999999999999999", "nx:1:99999999999999999999:DELIVERY", "sh:99999999999999999999"]
)
@pytest.mark.usefixtures("shop")
async def test_a_forged_button_with_an_id_no_database_holds_is_stale_not_a_crash(
    harness: Harness, data: str, caplog: pytest.LogCaptureFixture
) -> None:
    pressed = await harness.press(OWNER, data)
    [answer] = [c for c in pressed if c.method == "answerCallbackQuery"]
    assert "устарела" in str(answer.params.get("text")) and answer.params.get("show_alert")
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


@pytest.mark.usefixtures("shop")
async def test_text_at_the_order_card_asks_for_its_buttons(harness: Harness, market: FakeMarket) -> None:
    market.add_order(1001, 42)
    await harness.send(OWNER, "/order 42")
    reply = texts(await harness.send(OWNER, "ну и что дальше"))
    assert "под карточкой заказа" in reply and "Отправить" not in reply
