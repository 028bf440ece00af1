"""/team and invites: couriers work for a shop without its key; the owner sees and controls who."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import urllib.parse

import pytest

from bot.domain.operations import TrackCode
from handlers.team import TeamCD
from storage.db import Database
from storage.repositories import OperationsRepo, ShopsRepo, UsersRepo
from storage.secrets import SecretBox
from tests.conftest import OWNER_KEY, add_courier
from tests.fakes.market import FakeMarket
from tests.fakes.telegram import BOT_USERNAME, Call, FakeTelegram
from tests.handlers.conftest import COURIER, OWNER, STRANGER, Harness, buttons_of, texts

pytestmark = pytest.mark.usefixtures("shop")
LINK = re.compile(rf"https://t\.me/{BOT_USERNAME}\?start=([A-Za-z0-9_-]+)")


async def invite_link(harness: Harness) -> str:
    team = await harness.send(OWNER, "/team")
    created = await harness.press_button(OWNER, team, "Пригласить")
    match = LINK.search(texts(created))
    assert match, texts(created)
    return match.group(1)


async def test_the_invite_has_a_button_that_forwards_it_to_a_courier(harness: Harness) -> None:
    team = await harness.send(OWNER, "/team")
    created = await harness.press_button(OWNER, team, "Пригласить")
    [shown] = [c for c in created if c.method == "sendMessage"]
    [[button]] = shown.params["reply_markup"]["inline_keyboard"]
    assert button["text"] == "📤 Переслать курьеру"
    shared = urllib.parse.urlsplit(button["url"])
    assert (shared.netloc, shared.path) == ("t.me", "/share/url")
    query = urllib.parse.parse_qs(shared.query)
    assert LINK.fullmatch(query["url"][0]) and LINK.search(texts(created))[0] == query["url"][0]  # type: ignore[index]
    assert "dbs-shop.example" in query["text"][0]


async def join(harness: Harness, user: int = COURIER) -> list[Call]:
    return await harness.send(user, f"/start {await invite_link(harness)}")


async def test_invite_link_is_random_single_use_and_stored_hashed(harness: Harness, db: Database) -> None:
    team = await harness.send(OWNER, "/team")
    assert "Команда магазина dbs-shop.example" in texts(team)
    assert any("Пригласить" in b for b in buttons_of(team))
    payloads = [await invite_link(harness) for _ in range(3)]
    assert len(set(payloads)) == 3 and all(len(p) >= 16 for p in payloads)  # >= 96 bits of base64url
    rows = await db.fetch_all("SELECT token_hash FROM invites")
    stored = " ".join(r["token_hash"] for r in rows)
    assert all(p not in stored for p in payloads)


async def test_courier_joins_owner_is_told_and_track_uses_the_owners_key(
    harness: Harness, market: FakeMarket
) -> None:
    joined = await join(harness)
    assert "✅" in texts(joined) and "dbs-shop.example" in texts(joined)
    owner_notes = [p["text"] for p in harness.telegram.sent("sendMessage", chat_id=OWNER)]
    assert any("новый курьер" in n for n in owner_notes)

    market.add_order(1001, 42)
    await harness.send(COURIER, "/track 42")
    await harness.send(COURIER, "СДЭК")
    confirm = await harness.send(COURIER, "COURIER-1")
    assert "✅" in texts(await harness.press_button(COURIER, confirm, "Отправить"))
    [write] = market.calls("setOrderDeliveryTrackCode")
    assert write.api_key == OWNER_KEY


async def test_used_unknown_and_expired_invites_join_nothing(harness: Harness, db: Database) -> None:
    payload = await invite_link(harness)
    assert "✅" in texts(await harness.send(COURIER, f"/start {payload}"))
    reused = texts(await harness.send(STRANGER, f"/start {payload}"))
    assert reused.startswith("⛔") and "уже использовано" in reused
    unknown = texts(await harness.send(STRANGER, "/start AAAAAAAAAAAAAAAAAAAAAA"))
    assert unknown.startswith("⛔") and "нет" in unknown
    expired_payload = await invite_link(harness)
    await db.execute("UPDATE invites SET expires_at = '2000-01-01T00:00:00.000Z' WHERE used_by IS NULL")
    expired = texts(await harness.send(STRANGER, f"/start {expired_payload}"))
    assert expired.startswith("⛔") and "истёк" in expired
    assert texts(await harness.send(STRANGER, "/track 1")).startswith("⛔")
    members = await db.fetch_all("SELECT user_id FROM memberships ORDER BY user_id")
    assert [r["user_id"] for r in members] == [OWNER, COURIER]


async def test_couriers_cannot_touch_settings_or_team(harness: Harness, market: FakeMarket) -> None:
    await join(harness)
    assert texts(await harness.send(COURIER, "/settings")).startswith("⛔")
    assert texts(await harness.send(COURIER, "/team")).startswith("⛔")
    forged = await harness.press(COURIER, "tm:invite:1:0")
    assert "⛔" in texts(forged)
    forged = await harness.press(STRANGER, "tm:disconnect_yes:1:0")
    assert "⛔" in texts(forged)
    assert market.received == []


async def test_history_owner_sees_everyone_with_names_courier_only_own(
    harness: Harness, market: FakeMarket
) -> None:
    await join(harness)
    market.add_order(1001, 42)
    market.add_order(1001, 43)
    for user, order, code in ((COURIER, 42, "BY-COURIER"), (OWNER, 43, "BY-OWNER")):
        await harness.send(user, f"/track {order}")
        await harness.send(user, "СДЭК")
        await harness.press_button(user, await harness.send(user, code), "Отправить")
    owners = texts(await harness.send(OWNER, "/history"))
    assert "BY-COURIER" in owners and "BY-OWNER" in owners and "Tester" in owners
    couriers = texts(await harness.send(COURIER, "/history"))
    assert "BY-COURIER" in couriers and "BY-OWNER" not in couriers


async def test_removed_courier_is_refused_everywhere(harness: Harness, market: FakeMarket) -> None:
    await join(harness)
    market.add_order(1001, 42)
    await harness.send(COURIER, "/track 42")
    await harness.send(COURIER, "СДЭК")
    stale_confirm = await harness.send(COURIER, "LATE-1")

    team = await harness.send(OWNER, "/team")
    ask = await harness.press_button(OWNER, team, "Удалить")
    assert "Удалить" in texts(ask)
    done = await harness.press_button(OWNER, ask, "Да")
    assert "больше не в команде" in texts(done)
    told = [p["text"] for p in harness.telegram.sent("sendMessage", chat_id=COURIER)]
    assert any(t.startswith("⛔") and "удалил" in t for t in told)

    refused = texts(await harness.press_button(COURIER, stale_confirm, "Отправить"))
    assert refused.startswith("⛔")
    assert texts(await harness.send(COURIER, "/track 42")).startswith("⛔")
    assert market.calls("setOrderDeliveryTrackCode") == []


async def test_owner_replaces_the_key_and_couriers_keep_working(harness: Harness, market: FakeMarket) -> None:
    await join(harness)
    market.add_key("ACMA:rotated-key-000000000000", {1001})
    team = await harness.send(OWNER, "/team")
    asked = await harness.press_button(OWNER, team, "Заменить")
    assert "API-ключ" in texts(asked)
    chosen = await harness.send(OWNER, "ACMA:rotated-key-000000000000")
    await harness.press_button(OWNER, chosen, "dbs-shop.example")
    market.add_order(1001, 42)
    await harness.send(COURIER, "/track 42")
    await harness.send(COURIER, "СДЭК")
    await harness.press_button(COURIER, await harness.send(COURIER, "NEW-KEY-1"), "Отправить")
    [write] = market.calls("setOrderDeliveryTrackCode")
    assert write.api_key == "ACMA:rotated-key-000000000000"


async def test_disconnect_tells_everyone_and_forgets_the_shop(
    harness: Harness, market: FakeMarket, db: Database
) -> None:
    await join(harness)
    market.add_order(1001, 42)
    await harness.send(COURIER, "/track 42")
    await harness.send(COURIER, "СДЭК")
    confirm = await harness.send(COURIER, "PENDING-1")
    market.fail("setOrderDeliveryTrackCode", times=50, status=503)
    market.fail("getBusinessOrders", times=500, status=503)
    assert "⏳" in texts(await harness.press_button(COURIER, confirm, "Отправить"))

    team = await harness.send(OWNER, "/team")
    ask = await harness.press_button(OWNER, team, "Отключить")
    assert "Неотправленных операций: 1" in texts(ask)
    done = await harness.press_button(OWNER, ask, "Да")
    assert "отключён" in texts(done)
    told = await harness.wait_sent("⛔ Владелец отключил")
    assert "Заказов: 1 — №42." in told
    assert await db.fetch_one("SELECT id FROM shops") is None
    assert await db.fetch_one("SELECT id FROM operations") is None
    assert texts(await harness.send(COURIER, "/track 42")).startswith("⛔")


async def test_owner_notices_of_courier_operations(harness: Harness, market: FakeMarket) -> None:
    await join(harness)
    team = await harness.send(OWNER, "/team")
    toggled = await harness.press_button(OWNER, team, "Включить уведомления")
    assert "включены" in texts(toggled)
    market.add_order(1001, 42)
    await harness.send(COURIER, "/track 42")
    await harness.send(COURIER, "СДЭК")
    await harness.press_button(COURIER, await harness.send(COURIER, "NOTE-1"), "Отправить")
    notes = [p["text"] for p in harness.telegram.sent("sendMessage", chat_id=OWNER)]
    assert any(n.startswith("🔔") and "NOTE-1" in n and "№42" in n for n in notes)


async def test_english_team_buttons(harness: Harness) -> None:
    team = await harness.send(OWNER, "/team", language="en")
    assert any("Invite" in b for b in buttons_of(team))
    await join(harness)
    team = await harness.send(OWNER, "/team", language="en")
    ask = await harness.press_button(OWNER, team, "Remove", language="en")
    assert any("Yes" in b for b in buttons_of(ask))


async def test_a_forged_remove_button_reveals_nobody(harness: Harness, db: Database) -> None:
    await harness.send(STRANGER, "/start")  # a bot user with a name, in no team of this owner
    await UsersRepo(db).upsert(STRANGER, "ru", "Secret Person (@secret)")
    for action in ("remove", "remove_yes"):
        reply = texts(await harness.press(OWNER, f"tm:{action}:1:{STRANGER}"))
        assert "⛔" in reply or "нет в команде" in reply
        assert "Secret" not in reply
    owner_shop = await harness.press(OWNER, f"tm:remove:1:{OWNER}")
    assert "Tester" not in texts(owner_shop), "nor the owner as a removable courier"


async def test_removing_a_courier_cancels_what_they_left_queued(
    harness: Harness, market: FakeMarket, db: Database
) -> None:
    await join(harness)
    market.add_order(1001, 42)
    await harness.send(COURIER, "/track 42")
    await harness.send(COURIER, "СДЭК")
    confirm = await harness.send(COURIER, "QUEUED-1")
    market.fail("setOrderDeliveryTrackCode", status=503, retry_after="600")
    assert "⏳" in texts(await harness.press_button(COURIER, confirm, "Отправить"))

    team = await harness.send(OWNER, "/team")
    done = texts(await harness.press_button(OWNER, await harness.press_button(OWNER, team, "Удалить"), "Да"))
    assert "больше не в команде" in done and "отменены" in done and "№42" in done
    told = " ".join(p["text"] for p in harness.telegram.sent("sendMessage", chat_id=COURIER))
    assert "удалил" in told and "отменены" in told and "№42" in told
    row = await db.fetch_one("SELECT status, last_error FROM operations")
    assert row is not None and row["status"] == "failed" and "CANCELLED" in row["last_error"]
    await asyncio.sleep(0.2)
    assert len(market.calls("setOrderDeliveryTrackCode")) == 1, "never sent after the removal"


async def test_team_buttons_show_names_as_written(harness: Harness, db: Database) -> None:
    await join(harness)
    await UsersRepo(db).upsert(COURIER, "ru", "Tom & Jerry <3")
    team = await harness.send(OWNER, "/team")
    assert "🗑 Удалить Tom & Jerry <3" in buttons_of(team)
    ask = await harness.press_button(OWNER, team, "Удалить")
    assert "⛔ Да, удалить Tom & Jerry <3" in buttons_of(ask)
    assert "Tom &amp; Jerry &lt;3" in texts(ask), "in HTML text it is escaped, so it shows as written"


async def test_destructive_team_buttons_name_the_act_and_not_doing_it(harness: Harness, db: Database) -> None:
    await join(harness)
    await UsersRepo(db).upsert(COURIER, "ru", "Пётр")
    team = await harness.send(OWNER, "/team")
    asks = {
        "Удалить": ["⛔ Да, удалить Пётр", "Не удалять"],
        "Сделать владельцем": ["⛔ Да, передать Пётр", "Не передавать"],
        "Отключить": ["⛔ Да, отключить магазин", "Не отключать"],
    }
    for button, expected in asks.items():
        ask = await harness.press_button(OWNER, team, button)
        assert buttons_of(ask) == expected, "no ✅ and no bare «Отмена» on a destructive act"
        back = await harness.press_button(OWNER, ask, expected[1])
        assert "Пётр" in texts(back) and "Пригласить" in " ".join(buttons_of(back))
    assert await db.fetch_one("SELECT id FROM shops") is not None
    members = await db.fetch_all("SELECT user_id, role FROM memberships ORDER BY user_id")
    assert [(m["user_id"], m["role"]) for m in members] == [(OWNER, "owner"), (COURIER, "courier")], (
        "nothing was removed or handed over"
    )


async def test_the_owner_hands_the_shop_over_to_a_courier(
    harness: Harness, market: FakeMarket, db: Database
) -> None:
    await join(harness)
    spare = await invite_link(harness)
    team = await harness.send(OWNER, "/team")
    assert "Неиспользованных приглашений: 1" in texts(team)
    ask = await harness.press_button(OWNER, team, "Сделать владельцем")
    assert "Передать магазин" in texts(ask)
    done = texts(await harness.press_button(OWNER, ask, "Да, передать"))
    assert "передан" in done
    told = " ".join(p["text"] for p in harness.telegram.sent("sendMessage", chat_id=COURIER))
    assert "Теперь вы владелец" in told
    row = await db.fetch_one("SELECT owner_id FROM shops")
    assert row is not None and row["owner_id"] == COURIER
    assert "Команда магазина" in texts(await harness.send(COURIER, "/team"))
    assert texts(await harness.send(OWNER, "/team")).startswith("⛔"), "the old owner is a courier now"
    market.add_order(1001, 42)
    assert "Заказ №42" in texts(await harness.send(OWNER, "/track 42")), "and keeps working as one"
    reused = texts(await harness.send(STRANGER, f"/start {spare}"))
    assert reused.startswith("⛔"), "invites made by the old owner were revoked"


async def test_unused_invites_are_shown_and_can_be_revoked(harness: Harness) -> None:
    links = [await invite_link(harness) for _ in range(2)]
    team = await harness.send(OWNER, "/team")
    assert "Неиспользованных приглашений: 2" in texts(team)
    revoked = await harness.press_button(OWNER, team, "Отозвать")
    assert "Отозвано приглашений: 2" in texts(revoked)
    assert not any("Отозвать" in b for b in buttons_of(revoked))
    for link in links:
        assert texts(await harness.send(COURIER, f"/start {link}")).startswith("⛔")


async def test_a_big_team_still_fits_one_message_and_keyboard(
    harness: Harness, db: Database, shop: int
) -> None:
    for n in range(60):
        await add_courier(db, harness.box, shop, 9000 + n)
        await UsersRepo(db).upsert(9000 + n, "ru", f"{n:02d}" + "Ж" * 98)
    [sent] = [c for c in await harness.send(OWNER, "/team") if c.method == "sendMessage"]
    assert len(str(sent.params["text"])) <= 4096
    rows = sent.params["reply_markup"]["inline_keyboard"]
    assert sum(len(row) for row in rows) <= 100


def chat_menu(harness: Harness, user: int) -> list[str] | None:
    """The commands last set in this user's chat (None: the chat menu was removed, or never set)."""
    last: list[str] | None = None
    for call in harness.telegram.calls:
        scope = call.params.get("scope")
        if isinstance(scope, dict) and scope.get("chat_id") == user:
            if call.method == "setMyCommands":
                last = [c["command"] for c in call.params["commands"]]
            elif call.method == "deleteMyCommands":
                last = None
    return last


async def test_the_command_menu_follows_each_role_change(harness: Harness, db: Database) -> None:
    await join(harness)
    courier = chat_menu(harness, COURIER)
    assert courier is not None and "track" in courier and "team" not in courier and "settings" not in courier
    team = await harness.send(OWNER, "/team")
    ask = await harness.press_button(OWNER, team, "Сделать владельцем")
    await harness.press_button(OWNER, ask, "Да, передать")
    new_owner, old_owner = chat_menu(harness, COURIER), chat_menu(harness, OWNER)
    assert new_owner is not None and {"team", "settings"} <= set(new_owner)
    assert old_owner is not None and "team" not in old_owner, "the old owner is a courier now"
    team = await harness.send(COURIER, "/team")
    ask = await harness.press_button(COURIER, team, "Удалить")
    await harness.press_button(COURIER, ask, "Да")
    assert chat_menu(harness, OWNER) is None, "removed: back to the menu for someone with no shop"
    rows = {r["id"]: r["menu"] for r in await db.fetch_all("SELECT id, menu FROM users")}
    assert rows[COURIER] == "owner:ru" and rows[OWNER] is None


async def test_menus_out_of_date_are_set_at_start_and_nothing_is_repeated_on_the_next(
    harness: Harness, db: Database, telegram: FakeTelegram
) -> None:
    await add_courier(db, harness.box, 1, COURIER)  # joined before menus were kept: none set yet
    await harness.deps.menus.at_start()
    for _ in range(100):
        if chat_menu(harness, COURIER) is not None and chat_menu(harness, OWNER) is not None:
            break
        await asyncio.sleep(0.02)
    assert "track" in (chat_menu(harness, COURIER) or []) and "team" in (chat_menu(harness, OWNER) or [])
    before = len(telegram.calls)
    await harness.deps.menus.at_start()
    await asyncio.sleep(0.2)
    assert [c.method for c in telegram.calls[before:]] == [], "nothing changed: nothing is set again"


async def queue(db: Database, user_id: int, order_ids: range, shop_id: int = 1) -> None:
    """Operations left waiting for a retry (not due while the test runs), recorded straight away."""
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    async with db.transaction() as tx:
        repo = OperationsRepo(tx)
        for order_id in order_ids:
            action = TrackCode(track_code=f"Q-{order_id}", delivery_service_id=51)
            await repo.create(user_id=user_id, shop_id=shop_id, order_id=order_id, action=action, now=later)


BIG = 9_000_000_000_000_000_000  # 19 digits, as long as an order number gets


async def test_removing_a_courier_with_hundreds_of_queued_lines_lists_them_bounded(
    harness: Harness, db: Database, box: SecretBox
) -> None:
    await add_courier(db, box, 1, COURIER)
    await queue(db, COURIER, range(BIG, BIG + 500))
    done = texts(await harness.press(OWNER, TeamCD(action="remove_yes", shop_id=1, user_id=COURIER).pack()))
    told = " ".join(p["text"] for p in harness.telegram.sent("sendMessage", chat_id=COURIER))
    for shown in (done, told):
        assert "{???}" not in shown
        assert f"Заказов: 500 — №{BIG}, №{BIG + 1}," in shown and "и ещё 490 заказов." in shown
        assert f"№{BIG + 10}" not in shown
    assert len(done) <= 4096


async def test_disconnecting_tells_each_courier_once_with_their_orders_after_the_owner_is_answered(
    harness: Harness, db: Database, box: SecretBox
) -> None:
    await add_courier(db, box, 1, COURIER)
    await add_courier(db, box, 1, STRANGER)  # a courier with nothing queued
    await queue(db, COURIER, range(BIG, BIG + 501))
    await queue(db, OWNER, range(7, 9))
    pressed = await harness.press(OWNER, TeamCD(action="disconnect_yes", shop_id=1).pack())
    told = await harness.wait_sent("Владелец отключил магазин dbs-shop.example")
    await harness.wait_sent("больше недоступны.")  # the courier with nothing queued
    to_courier = harness.telegram.sent("sendMessage", chat_id=COURIER)
    assert [p["text"] for p in to_courier] == [told], "one message, not one per operation"
    assert f"Заказов: 501 — №{BIG}, №{BIG + 1}," in told and "и ещё 491 заказ." in told
    assert len(told) <= 4096
    assert len(harness.telegram.sent("sendMessage", chat_id=STRANGER)) == 1
    assert harness.telegram.sent("sendMessage", chat_id=OWNER) == [], "the owner's own are on the card"
    assert "отключён" in texts(pressed) and "Ваши неотправленные операции" in texts(pressed)
    assert "Заказов: 2 — №7, №8." in texts(pressed)
    methods = [c.method for c in harness.telegram.calls]
    assert methods.index("answerCallbackQuery") < methods.index("sendMessage"), "the owner is answered first"


async def test_the_owner_switches_whether_couriers_write_to_buyers(
    harness: Harness, db: Database, shop: int
) -> None:
    await join(harness)
    team = await harness.send(OWNER, "/team")
    assert "💬 Курьеры пишут покупателям в чаты заказов: да." in texts(team)
    assert "💬 Курьеры пишут покупателям: да" in buttons_of(team)
    off = await harness.press_button(OWNER, team, "Курьеры пишут покупателям")
    assert "💬 Курьеры пишут покупателям: нет" in buttons_of(off)
    assert "пишете только вы" in texts(off)
    stored = await ShopsRepo(db, harness.box).get(shop)
    assert stored is not None and stored.couriers_write is False

    forged = await harness.press(COURIER, TeamCD(action="write", shop_id=shop).pack())
    assert "⛔" in texts(forged)
    stranger = await harness.press(STRANGER, TeamCD(action="write", shop_id=shop).pack())
    assert "⛔" in texts(stranger)
    row = await db.fetch_one("SELECT couriers_write FROM shops WHERE id = ?", (shop,))
    assert row is not None and row["couriers_write"] == 0, "a courier's press changed nothing"

    on = await harness.press_button(OWNER, off, "Курьеры пишут покупателям")
    assert "💬 Курьеры пишут покупателям: да" in buttons_of(on)
    stored = await ShopsRepo(db, harness.box).get(shop)
    assert stored is not None and stored.couriers_write is True
