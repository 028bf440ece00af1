"""Bulk texts fit Telegram however long the list: every line is shown whole, across messages or pages."""

from __future__ import annotations

import datetime as dt

from bot.domain.operations import Failure, TrackCode
from bot.domain.records import Batch, BatchSummary, Operation, OperationStatus
from bot.services.bulk import BadLine, Preview, ReadyLine
from bot.telegram.i18n import Catalogue
from bot.telegram.views import (
    MESSAGE_LIMIT,
    batch_lines_text,
    batch_report_texts,
    bulk_preview_texts,
    failure_text,
    order_tails,
)

NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
t = Catalogue.default().texts("ru")
BATCH = Batch(id=1, user_id=1, shop_id=1, size=500, message_id=None, reported=False, created_at=NOW)


def failed_line(n: int) -> Operation:
    return Operation(
        id=n,
        user_id=1,
        shop_id=1,
        order_id=10**12 + n,
        action=TrackCode(track_code=f"{n:0>64}", delivery_service_id=51),
        status=OperationStatus.FAILED,
        attempts=1,
        last_error=Failure(400, "BAD_REQUEST", "Очень длинное объяснение Маркета " * 20).to_json(),
        idempotency_key=None,
        next_attempt_at=None,
        created_at=NOW,
        updated_at=NOW,
        batch_id=1,
    )


def test_a_preview_of_500_bad_lines_names_the_first_and_counts_the_rest_in_few_messages() -> None:
    bad = [BadLine(n, "9" * 40, "bulk-not-found", {"id": "9" * 19}) for n in range(1, 500)]
    ready = [ReadyLine(500, 42, "RA123456789RU", 139, "Почта России")]
    texts = bulk_preview_texts(t, Preview(ready, bad), "shop.example")
    assert len(texts) <= 2 and all(len(x) <= MESSAGE_LIMIT for x in texts)
    joined = "\n".join(texts)
    assert all(f"строка {n} " in joined for n in range(1, 41)) and "строка 41 " not in joined
    assert "…и ещё строк: 459" in joined
    assert "уйдёт 1" in texts[-1]


def test_a_report_of_500_failures_lists_each_with_the_markets_message() -> None:
    failed = [failed_line(n) for n in range(500)]
    summary = BatchSummary(batch=BATCH, done=0, failed=500, retrying=0, waiting=0)
    texts = batch_report_texts(t, summary, failed)
    assert all(len(x) <= MESSAGE_LIMIT for x in texts)
    joined = "\n".join(texts)
    assert all(f"№{10**12 + n} " in joined for n in range(500))
    assert joined.count("— Очень длинное объяснение Маркета") == 500  # clipped, one per line


def test_the_lines_of_a_batch_page_through_whole() -> None:
    lines = [failed_line(n) for n in range(150)]
    first, pages = batch_lines_text(t, BATCH, lines, {51: "СДЭК"}, 0)
    shown = [batch_lines_text(t, BATCH, lines, {51: "СДЭК"}, p)[0] for p in range(pages)]
    assert shown[0] == first and all(len(x) <= MESSAGE_LIMIT for x in shown)
    joined = "\n".join(shown)
    assert pages > 1 and all(f"№{10**12 + n} " in joined for n in range(150))
    assert f"стр. {pages} из {pages}" in shown[-1]


def test_lines_replacing_a_track_code_are_listed_bounded() -> None:
    ready = [ReadyLine(n, 10**18 + n, f"NEW-{n}", 51, "СДЭК", replaces=f"{n:0>64}") for n in range(1, 501)]
    texts = bulk_preview_texts(t, Preview(ready, []), "shop.example")
    joined = "\n".join(texts)
    assert "Заменят трек-номер, который уже стоит в заказе (500):" in joined
    assert joined.count("заменит <code>") == 20 and "…и ещё строк: 480" in joined
    assert f"строка 1 (<code>{10**18 + 1}</code>): заменит <code>{1:0>64}</code>" in joined
    assert len(texts) == 1 and len(texts[0]) <= MESSAGE_LIMIT


def test_the_bots_own_reasons_are_told_in_the_users_language_not_as_the_markets() -> None:
    removed = Failure(None, "CANCELLED", "cancelled: the courier was removed from the team")
    line = failed_line(1).model_copy(update={"last_error": removed.to_json()})
    summary = BatchSummary(batch=BATCH, done=0, failed=1, retrying=0, waiting=0)
    [report] = batch_report_texts(t, summary, [line])
    assert "курьера удалили из команды" in report and "the courier was removed" not in report
    said = failure_text(t, Failure(None, "TIMEOUT", "Market did not answer in time (TimeoutError)"))
    assert said.startswith("❌ Не отправлено: Маркет не ответил вовремя.") and "TimeoutError" not in said
    english = failure_text(Catalogue.default().texts("en"), removed)
    assert english.startswith("❌ Not sent: the courier was removed from the team")


def test_a_short_preview_lists_each_line_by_the_end_of_its_order_number_with_its_service() -> None:
    ready = [
        ReadyLine(1, 4_000_017, "RU123456789017", 51, "DPD"),
        ReadyLine(2, 4_001_017, "CD-2", 52, "СДЭК"),  # the same last three digits: four tell them apart
        ReadyLine(3, 4_000_123, "CD-3", 52, "СДЭК"),
    ]
    [text] = bulk_preview_texts(t, Preview(ready, []), "shop.example")
    assert "…0017 · DPD · <code>RU123456789017</code>" in text
    assert "…1017 · СДЭК · <code>CD-2</code>" in text
    assert "…0123 · СДЭК · <code>CD-3</code>" in text
    assert "уйдут 3" in text


def test_a_long_preview_counts_the_lines_per_service() -> None:
    services = ["DPD"] * 7 + ["СДЭК"] * 5 + [f"Служба {n}" for n in range(12)]
    ready = [ReadyLine(n, 10**6 + n, f"C-{n}", 50 + n, name) for n, name in enumerate(services)]
    [text] = bulk_preview_texts(t, Preview(ready, []), "shop.example")
    assert "• DPD: 7" in text and "• СДЭК: 5" in text
    assert text.count("• Служба") == 8 and "• другие службы: 4" in text
    assert "C-1" not in text


def test_order_tails_are_as_short_as_tells_them_apart() -> None:
    assert order_tails([123, 4_000_017]) == {123: "123", 4_000_017: "…017"}
    assert order_tails([4_000_017, 5_000_017]) == {4_000_017: "4000017", 5_000_017: "5000017"}
    assert order_tails([14_000_017, 15_000_017]) == {14_000_017: "…4000017", 15_000_017: "…5000017"}
