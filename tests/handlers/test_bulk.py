"""Many track codes at once: a pasted list or a file → one preview → «Отправить все» → progress → report."""

from __future__ import annotations

import asyncio
import io
import re
from typing import Any, NoReturn

import pytest
from openpyxl import Workbook

from bot.domain import xlsx
from bot.domain.records import BatchSummary
from bot.telegram.callbacks import BatchCD
from storage.db import Database
from tests.fakes.market import FakeMarket
from tests.fakes.telegram import document, find_button
from tests.fakes.workbooks import row, workbook
from tests.handlers.conftest import COURIER, OWNER, STRANGER, Harness, buttons_of, texts

pytestmark = pytest.mark.usefixtures("shop")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def orders(market: FakeMarket, *ids: int, status: str = "PROCESSING", **kw: object) -> None:
    for order_id in ids:
        market.add_order(1001, order_id, status, **kw)


async def send_file(harness: Harness, content: bytes, name: str, mime: str) -> str:
    file_id = harness.telegram.add_file(content)
    return texts(await harness.send(OWNER, None, **document(file_id, len(content), name, mime)))


async def test_a_pasted_list_is_checked_sent_once_and_reported(
    harness: Harness, market: FakeMarket, db: Database
) -> None:
    orders(market, 101, 102, 103)
    orders(market, 104, status="CANCELLED")
    preview = await harness.send(
        OWNER,
        "101 RA123456789RU Почта России\n"
        "102;CDEK-0001;сдэк\n"
        "103\tAB-77\n"  # no service: the order's own (Своя служба доставки)
        "101 RB000000001RU\n"  # the same order again
        "104 X-1\n"  # cancelled
        "999 X-2\n"  # not in the shop
        "105 X-3 Телепорт",  # an unknown service (and an unknown order: the order is checked first)
    )
    shown = texts(preview)
    assert "dbs-shop.example: готово к отправке 3 из 7" in shown
    assert "строка 4 (<code>101</code>): этот заказ уже есть в строке 1" in shown
    assert "строка 5 (<code>104</code>): заказ №104 сейчас «отменён»" in shown
    assert "строка 6 (<code>999</code>): заказ №999 не найден" in shown
    assert "строка 7" in shown
    assert buttons_of(preview) == ["📦 Отправить все (3)", "✖️ Отмена"]
    assert market.calls("setOrderDeliveryTrackCode") == [], "nothing is sent before «Отправить все»"
    # one call for all 7 lines, then the 2 not found are looked for in 3 earlier 30-day windows
    assert len(market.calls("getBusinessOrders")) == 4

    await harness.press_button(OWNER, preview, "Отправить все")
    report = await harness.wait_shown("Пакет отправлен")
    assert "3/3 ✅ · 0 ❌" in report
    sent = sorted(
        (c.path.split("/")[5], c.body["trackCode"], c.body["deliveryServiceId"])
        for c in market.calls("setOrderDeliveryTrackCode")
    )
    assert sent == [("101", "RA123456789RU", 139), ("102", "CDEK-0001", 51), ("103", "AB-77", 1003)]

    again = await harness.press_button(OWNER, preview, "Отправить все")
    await asyncio.sleep(0.2)
    assert len(market.calls("setOrderDeliveryTrackCode")) == 3, "a second press sends nothing"
    assert "Это уже отправлено" in texts(again)
    rows = await db.fetch_all("SELECT status, batch_id, result_owed FROM operations ORDER BY id")
    assert [tuple(r) for r in rows] == [("done", 1, 0)] * 3
    batch = await db.fetch_one("SELECT size, reported FROM batches")
    assert batch is not None and tuple(batch) == (3, 1)


async def test_a_list_takes_look_alike_letters_as_latin_and_refuses_formulas_and_cyrillic(
    harness: Harness, market: FakeMarket
) -> None:
    orders(market, 201, 202, 203)
    preview = await harness.send(OWNER, '201 ВВ-000123\n202 =HYPERLINK("http://evil.example/1")\n203 ПОЧТА-1')
    shown = texts(preview)
    assert "готово к отправке 1 из 3" in shown
    assert "строка 2 (<code>202</code>): Трек-номер не может начинаться с «=»" in shown
    assert "строка 3 (<code>203</code>): Трек-номера пишутся латинскими буквами" in shown
    await harness.press_button(OWNER, preview, "Отправить все")
    await harness.wait_shown("Пакет отправлен")
    [call] = market.calls("setOrderDeliveryTrackCode")
    assert call.body["trackCode"] == "BB-000123"


async def test_each_failure_is_reported_with_the_markets_message(
    harness: Harness, market: FakeMarket
) -> None:
    orders(market, 201, 202, 203)
    market.fail("setOrderDeliveryTrackCode", status=400, message="Track code format is wrong", order_id=202)
    preview = await harness.send(OWNER, "201 A-1\n202 A-2\n203 A-3")
    await harness.press_button(OWNER, preview, "Отправить все")
    report = await harness.wait_shown("Пакет отправлен")
    assert "2/3 ✅ · 1 ❌" in report
    assert "№202 · <code>A-2</code> — Track code format is wrong" in report


async def test_a_line_the_market_could_not_take_now_is_retried_and_the_report_waits_for_it(
    harness: Harness, market: FakeMarket, db: Database
) -> None:
    orders(market, 301, 302)
    market.fail("setOrderDeliveryTrackCode", status=503, message="Service unavailable", order_id=302)
    preview = await harness.send(OWNER, "301 B-1\n302 B-2")
    await harness.press_button(OWNER, preview, "Отправить все")
    report = await harness.wait_shown("Пакет отправлен")
    assert "2/2 ✅ · 0 ❌" in report
    assert (
        len([c for c in market.calls("setOrderDeliveryTrackCode") if c.path.endswith("/302/delivery/track")])
        == 2
    )
    assert len(harness.telegram.sent("sendMessage")) == len(
        {p["text"] for p in harness.telegram.sent("sendMessage")}
    ), "no message twice"
    await asyncio.sleep(0.3)
    reports = [p for p in harness.telegram.sent("sendMessage") if "Пакет отправлен" in str(p["text"])]
    edits = [p for p in harness.telegram.sent("editMessageText") if "Пакет отправлен" in str(p["text"])]
    assert len(reports) + len(edits) == 1, "the report is given once"


async def test_a_csv_in_windows_1251_with_a_header_and_an_xlsx_are_taken(
    harness: Harness, market: FakeMarket
) -> None:
    orders(market, 401, 402, 12345678901)
    csv = "Номер заказа;Трек-номер;Служба доставки\r\n401;RA123456789RU;Почта России\r\n402;CDEK-9;СДЭК\r\n"
    shown = await send_file(harness, csv.encode("cp1251"), "codes.csv", "text/csv")
    assert "готово к отправке 2 из 2" in shown
    assert "401 · Почта России · <code>RA123456789RU</code>" in shown, "each line shown"
    assert "402 · СДЭК · <code>CDEK-9</code>" in shown

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Трек", "Заказ"])  # columns in another order, named by the header
    sheet.append(["TRK-1", 12345678901])  # a number typed as a number
    sheet.append([None, None])
    sheet.append(["TRK-2", 401])
    out = io.BytesIO()
    book.save(out)
    preview_calls = await harness.send(
        OWNER,
        None,
        **document(
            harness.telegram.add_file(out.getvalue()),
            len(out.getvalue()),
            "codes.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
    )
    assert "готово к отправке 2 из 2" in texts(preview_calls)
    await harness.press_button(OWNER, preview_calls, "Отправить все")
    await harness.wait_shown("Пакет отправлен")
    bodies = sorted(c.body["trackCode"] for c in market.calls("setOrderDeliveryTrackCode"))
    assert bodies == ["TRK-1", "TRK-2"]


async def test_bad_files_get_a_clear_answer(harness: Harness) -> None:
    assert "Не получается прочитать файл" in await send_file(
        harness, b"not a zip", "codes.xlsx", "application/octet-stream"
    )
    assert "нет ни одной строки" in await send_file(harness, b"\r\n\r\n", "codes.csv", "text/csv")
    big = await harness.send(OWNER, None, **document("big", 3 * 1024 * 1024, "codes.csv", "text/csv"))
    assert "больше 2 МБ" in texts(big) and not [c for c in big if c.method == "getFile"]


async def test_over_500_lines_is_refused_whole(harness: Harness, market: FakeMarket, db: Database) -> None:
    said = await harness.send(OWNER, "\n".join(f"{1000 + n} T-{n}" for n in range(501)))
    assert "501 строк" in texts(said) and "не больше 500" in texts(said)
    assert market.calls("getBusinessOrders") == []
    assert await db.fetch_one("SELECT 1 FROM operations") is None


async def test_a_file_of_2000_lines_is_refused_saying_2000(harness: Harness, market: FakeMarket) -> None:
    """Reading keeps 550 rows and counts the rest: a courier told «550 строк» splits the file in two
    halves of 1,000 lines and hears «550 строк» again."""
    content = "".join(f"{100_000 + n};RA{n:09d}RU\n" for n in range(2000)).encode()
    said = await send_file(harness, content, "codes.csv", "text/csv")
    assert "В списке 2000 строк" in said and "не больше 500" in said
    assert market.calls("getBusinessOrders") == []


async def test_a_list_pasted_mid_conversation_is_taken_and_ends_it(
    harness: Harness, market: FakeMarket
) -> None:
    orders(market, 501, 502)
    await harness.send(OWNER, "/track 501")
    preview = await harness.send(OWNER, "501 C-1\n502 C-2")
    assert "готово к отправке 2 из 2" in texts(preview)
    assert "📦 Отправить все (2)" in buttons_of(preview)


async def test_history_shows_a_batch_as_one_entry_that_opens_to_its_lines(
    harness: Harness, market: FakeMarket
) -> None:
    orders(market, 601, 602)
    preview = await harness.send(OWNER, "601 D-1\n602 D-2")
    await harness.press_button(OWNER, preview, "Отправить все")
    await harness.wait_shown("Пакет отправлен")
    history = await harness.send(OWNER, "/history")
    assert "📦 пакет: 2 трек-номера · 2 ✅ · 0 ❌" in texts(history)
    assert "D-1" not in texts(history), "its lines are not listed one by one"
    opened = await harness.press_button(OWNER, history, "📦")
    assert "№601" in texts(opened) and "D-1" in texts(opened) and "№602" in texts(opened)


async def test_a_courier_may_not_open_the_owners_batch(
    harness: Harness, market: FakeMarket, db: Database
) -> None:
    from tests.conftest import add_courier

    orders(market, 701)
    preview = await harness.send(OWNER, "701 E-1")
    await harness.press_button(OWNER, preview, "Отправить все")
    await harness.wait_shown("Пакет отправлен")
    await add_courier(db, harness.box, 1, COURIER)
    forged = await harness.press(COURIER, BatchCD(id=1, shop_id=1).pack())
    assert "устарела" in texts(forged) and "E-1" not in texts(forged)
    stranger = await harness.press(STRANGER, BatchCD(id=1, shop_id=1).pack())
    assert "нет доступа" in texts(stranger)
    owner = await harness.press(OWNER, BatchCD(id=1, shop_id=1).pack())
    assert "E-1" in texts(owner)


async def test_a_batch_does_not_keep_a_courier_sending_one_code_waiting(
    harness: Harness, market: FakeMarket, db: Database
) -> None:
    from tests.conftest import add_courier

    await add_courier(db, harness.box, 1, COURIER)
    orders(market, *range(800, 840))
    orders(market, 42)
    preview = await harness.send(OWNER, "\n".join(f"{n} F-{n}" for n in range(800, 840)))
    market.latency = 0.05  # 40 lines on 2 slots: about 1 s
    market.check_responses = False  # spare the fake's CPU (responses are checked in the other tests)
    await harness.press_button(OWNER, preview, "Отправить все")
    card = await harness.send(COURIER, "/track 42")
    await harness.press_button(COURIER, card, "СДЭК")
    confirm = await harness.send(COURIER, "SOLO-1")
    await harness.press_button(COURIER, confirm, "Отправить")
    await harness.wait_shown("Пакет отправлен")
    writes = [c.body["trackCode"] for c in market.calls("setOrderDeliveryTrackCode")]
    assert writes.index("SOLO-1") < len(writes) - 12, f"the courier waited for the batch: {writes}"
    progress = [
        str(p["text"]) for p in harness.telegram.sent("editMessageText") if "Пакет:" in str(p["text"])
    ]
    assert 1 <= len(progress) <= 3, "the progress message is edited about once a second"
    assert re.search(r"\d+/40 ✅ · 0 ❌ · 0 ⏳", progress[0])
    assert market.rejected_parallel == 0 and market.max_in_flight[harness_key(db)] <= 2


def harness_key(_: Database) -> str:
    from tests.conftest import OWNER_KEY

    return OWNER_KEY


async def test_a_failing_answer_to_the_press_loses_nothing_and_a_forged_press_sends_nothing(
    harness: Harness, market: FakeMarket, db: Database
) -> None:
    orders(market, 901, 902)
    preview = await harness.send(OWNER, "901 G-1\n902 G-2")
    data, _ = find_button(preview, "Отправить все")
    forged = await harness.press(STRANGER, data)
    assert "нет доступа" in texts(forged)
    harness.telegram.fail("answerCallbackQuery", 502, "Bad Gateway")
    harness.telegram.fail("editMessageText", 500, "Internal Server Error")
    update = harness.callback_update(OWNER, data)
    await harness.feed(update)
    await harness.feed(update)  # the same press delivered twice
    report = await harness.wait_shown("Пакет отправлен")
    assert "2/2 ✅" in report
    assert len(market.calls("setOrderDeliveryTrackCode")) == 2
    row = await db.fetch_one("SELECT count(*) FROM batches")
    assert row is not None and row[0] == 1


async def waiting_for_retry(db: Database, count: int) -> None:
    """Until `count` lines were tried once and wait for their retry (the batch is still sending)."""
    for _ in range(250):
        row = await db.fetch_one("SELECT count(*) FROM operations WHERE status = 'pending' AND attempts = 1")
        if row is not None and row[0] == count:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the lines were not tried")


async def test_a_list_sent_again_while_the_first_is_still_sending_is_not_offered_twice(
    harness: Harness, market: FakeMarket, db: Database
) -> None:
    orders(market, 1101, 1102, 1103)
    market.fail("setOrderDeliveryTrackCode", times=2, status=503, retry_after="600")
    first = await harness.send(OWNER, "1101 H-1\n1102 H-2")
    await harness.press_button(OWNER, first, "Отправить все")
    await waiting_for_retry(db, 2)

    again = await harness.send(OWNER, "1101 H-1\n1102 H-9\n1103 H-3")
    shown = texts(again)
    assert "готово к отправке 1 из 3" in shown
    assert "строка 1 (<code>1101</code>): этот трек-номер для заказа №1101 уже отправляется" in shown
    assert (
        "строка 2 (<code>1102</code>): для заказа №1102 уже отправляется другой трек-номер: <code>H-2</code>"
        in (shown)
    )
    assert buttons_of(again) == ["📦 Отправить все (1)", "✖️ Отмена"]
    await harness.press_button(OWNER, again, "Отправить все")
    await harness.wait_shown("Пакет отправлен</b>: 1/1")
    posted = [c.path.split("/")[5] for c in market.calls("setOrderDeliveryTrackCode")]
    assert sorted(posted) == ["1101", "1102", "1103"], "each order one POST (two of them wait for a retry)"


async def test_two_previews_of_one_list_confirmed_one_after_the_other_send_each_order_once(
    harness: Harness, market: FakeMarket, db: Database
) -> None:
    from tests.conftest import add_courier

    await add_courier(db, harness.box, 1, COURIER)
    orders(market, 1201, 1202, 1203)
    by_owner = await harness.send(OWNER, "1201 K-1\n1202 K-2")
    by_courier = await harness.send(COURIER, "1201 K-1\n1202 K-7\n1203 K-3")
    assert "готово к отправке 3 из 3" in texts(by_courier), "both previews were made before either was sent"
    market.fail("setOrderDeliveryTrackCode", times=2, status=503, retry_after="600")
    await harness.press_button(OWNER, by_owner, "Отправить все")
    await waiting_for_retry(db, 2)

    pressed = texts(await harness.press_button(COURIER, by_courier, "Отправить все"))
    assert "Отправляю пакет: 1 трек-номер…" in pressed
    assert "Не отправлены строки (2)" in pressed and "№1201, №1202." in pressed
    await harness.wait_shown("Пакет отправлен</b>: 1/1")
    posted = sorted(c.path.split("/")[5] for c in market.calls("setOrderDeliveryTrackCode"))
    assert posted == ["1201", "1202", "1203"], "the courier's lines for orders on their way were left out"


async def test_a_list_confirmed_after_another_sent_its_orders_sends_none_of_them_again(
    harness: Harness, market: FakeMarket, db: Database
) -> None:
    from tests.conftest import add_courier

    await add_courier(db, harness.box, 1, COURIER)
    orders(market, 1301, 1302)
    by_owner = await harness.send(OWNER, "1301 L-1\n1302 L-2")
    by_courier = await harness.send(COURIER, "1301 L-1\n1302 L-2")
    await harness.press_button(OWNER, by_owner, "Отправить все")
    await harness.wait_shown("Пакет отправлен</b>: 2/2")

    pressed = texts(await harness.press_button(COURIER, by_courier, "Отправить все"))
    assert "Не отправлены строки (2)" in pressed and "Отправляю" not in pressed
    assert len(market.calls("setOrderDeliveryTrackCode")) == 2
    row = await db.fetch_one("SELECT count(*) FROM batches")
    assert row is not None and row[0] == 1, "nothing left to send: no batch"


async def test_a_line_that_replaces_an_orders_track_code_says_which(
    harness: Harness, market: FakeMarket
) -> None:
    orders(market, 1401, tracks=[{"trackCode": "OLD-1", "deliveryServiceId": 1003}])
    orders(market, 1402)
    shown = texts(await harness.send(OWNER, "1401 NEW-1\n1402 NEW-2"))
    assert "готово к отправке 2 из 2" in shown
    assert "Заменят трек-номер, который уже стоит в заказе (1):" in shown
    assert "строка 1 (<code>1401</code>): заменит <code>OLD-1</code>" in shown
    assert "(<code>1402</code>)" not in shown, "an order without a track code replaces nothing"


async def test_a_workbook_too_large_inside_is_refused_clearly_while_others_are_answered(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file's reader is held (as a slow file would hold it) until another user has been answered:
    reading happens off the event loop. Then its sender is told why it is refused."""
    entered, release = asyncio.Event(), asyncio.Event()
    real_start = asyncio.create_subprocess_exec

    async def held(*args: Any, **kwargs: Any) -> asyncio.subprocess.Process:
        entered.set()
        await release.wait()
        return await real_start(*args, **kwargs)

    # 9 MiB of shared string packed into a few kilobytes
    bomb = workbook([b'<row r="1"><c t="s"><v>0</v></c></row>'], [b"<si><t>", b"A" * 9 * 2**20, b"</t></si>"])
    monkeypatch.setattr(asyncio, "create_subprocess_exec", held)
    sending = asyncio.create_task(send_file(harness, bomb, "codes.xlsx", XLSX))
    async with asyncio.timeout(10):  # the reader starts no worker: it reads the file here
        await entered.wait()
    other = await harness.send(STRANGER, "/start")
    release.set()
    refused = await sending
    assert texts(other), "another user is answered while the file is being read"
    answers = [c.params["chat_id"] for c in harness.telegram.calls if c.method == "sendMessage"]
    assert answers.index(STRANGER) < answers.index(OWNER)
    assert "слишком велик внутри" in refused and "8 МБ" in refused


async def test_a_table_file_is_read_in_a_process_of_its_own(
    harness: Harness, market: FakeMarket, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Neither on the event loop nor in a thread sharing its GIL: one call into expat may hold that
    for seconds (a tag of 600,000 attributes held it 1.3 s). Read in this process, this would fail."""

    def not_here(*args: object, **kwargs: object) -> NoReturn:
        raise AssertionError("a table file was read in the bot's own process")

    monkeypatch.setattr(xlsx, "visible_rows", not_here)
    orders(market, 401)
    shown = await send_file(harness, workbook([row(1, "401", "RA123456789RU")]), "codes.xlsx", XLSX)
    assert "готово к отправке 1 из 1" in shown


async def test_a_workbook_named_csv_is_read_as_a_workbook(harness: Harness, market: FakeMarket) -> None:
    """Saved or renamed as .csv, it used to be read as Windows-1251 text: lines of «@Ц#ъ>ЛКЎЉ…»."""
    orders(market, 421, 422)
    book = workbook([row(1, "421", "RA123456789RU"), row(2, "422", "RA123456780RU")])
    assert "готово к отправке 2 из 2" in await send_file(harness, book, "codes.csv", "text/csv")


async def test_excel_unicode_text_and_a_csv_with_old_mac_line_ends_get_the_usual_preview(
    harness: Harness, market: FakeMarket
) -> None:
    orders(market, 411, 412)
    unicode_text = (
        "Номер заказа\tТрек-номер\tСлужба доставки\r\n"
        "411\tRA123456789RU\tПочта России\r\n"
        "412\tCDEK-9\tСДЭК\r\n"
    )
    shown = await send_file(harness, unicode_text.encode("utf-16"), "codes.txt", "text/plain")
    assert "готово к отправке 2 из 2" in shown
    old_mac = "411;RA123456789RU;Почта России\r412;CDEK-9;СДЭК\r"
    assert "готово к отправке 2 из 2" in await send_file(
        harness, old_mac.encode("cp1251"), "codes.csv", "text/csv"
    )
    huge_field = b"411;" + b"A" * 200_000 + b"\r\n"
    assert "Не получается прочитать файл" in await send_file(harness, huge_field, "codes.csv", "text/csv")


async def test_a_list_pasted_from_notes_is_read_and_its_odd_line_named(
    harness: Harness, market: FakeMarket
) -> None:
    orders(market, 1501, 1502, 1503)
    shown = texts(
        await harness.send(
            OWNER,
            "Заказ\tТрек\n"  # the header of a table it was copied from
            "1. 1501 — RA123456789RU\n"
            "2) 1502: 1234 5678 90\n"
            "• 1503 - B-3\n"
            "и ещё один завтра",
        )
    )
    assert "готово к отправке 3 из 4" in shown
    assert "строка 5 (<code>и ещё один завтра</code>): не понял строку" in shown
    assert "записаны не так, как в списке (1)" in shown
    assert "строка 3 (<code>1502</code>): «1234 5678 90» → <code>1234567890</code>" in shown


async def test_the_same_list_sent_once_more_after_it_went_says_there_is_nothing_to_do(
    harness: Harness, market: FakeMarket
) -> None:
    orders(market, 1601, 1602)
    preview = await harness.send(OWNER, "1601 D-1\n1602 D-2")
    await harness.press_button(OWNER, preview, "Отправить все")
    await harness.wait_shown("Пакет отправлен</b>: 2/2")
    again = texts(await harness.send(OWNER, "1601 D-1\n1602 D-2"))
    assert "✅ Всё из этого списка уже в Маркете" in again and "исправьте строки" not in again


async def test_an_older_preview_pressed_after_a_newer_list_says_which_to_press(
    harness: Harness, market: FakeMarket
) -> None:
    orders(market, 1701, 1702)
    old = await harness.send(OWNER, "1701 E-1\n1702 E-9")
    await harness.send(OWNER, "1701 E-1\n1702 E-2")  # corrected
    said = await harness.press_button(OWNER, old, "Отправить все")
    assert "заменён более новым" in str([c.params for c in said])
    assert market.calls("setOrderDeliveryTrackCode") == []


async def test_a_spreadsheet_the_bot_cannot_read_gets_how_to_save_it(harness: Harness) -> None:
    said = await send_file(harness, b"\xd0\xcf\x11\xe0", "codes.xls", "application/vnd.ms-excel")
    assert "Читаю таблицы CSV и XLSX" in said


async def test_a_workbook_with_a_title_row_and_a_date_column_finds_its_columns(
    harness: Harness, market: FakeMarket
) -> None:
    orders(market, 1801, 1802)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Отгрузка на 25.11"])
    sheet.append(["№ заказа", "Дата доставки", "Покупатель", "Трек-номер", "Служба"])
    sheet.append([1801, "25.11.2026", "Иванов", "RA123456789RU", "Почта России"])
    sheet.append([1802, "25.11.2026", "Петров", "1234567890", "СДЭК"])
    out = io.BytesIO()
    book.save(out)
    shown = await send_file(harness, out.getvalue(), "отгрузка.xlsx", XLSX)
    assert "готово к отправке 2 из 2" in shown


async def test_a_long_report_cut_by_telegram_goes_on_from_the_part_that_failed(
    harness: Harness, db: Database
) -> None:
    """A report of many refused lines takes several messages; Telegram refusing one in the middle (a
    flood wait, a 5xx) must not make the worker send the parts already delivered again."""
    from tests.unit.test_bulk_views import BATCH, failed_line

    batch = BATCH.model_copy(update={"user_id": OWNER, "message_id": 77})
    summary = BatchSummary(batch=batch, done=0, failed=150, retrying=0, waiting=0)
    failed = [failed_line(n) for n in range(150)]
    harness.telegram.fail("sendMessage", 502, "Bad Gateway")  # the second part, after the edited first
    notifier = harness.deps.notifier
    assert await notifier.batch_report(summary, failed) is False
    assert await notifier.batch_report(summary, failed) is True
    edits = [c for c in harness.telegram.calls if c.method == "editMessageText"]
    sends = [c.params["text"] for c in harness.telegram.calls if c.method == "sendMessage"]
    assert len(edits) == 1, "the first part is not shown again"
    assert len(sends) == len(set(sends)) + 1, "only the refused part is sent twice (refused, then taken)"
    assert sends[0] == sends[1]
