"""What the database keeps of buyers' chats: ids only (who is told which message, the Telegram messages
it became, how far each chat has been read), each told once, gone with the shop; the upgrade to it."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

from bot.domain.notifications import MarketEvent
from bot.domain.records import ChatDue, ChatPost
from storage.db import Database
from storage.repositories import (
    ChatDeliveriesRepo,
    ChatPostsRepo,
    ChatWatchRepo,
    MarketInboxRepo,
    Repos,
    ShopsRepo,
)
from storage.secrets import SecretBox
from tests.conftest import seed_shop

OWNER, COURIER, OTHER = 10, 11, 12
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
CHAT, ORDER = 301, 5001


def columns(path: Path, table: str) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}


async def test_a_message_is_recorded_once_per_recipient_and_due_oldest_first(
    db: Database, box: SecretBox
) -> None:
    shop = await seed_shop(db, box, OWNER)
    deliveries = ChatDeliveriesRepo(db)

    assert await deliveries.record(shop, CHAT, 1, ORDER, [OWNER, COURIER, OWNER], NOW) == 2
    assert await deliveries.record(shop, CHAT, 2, None, [OWNER], NOW) == 1
    assert await deliveries.record(shop, CHAT, 1, ORDER, [OWNER, COURIER, OTHER], NOW) == 1, "one new"
    assert await deliveries.record(shop, CHAT, 1, ORDER, [], NOW) == 0

    assert await deliveries.due() == [
        ChatDue(shop_id=shop, chat_id=CHAT, message_id=1, order_id=ORDER, user_id=OWNER),
        ChatDue(shop_id=shop, chat_id=CHAT, message_id=1, order_id=ORDER, user_id=COURIER),
        ChatDue(shop_id=shop, chat_id=CHAT, message_id=2, order_id=None, user_id=OWNER),
        ChatDue(shop_id=shop, chat_id=CHAT, message_id=1, order_id=ORDER, user_id=OTHER),
    ]
    assert len(await deliveries.due(limit=2)) == 2
    await deliveries.sent(shop, CHAT, 1, COURIER)
    assert [(d.message_id, d.user_id) for d in await deliveries.due()] == [(1, OWNER), (2, OWNER), (1, OTHER)]
    assert await deliveries.told(shop, CHAT, 1) == {OWNER, COURIER, OTHER}, "sent or not, each is told once"
    assert await deliveries.told(shop, CHAT, 3) == set()

    assert await deliveries.record(shop, CHAT, 1, ORDER, [COURIER], NOW) == 0, "a restart repeats nobody"
    assert [(d.message_id, d.user_id) for d in await deliveries.due()] == [(1, OWNER), (2, OWNER), (1, OTHER)]


async def test_a_reply_to_any_post_finds_its_chat_and_the_others_headers_wait_for_who_answered(
    db: Database, box: SecretBox
) -> None:
    shop = await seed_shop(db, box, OWNER)
    other_shop = await seed_shop(db, box, OWNER, campaign=1002)
    posts = ChatPostsRepo(db)

    def post(user: int, tg: int, *, header: bool = True, shop_id: int = shop, chat: int = CHAT) -> ChatPost:
        return ChatPost(
            user_id=user,
            tg_message_id=tg,
            shop_id=shop_id,
            chat_id=chat,
            message_id=7,
            order_id=ORDER,
            header=header,
            answered_by=None,
        )

    for made in (
        post(OWNER, 100),
        post(OWNER, 101, header=False),  # a photo the buyer sent
        post(COURIER, 100),  # the same Telegram id in another user's chat
        post(OTHER, 55),
        post(OTHER, 56, chat=CHAT + 1),
        post(OTHER, 57, shop_id=other_shop),
    ):
        await posts.add(made, NOW)

    assert await posts.route(OWNER, 101) == post(OWNER, 101, header=False), "a reply to the file routes too"
    assert await posts.route(COURIER, 100) == post(COURIER, 100)
    assert await posts.route(COURIER, 101) is None, "another user's message id routes nothing"

    others = await posts.others_unanswered(shop, CHAT, except_user=COURIER)
    assert [(p.user_id, p.tg_message_id) for p in others] == [(OWNER, 100), (OTHER, 55)], "headers only"
    await posts.answered(OWNER, 100, by_user=COURIER)
    assert await posts.route(OWNER, 100) == post(OWNER, 100).model_copy(update={"answered_by": COURIER})
    assert [(p.user_id, p.tg_message_id) for p in await posts.others_unanswered(shop, CHAT, COURIER)] == [
        (OTHER, 55)
    ]


async def test_a_chats_watch_never_moves_back(db: Database, box: SecretBox) -> None:
    shop = await seed_shop(db, box, OWNER)
    other_shop = await seed_shop(db, box, OWNER, campaign=1002)
    watch = ChatWatchRepo(db)
    assert await watch.last(shop, CHAT) is None
    assert await watch.lasts(shop) == {}

    await watch.advance(shop, CHAT, 10, NOW)
    await watch.advance(shop, CHAT, 7, NOW + dt.timedelta(minutes=1))
    await watch.advance(shop, CHAT + 1, 3, NOW)
    await watch.advance(other_shop, CHAT, 99, NOW)
    assert await watch.last(shop, CHAT) == 10, "an older message read again does not move it back"
    await watch.advance(shop, CHAT, 12, NOW)
    assert await watch.lasts(shop) == {CHAT: 12, CHAT + 1: 3}
    assert await watch.lasts(other_shop) == {CHAT: 99}


async def test_chat_rows_go_with_their_shop_and_the_switch_is_kept(db: Database, box: SecretBox) -> None:
    shop = await seed_shop(db, box, OWNER)
    stays = await seed_shop(db, box, OWNER, campaign=1002)
    shops = ShopsRepo(db, box)
    made = await shops.get(shop)
    assert made is not None and made.couriers_write is True, "couriers write by default"
    await shops.set_couriers_write(shop, False)
    assert [(s.id, s.couriers_write) for s in await shops.every()] == [(shop, False), (stays, True)]

    async with db.transaction() as tx:
        repos = Repos.on(tx, box)
        for shop_id in (shop, stays):
            await repos.chat_deliveries.record(shop_id, CHAT, 1, ORDER, [OWNER], NOW)
            await repos.chat_watch.advance(shop_id, CHAT, 1, NOW)
            await repos.chat_posts.add(
                ChatPost(
                    user_id=OWNER,
                    tg_message_id=shop_id,
                    shop_id=shop_id,
                    chat_id=CHAT,
                    message_id=1,
                    order_id=ORDER,
                    header=True,
                    answered_by=None,
                ),
                NOW,
            )
    await shops.delete(shop)

    for table in ("chat_deliveries", "chat_posts", "chat_watch"):
        rows = await db.fetch_all(f"SELECT shop_id FROM {table}")  # noqa: S608 - named above
        assert [r["shop_id"] for r in rows] == [stays], table


async def test_the_upgrade_keeps_the_inbox_and_shops_and_adds_only_ids(
    tmp_path: Path, box: SecretBox
) -> None:
    path = tmp_path / "bot.sqlite3"
    old = await Database.open(path, target_version=13)
    try:
        await old.execute("INSERT INTO users (id) VALUES (?)", (OWNER,))
        shop = await old.execute(
            "INSERT INTO shops (campaign_id, api_key_enc, owner_id) VALUES (1001, ?, ?)",
            (box.encrypt("ACMA:key"), OWNER),
        )
        await old.execute(
            "INSERT INTO market_inbox (kind, chat_id, business_id, event_at, received_at, payload) "
            "VALUES ('CHAT_CREATED', 301, 777, '2026-11-20T10:00:00.000Z', '2026-11-20T10:00:01.000Z', '{}')"
        )
    finally:
        await old.close()

    db = await Database.open(path)
    try:
        kept = await ShopsRepo(db, box).get(shop)
        assert kept is not None and kept.couriers_write is True, (
            "a shop connected before may keep its couriers"
        )
        [(_, created)] = await MarketInboxRepo(db).due(10)
        assert (created.kind, created.chat_id, created.message_id) == ("CHAT_CREATED", 301, None)
        again = MarketEvent(kind="CHAT_CREATED", chat_id=301, business_id=777, at=created.at, payload={})
        assert await MarketInboxRepo(db).add(again, NOW) is None, "the old row still de-duplicates"
    finally:
        await db.close()
    # No text, file or name of a buyer has a column to go to.
    assert columns(path, "chat_deliveries") == {
        "shop_id", "chat_id", "message_id", "user_id", "order_id", "sent", "created_at",
    }  # fmt: skip
    assert columns(path, "chat_posts") == {
        "user_id", "tg_message_id", "shop_id", "chat_id", "message_id", "order_id", "header", "answered_by",
        "created_at",
    }  # fmt: skip
    assert columns(path, "chat_watch") == {"shop_id", "chat_id", "last_message_id", "updated_at"}
