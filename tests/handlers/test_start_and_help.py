"""/start and /help follow the user's role: a newcomer is told how to connect a shop or join by invite,
a courier sees only what a courier can do (the photo way first, no /settings), an owner also /team.
/help fits one phone screen; «Подробнее» gives the rest."""

from __future__ import annotations

import pytest

from storage.db import Database
from storage.secrets import SecretBox
from tests.conftest import add_courier
from tests.handlers.conftest import COURIER, OWNER, STRANGER, Harness, buttons_of, texts

PHONE_SCREEN = 20  # lines


async def test_a_newcomer_is_told_how_to_connect_a_shop_or_join_by_invite(harness: Harness) -> None:
    start = texts(await harness.send(STRANGER, "/start"))
    assert "/settings" in start and "приглашение" in start and "/team" not in start
    help_ = await harness.send(STRANGER, "/help")
    assert "/settings" in texts(help_) and "/track" not in texts(help_)


@pytest.mark.usefixtures("shop")
async def test_a_courier_sees_only_what_a_courier_can_do_the_photo_way_first(
    harness: Harness, db: Database, box: SecretBox, shop: int
) -> None:
    await add_courier(db, box, shop, COURIER)
    start = texts(await harness.send(COURIER, "/start"))
    assert start.index("фото этикетки") < start.index("/date")
    help_ = await harness.send(COURIER, "/help")
    shown = texts(help_)
    assert "/settings" not in shown and "/team" not in shown and "/track" in shown
    assert shown.index("/track") < shown.index("/date")
    assert len(shown.splitlines()) <= PHONE_SCREEN
    more = texts(await harness.press_button(COURIER, help_, "Подробнее"))
    assert "CSV/XLSX" in more and "фото этикетки" in more


@pytest.mark.usefixtures("shop")
async def test_an_owner_sees_the_team_and_the_settings(harness: Harness) -> None:
    start = texts(await harness.send(OWNER, "/start"))
    assert "/team" in start and "/settings" in start
    help_ = await harness.send(OWNER, "/help", language="en")
    assert "/team" in texts(help_) and len(texts(help_).splitlines()) <= PHONE_SCREEN
    assert buttons_of(help_) == ["More"]
