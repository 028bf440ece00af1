"""Market error statuses as the user reads them; refusals; stale and forged buttons; /history; /shop."""

from __future__ import annotations

import pytest

from bot.domain.clock import utcnow
from bot.domain.operations import Failure, TrackCode
from bot.domain.records import OperationStatus
from storage.db import Database
from storage.repositories import MembershipsRepo, OperationsRepo, PreferencesRepo, UsersRepo
from storage.secrets import SecretBox
from tests.conftest import OWNER_KEY, add_courier, seed_shop
from tests.fakes.market import FakeMarket
from tests.fakes.telegram import Call
from tests.handlers.conftest import COURIER, OWNER, STRANGER, Harness, buttons_of, texts


async def drive_track_to_confirm(harness: Harness, user: int = OWNER) -> list[Call]:
    await harness.send(user, "/track 42")
    await harness.send(user, "СДЭК")
    return await harness.send(user, "TRK-9")


@pytest.mark.usefixtures("shop")
@pytest.mark.parametrize(
    ("status", "code", "message", "hint"),
    [
        (401, "UNAUTHORIZED", "Api-Key token is invalid", "/settings"),
        (403, "FORBIDDEN", "Access denied", "Обработка заказов"),
        (404, "ORDER_NOT_FOUND", "Order 42 not found", "нет в этом магазине"),
        (
            400,
            "STATUS_NOT_ALLOWED",
            "Order 42 with status CANCELLED is not allowed",
            "«отменён» — в этом статусе",
        ),
        (400, "BAD_REQUEST", "Something the bot has no words for", "исправьте"),
    ],
)
async def test_market_refusal_shows_its_message_code_and_a_hint(
    harness: Harness, market: FakeMarket, db: Database, status: int, code: str, message: str, hint: str
) -> None:
    market.add_order(1001, 42)
    confirm = await drive_track_to_confirm(harness)
    market.fail("setOrderDeliveryTrackCode", status=status, message=message, code=code)
    result = texts(await harness.press_button(OWNER, confirm, "Отправить"))
    assert "❌" in result and message in result and code in result and hint in result
    row = await db.fetch_one("SELECT status, last_error FROM operations")
    assert row is not None and row["status"] == "failed" and message in row["last_error"]


@pytest.mark.usefixtures("shop")
async def test_status_rule_refusal_is_verbatim(harness: Harness, market: FakeMarket) -> None:
    market.add_order(1001, 42, "PROCESSING")
    confirm = await drive_track_to_confirm(harness)
    market.orders[(1001, 42)]["status"] = "CANCELLED"  # cancelled while the courier was typing
    result = texts(await harness.press_button(OWNER, confirm, "Отправить"))
    assert "Order 42 with status CANCELLED is not allowed for this action" in result
    assert "STATUS_NOT_ALLOWED" in result


async def test_no_shop_is_refused_without_market_call(harness: Harness, market: FakeMarket) -> None:
    for command in ("/track", "/date 5", "/history"):
        reply = texts(await harness.send(STRANGER, command))
        assert reply.startswith("⛔") and "/settings" in reply
    assert market.received == []


@pytest.mark.usefixtures("shop")
async def test_forged_callback_from_a_non_member_is_refused(harness: Harness, market: FakeMarket) -> None:
    market.add_order(1001, 42)
    confirm = await drive_track_to_confirm(harness)
    stolen = await harness.press_button(STRANGER, confirm, "Отправить")
    assert "⛔" in texts(stolen)
    forged_shop = await harness.press(STRANGER, "sh:1")
    assert "⛔" in texts(forged_shop)
    assert market.calls("setOrderDeliveryTrackCode") == []
    assert all(c.params.get("callback_query_id") for c in forged_shop if c.method == "answerCallbackQuery")


@pytest.mark.usefixtures("shop")
async def test_removed_member_cannot_send_a_drafted_operation(
    harness: Harness, market: FakeMarket, db: Database, shop: int
) -> None:
    market.add_order(1001, 42)
    await add_courier(db, harness.box, shop, COURIER)
    confirm = await drive_track_to_confirm(harness, COURIER)
    await MembershipsRepo(db).remove(COURIER, shop)
    refused = await harness.press_button(COURIER, confirm, "Отправить")
    assert "⛔" in texts(refused)
    assert market.calls("setOrderDeliveryTrackCode") == []


@pytest.mark.usefixtures("shop")
async def test_garbage_callback_data_is_answered_as_stale(harness: Harness, market: FakeMarket) -> None:
    for data in ("nonsense", "cf:send", "sv:abc", "dd:1", "rs:evil", "x" * 64):
        calls = await harness.press(OWNER, data)
        assert any(c.method == "answerCallbackQuery" for c in calls), data
        assert "⛔" in texts(calls)
    assert market.received == []


@pytest.mark.usefixtures("shop")
async def test_history_lists_the_users_operations(harness: Harness, market: FakeMarket) -> None:
    assert "пока нет операций" in texts(await harness.send(OWNER, "/history"))
    market.add_order(1001, 42)
    confirm = await drive_track_to_confirm(harness)
    await harness.press_button(OWNER, confirm, "Отправить")
    market.orders[(1001, 42)]["status"] = "CANCELLED"
    confirm = await drive_track_to_confirm(harness)  # refused at the card now
    history = texts(await harness.send(OWNER, "/history"))
    assert "№42" in history and "TRK-9" in history and "СДЭК" in history and "✅" in history


async def test_settings_connects_a_shop_and_deletes_the_key(
    harness: Harness, market: FakeMarket, db: Database
) -> None:
    asked = texts(await harness.send(OWNER, "/settings"))
    assert "API-ключ" in asked and "Обработка заказов" in asked
    chosen = await harness.send(OWNER, OWNER_KEY)
    assert any(c.method == "deleteMessage" for c in chosen), "the key message is deleted"
    shown = buttons_of(chosen)
    assert "dbs-shop.example" in shown[0], "DBS first"
    assert any("fbs-shop.example" in b for b in shown)
    assert OWNER_KEY not in texts(chosen)
    done = await harness.press_button(OWNER, chosen, "dbs-shop.example")
    assert "✅" in texts(done) and "dbs-shop.example" in texts(done)
    row = await db.fetch_one("SELECT campaign_id, owner_id FROM shops")
    assert row is not None and tuple(row) == (1001, OWNER)
    fsm = await db.fetch_all("SELECT data FROM fsm")
    assert all(OWNER_KEY not in r["data"] for r in fsm)
    market.add_order(1001, 42)
    assert "Заказ №42" in texts(await harness.send(OWNER, "/track 42"))


async def test_bad_key_gets_one_line_with_the_reason_and_where_to_get_one_and_nothing_is_saved(
    harness: Harness, market: FakeMarket, db: Database
) -> None:
    await harness.send(OWNER, "/settings")
    reply = texts(await harness.send(OWNER, "ACMA:wrong"))
    assert reply.count("❌") == 1 and "Маркет его не знает" in reply and "Настройки → API" in reply
    assert await db.fetch_one("SELECT id FROM shops") is None
    retry = await harness.send(OWNER, OWNER_KEY)
    assert buttons_of(retry), "the same step accepts a corrected key"


async def test_a_question_typed_at_the_key_step_stays_and_the_hint_is_repeated(
    harness: Harness, market: FakeMarket
) -> None:
    await harness.send(OWNER, "/settings")
    asked = await harness.send(OWNER, "а где взять ключ?")
    assert harness.telegram.sent("deleteMessage") == [], "a question is not a key: it stays in the chat"
    assert "Где взять ключ" in texts(asked) and "partner.market.yandex.ru" in texts(asked)
    await harness.send(OWNER, f"ключ {OWNER_KEY}")  # a key with a word around it: not one key, but gone
    await harness.send(OWNER, "мой ключ 123456789012345 вот")  # a short secret in a sentence: gone too
    assert len(harness.telegram.sent("deleteMessage")) == 2
    assert market.received == []


async def test_a_key_pasted_while_the_market_is_unreachable_is_not_called_wrong(
    harness: Harness, market: FakeMarket, db: Database
) -> None:
    await harness.send(OWNER, "/settings")
    await market.stop()  # connection refused from now on
    reply = texts(await harness.send(OWNER, OWNER_KEY))
    assert "Маркет сейчас недоступен" in reply and "ничего не сохранено" in reply
    assert "ещё раз" in reply, "the key was not judged: paste it again later"
    assert "не подошёл" not in reply and "Настройки → API" not in reply
    assert await db.fetch_one("SELECT id FROM shops") is None
    assert harness.deps.shops.pending.get(OWNER) is None, "not even kept in memory"
    still_asking = texts(await harness.send(OWNER, "ACMA:another"))
    assert "Маркет сейчас недоступен" in still_asking, "the key step is still open"


async def test_key_without_order_scope_is_refused_with_the_reason(
    harness: Harness, market: FakeMarket, db: Database
) -> None:
    market.add_key("readonly", {1001}, scopes=["ALL_METHODS_READ_ONLY"])
    await harness.send(OWNER, "/settings")
    reply = await harness.send(OWNER, "readonly")
    assert "⛔" in texts(reply) and "Обработка заказов" in texts(reply)
    assert buttons_of(reply) == [], "no shop to pick: nothing can be connected with it"
    assert await db.fetch_one("SELECT id FROM shops") is None


async def test_a_key_without_chats_is_taken_with_a_line_on_what_to_add_for_them(
    harness: Harness, market: FakeMarket, db: Database
) -> None:
    market.add_key("orders-only", {1001}, scopes=["INVENTORY_AND_ORDER_PROCESSING"])
    await harness.send(OWNER, "/settings")
    reply = texts(await harness.send(OWNER, "orders-only"))
    assert "✅ Ключ принят" in reply and "communication" in reply
    market.add_key("orders-and-chats", {1001}, scopes=["INVENTORY_AND_ORDER_PROCESSING", "COMMUNICATION"])
    await harness.send(OWNER, "/settings")
    reply = texts(await harness.send(OWNER, "orders-and-chats"))
    assert "✅ Ключ принят" in reply and "communication" not in reply


@pytest.mark.usefixtures("shop")
async def test_another_key_of_the_business_cannot_take_the_shop_over(
    harness: Harness, market: FakeMarket, db: Database
) -> None:
    market.add_key("ACMA:a-key-someone-else-holds", {1001})
    await harness.send(STRANGER, "/settings")
    shops = await harness.send(STRANGER, "ACMA:a-key-someone-else-holds")
    refused = texts(await harness.press_button(STRANGER, shops, "dbs-shop.example"))
    assert "⛔" in refused and "другой пользователь" in refused
    told = " ".join(p["text"] for p in harness.telegram.sent("sendMessage", chat_id=OWNER))
    assert "Попытка подключить" in told and "Tester" in told
    row = await db.fetch_one("SELECT owner_id FROM shops")
    assert row is not None and row["owner_id"] == OWNER
    market.add_order(1001, 42)
    await harness.send(OWNER, "/track 42")
    await harness.send(OWNER, "СДЭК")
    confirm = await harness.send(OWNER, "STILL-MINE")
    await harness.press_button(OWNER, confirm, "Отправить")
    [write] = market.calls("setOrderDeliveryTrackCode")
    assert write.api_key == OWNER_KEY, "the shop still works with its owner's key"


async def test_inactive_campaign_is_marked(harness: Harness, market: FakeMarket) -> None:
    market.add_campaign(1003, "sleepy.example", availability="DISABLED_BY_INACTIVITY")
    market.add_key("k3", {1001, 1003})
    await harness.send(OWNER, "/settings")
    shown = buttons_of(await harness.send(OWNER, "k3"))
    assert any("sleepy.example" in b and "отключён" in b for b in shown)


async def test_campaign_button_after_the_key_expired_is_refused(harness: Harness, market: FakeMarket) -> None:
    await harness.send(OWNER, "/settings")
    chosen = await harness.send(OWNER, OWNER_KEY)
    harness.deps.shops.pending.pop(OWNER)  # what a restart does
    reply = texts(await harness.press_button(OWNER, chosen, "dbs-shop.example"))
    assert "⛔" in reply and "ещё раз" in reply


async def test_shop_switch(harness: Harness, market: FakeMarket, db: Database) -> None:
    await harness.send(OWNER, "/settings")
    await harness.press_button(OWNER, await harness.send(OWNER, OWNER_KEY), "dbs-shop.example")
    await harness.send(OWNER, "/settings")
    await harness.press_button(OWNER, await harness.send(OWNER, OWNER_KEY), "fbs-shop.example")
    listing = await harness.send(OWNER, "/shop")
    shown = buttons_of(listing)
    assert any(b.startswith("✓ ") and "fbs-shop.example" in b for b in shown)
    switched = await harness.press_button(OWNER, listing, "dbs-shop.example")
    assert "dbs-shop.example" in texts(switched)
    market.add_order(1001, 42)
    assert "Заказ №42" in texts(await harness.send(OWNER, "/track 42"))


async def test_start_help_and_unknown_text(harness: Harness) -> None:
    assert "/settings" in texts(await harness.send(OWNER, "/start"))  # no shop yet: how to connect one
    assert "/cancel" in texts(await harness.send(OWNER, "/help"))
    assert "Не понял" in texts(await harness.send(OWNER, "привет"))
    assert "Hi!" in texts(await harness.send(OWNER, "/start", language="en"))


async def test_non_ascii_key_is_refused_without_reaching_the_market(
    harness: Harness, market: FakeMarket
) -> None:
    await harness.send(OWNER, "/settings")
    reply = texts(await harness.send(OWNER, "ключ¡"))
    assert "не похоже на API-ключ" in reply
    assert market.received == []


async def two_shops(harness: Harness, market: FakeMarket) -> tuple[int, int]:
    """Shops A (dbs-shop, campaign 1001) and B (shop-b, 1002), each with an order 42; A is active."""
    shop_b = await seed_shop(harness.db, harness.box, OWNER, campaign=1002, domain="shop-b.example")
    shop_a = await seed_shop(harness.db, harness.box, OWNER, campaign=1001)
    market.add_order(1001, 42, items=[("Чайник из магазина A", 1)])
    market.add_order(1002, 42, items=[("Утюг из магазина B", 1)])
    return shop_a, shop_b


async def test_switching_shop_mid_conversation_ends_it_and_nothing_crosses_shops(
    harness: Harness, market: FakeMarket
) -> None:
    await two_shops(harness, market)
    assert "dbs-shop.example" in texts(await harness.send(OWNER, "/track"))
    listed = len(market.calls("getBusinessOrders"))  # A's orders to pick from
    listing = await harness.send(OWNER, "/shop")
    switched = texts(await harness.press_button(OWNER, listing, "shop-b"))
    assert "shop-b.example" in switched and "прервано" in switched, "the user is told the conversation ended"
    after = texts(await harness.send(OWNER, "42"))  # no conversation: the card of B's order 42
    assert "Утюг" in after and "Чайник" not in after, "A's conversation took nothing"
    reads = market.calls("getBusinessOrders")[listed:]
    assert reads and all(c.body["campaignIds"] == [1002] for c in reads) and market.calls("getOrder") == []


async def test_a_conversation_stays_with_the_shop_it_started_in(
    harness: Harness, market: FakeMarket, db: Database
) -> None:
    _, shop_b = await two_shops(harness, market)
    await harness.send(OWNER, "/track")
    await PreferencesRepo(db).set_active_shop(OWNER, shop_b)  # changed elsewhere meanwhile
    card = texts(await harness.send(OWNER, "42"))
    assert "Чайник из магазина A" in card and "Утюг" not in card
    await harness.send(OWNER, "СДЭК")
    confirm = await harness.send(OWNER, "PINNED-1")
    assert "✅" in texts(await harness.press_button(OWNER, confirm, "Отправить"))
    reads = market.calls("getBusinessOrders")
    [write] = market.calls("setOrderDeliveryTrackCode")
    assert reads and all(c.body["campaignIds"] == [1001] for c in reads), "only A's orders were read"
    assert write.path == "/v2/campaigns/1001/orders/42/delivery/track"


@pytest.mark.usefixtures("shop")
async def test_history_always_fits_one_telegram_message(harness: Harness, db: Database, shop: int) -> None:
    ops = OperationsRepo(db)
    couriers = list(range(7000, 7020))
    for n, courier in enumerate(couriers):
        await add_courier(db, harness.box, shop, courier)
        await UsersRepo(db).upsert(courier, "ru", "Я" * 100)
        op = await ops.create(
            user_id=courier,
            shop_id=shop,
            order_id=10**17 + n,
            action=TrackCode(track_code="Z" * 64, delivery_service_id=51),
            now=utcnow(),
        )
        failure = Failure(400, "BAD_REQUEST", "Очень длинное сообщение Маркета. " * 30)
        await ops.finish(op.id, OperationStatus.FAILED, failure.to_json(), utcnow())
    calls = await harness.send(OWNER, "/history")
    history = [c for c in calls if c.method == "sendMessage" and c.params.get("chat_id") == OWNER]
    [reply] = history
    text = str(reply.params["text"])
    assert len(text) <= 4096
    assert str(10**17 + 19) in text, "the newest first"
    assert "не поместились" in text


async def test_a_second_key_pasted_while_the_shops_are_shown_is_deleted_too(
    harness: Harness, market: FakeMarket
) -> None:
    market.add_key("ACMA:second-key-000000000000", {1001})
    await harness.send(OWNER, "/settings")
    await harness.send(OWNER, OWNER_KEY)
    second = await harness.send(OWNER, "ACMA:second-key-000000000000")
    assert any(c.method == "deleteMessage" for c in second), "the second key leaves the chat too"
    assert "ACMA:second-key" not in texts(second)
    shown = buttons_of(second)
    assert any("dbs-shop.example" in b for b in shown) and not any("fbs-shop" in b for b in shown)


@pytest.mark.usefixtures("shop")
async def test_an_owner_adds_another_shop_of_the_same_key_from_shop_without_pasting_it(
    harness: Harness, market: FakeMarket, db: Database
) -> None:
    listed = await harness.send(OWNER, "/shop")
    offered = await harness.press_button(OWNER, listed, "Другой магазин этого ключа")
    assert buttons_of(offered) and not any("dbs-shop.example" in b for b in buttons_of(offered)), (
        "the key's other shops only: the connected one is left out"
    )
    connected = await harness.press_button(OWNER, offered, "fbs-shop.example")
    assert "fbs-shop.example" in texts(connected) and "подключён и выбран" in texts(connected)
    rows = await db.fetch_all("SELECT campaign_id FROM shops ORDER BY campaign_id")
    assert [r["campaign_id"] for r in rows] == [1001, 1002]
    assert [c.api_key for c in market.calls("getCampaigns")] == [OWNER_KEY], "the stored key asked"


async def test_a_courier_is_not_offered_the_shops_key(harness: Harness, db: Database, box: SecretBox) -> None:
    shop = await seed_shop(db, box, OWNER)
    await add_courier(db, box, shop, COURIER)
    listed = await harness.send(COURIER, "/shop")
    assert not any("этого ключа" in b for b in buttons_of(listed))
