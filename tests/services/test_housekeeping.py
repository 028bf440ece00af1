"""Nothing only grows: old operations leave their counts, expired invites and abandoned conversations
go, a stranger who only sent /start is forgotten, and the Market client forgets keys nobody is using."""

from __future__ import annotations

import asyncio
import datetime as dt

from bot.domain.alerts import AlertKind, Facts, Switch
from bot.domain.clock import utcnow
from bot.domain.operations import TrackCode
from bot.domain.records import ChatPost, OperationStatus
from bot.market.client import MarketClient
from bot.market.transport import MarketTransport
from bot.services.alerts.poller import record
from bot.services.housekeeping import Housekeeping
from bot.services.users import UsersService
from storage.db import Database, timestamp
from storage.repositories import (
    AlertsRepo,
    AlertSwitchesRepo,
    ChatPostsRepo,
    InvitesRepo,
    OperationsRepo,
    PreferencesRepo,
    Repos,
    UsersRepo,
)
from storage.secrets import SecretBox
from tests.conftest import add_courier, seed_shop
from tests.fakes.market import FakeMarket

OWNER = 10
TRACK = TrackCode(track_code="T", delivery_service_id=51)


async def test_old_operations_invites_and_conversations_are_pruned(db: Database, box: SecretBox) -> None:
    shop_id = await seed_shop(db, box, OWNER)
    ops = OperationsRepo(db)
    now = utcnow()
    for order_id, status in (
        (1, OperationStatus.DONE),
        (2, OperationStatus.FAILED),
        (3, OperationStatus.DONE),
    ):
        op = await ops.create(user_id=OWNER, shop_id=shop_id, order_id=order_id, action=TRACK, now=now)
        await ops.finish(op.id, status, None, now)
    await db.execute("UPDATE operations SET result_owed = 0 WHERE order_id != 3")
    long_ago = timestamp(now - dt.timedelta(days=91))
    await db.execute("UPDATE operations SET updated_at = ?", (long_ago,))
    recent = await ops.create(user_id=OWNER, shop_id=shop_id, order_id=4, action=TRACK, now=now)
    invites = InvitesRepo(db)
    await invites.create(
        shop_id=shop_id, created_by=OWNER, token_hash="old", expires_at=now - dt.timedelta(hours=1)
    )
    await invites.create(
        shop_id=shop_id, created_by=OWNER, token_hash="new", expires_at=now + dt.timedelta(hours=1)
    )
    await db.execute("INSERT INTO fsm (storage_key, state, updated_at) VALUES ('a', 's', ?)", (long_ago,))
    await db.execute("INSERT INTO fsm (storage_key, state) VALUES ('b', 's')")

    pruned = await Housekeeping(db).prune()

    assert (pruned.operations, pruned.invites, pruned.conversations) == (2, 1, 1)
    left = [r["order_id"] for r in await db.fetch_all("SELECT order_id FROM operations ORDER BY order_id")]
    assert left == [3, 4], "a result still owed stays, and so does a recent one"
    assert await ops.get(recent.id) is not None
    kept = await db.fetch_all(
        "SELECT kind, status, count FROM operation_counts WHERE shop_id = ?", (shop_id,)
    )
    assert sorted(tuple(r) for r in kept) == [("track", "done", 1), ("track", "failed", 1)], "counts kept"
    assert [r["token_hash"] for r in await db.fetch_all("SELECT token_hash FROM invites")] == ["new"]
    assert [r["storage_key"] for r in await db.fetch_all("SELECT storage_key FROM fsm")] == ["b"]


async def test_a_stranger_who_only_sent_start_is_forgotten_30_days_after_last_seen(
    db: Database, box: SecretBox
) -> None:
    start = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
    now = start
    users = UsersService(db, clock=lambda: now)
    stranger, returning, courier, former_courier = 20, 21, 22, 23
    for user in (OWNER, stranger, returning, courier, former_courier):
        await users.seen(user, "ru", f"User {user}")  # each sends /start
    shop_id = await seed_shop(db, box, OWNER)
    await add_courier(db, box, shop_id, courier)
    await add_courier(db, box, shop_id, former_courier)
    await OperationsRepo(db).create(
        user_id=former_courier, shop_id=shop_id, order_id=1, action=TRACK, now=now
    )
    await db.execute("DELETE FROM memberships WHERE user_id = ?", (former_courier,))  # removed from the team
    await AlertSwitchesRepo(db).set_switch(stranger, Switch.DIGEST, True)
    await PreferencesRepo(db).set_active_shop(stranger, None)
    await UsersRepo(db).set_menu(stranger, "courier:ru")
    await db.execute(
        "INSERT INTO fsm (storage_key, state, updated_at) VALUES (?, 's', ?)",
        (f"fsm:1:{stranger}:{stranger}:default", timestamp(start)),
    )
    now = start + dt.timedelta(days=20)
    await users.seen(returning, "ru", f"User {returning}")  # same process, same name: still noted

    at_29_days = await Housekeeping(db, clock=lambda: start + dt.timedelta(days=29, hours=23)).prune()
    assert at_29_days.users == 0
    pruned = await Housekeeping(db, clock=lambda: start + dt.timedelta(days=30, hours=1)).prune()

    assert pruned.users == 1
    left = [r["id"] for r in await db.fetch_all("SELECT id FROM users ORDER BY id")]
    assert left == [OWNER, returning, courier, former_courier], "the owner, the team and history stay"
    assert await db.fetch_one("SELECT 1 FROM alert_switches WHERE user_id = ?", (stranger,)) is None
    assert await db.fetch_one("SELECT 1 FROM user_settings WHERE user_id = ?", (stranger,)) is None
    assert await db.fetch_one("SELECT 1 FROM fsm WHERE storage_key LIKE ?", (f"%:{stranger}:%",)) is None
    assert await UsersRepo(db).get(stranger) is None

    later = start + dt.timedelta(days=52)
    assert (await Housekeeping(db, clock=lambda: later).prune()).users == 1, "unseen 32 days: the one back"
    assert await UsersRepo(db).get(returning) is None


async def test_the_client_forgets_keys_nobody_is_using(market: FakeMarket) -> None:
    market.check_responses = False  # many calls; the client's own checks are what matter here
    keys = [f"ACMA:key-{n:04d}-0000000000" for n in range(40)]
    for key in keys:
        market.add_key(key, {1001})
    transport = MarketTransport(market.url, timeout=2.0)
    try:
        await asyncio.gather(*(MarketClient(transport).get_campaigns(key) for key in keys))
        assert transport._slots == {} and transport._users == {}
    finally:
        await transport.aclose()


async def test_old_alerts_go_but_an_open_cancellation_request_stays(db: Database, box: SecretBox) -> None:
    shop_id = await seed_shop(db, box, OWNER)
    alerts = AlertsRepo(db)
    async with db.transaction() as tx:
        for order_id, kind in enumerate([AlertKind.CANCEL] * 2 + [AlertKind.NEW_ORDER] * 2, start=1):
            assert await record(tx, shop_id, order_id, kind, Facts(), [OWNER])
    answered = await alerts.cancel_request(shop_id, 2)
    assert answered is not None
    await alerts.answered(answered.id, utcnow(), answer="elsewhere")
    old = timestamp(utcnow() - dt.timedelta(days=31))
    await db.execute("UPDATE alerts SET created_at = ? WHERE order_id != 4", (old,))

    await Housekeeping(db).prune()

    left = [r["order_id"] for r in await db.fetch_all("SELECT order_id FROM alerts ORDER BY order_id")]
    assert left == [1, 4], "an unanswered request is kept however old; a recent alert too"
    deliveries = await db.fetch_all("SELECT alert_id FROM alert_deliveries")
    assert len(deliveries) == 2, "their deliveries went with them"


async def test_a_chats_ids_are_forgotten_30_days_after(db: Database, box: SecretBox) -> None:
    shop_id = await seed_shop(db, box, OWNER)
    now = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
    old, recent = now - dt.timedelta(days=30, minutes=1), now - dt.timedelta(days=29, hours=23)
    async with db.transaction() as tx:
        repos = Repos.on(tx, box)
        for chat_id, when in ((1, old), (2, recent)):
            await repos.chat_deliveries.record(shop_id, chat_id, 10, None, [OWNER, 11], when)
            await repos.chat_watch.advance(shop_id, chat_id, 10, when)
            for tg in (chat_id * 100, chat_id * 100 + 1):
                post = ChatPost(
                    user_id=OWNER,
                    tg_message_id=tg,
                    shop_id=shop_id,
                    chat_id=chat_id,
                    message_id=10,
                    order_id=None,
                    header=tg % 2 == 0,
                    answered_by=None,
                )
                await repos.chat_posts.add(post, when)
        await repos.chat_watch.advance(shop_id, 3, 5, old)
        await repos.chat_watch.advance(shop_id, 3, 6, recent)  # looked at again since: kept

    pruned = await Housekeeping(db, clock=lambda: now).prune()

    assert (pruned.chat_deliveries, pruned.chat_posts, pruned.chat_watch) == (2, 2, 1)
    for table in ("chat_deliveries", "chat_posts", "chat_watch"):
        left = {r["chat_id"] for r in await db.fetch_all(f"SELECT chat_id FROM {table}")}  # noqa: S608
        assert left == ({2, 3} if table == "chat_watch" else {2}), table
    assert await ChatPostsRepo(db).route(OWNER, 100) is None, "an old message's reply routes nowhere"
    assert await ChatPostsRepo(db).route(OWNER, 200) is not None
    again = await Housekeeping(db, clock=lambda: now).prune()
    assert (again.chat_deliveries, again.chat_posts, again.chat_watch) == (0, 0, 0)
