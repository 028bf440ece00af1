"""No silence while the Market is slow: «typing…», then one line saying so (taken away when the answer
comes). The delays are shortened here; the fake Market's latency makes the handlers wait."""

from __future__ import annotations

import pytest

from bot.telegram.waiting import Waiting
from tests.fakes.market import FakeMarket
from tests.fakes.telegram import Call
from tests.handlers.conftest import OWNER, Harness, texts

pytestmark = pytest.mark.usefixtures("shop")
SLOW_LINE = "Маркет отвечает медленно"


def waiting_signs(calls: list[Call]) -> tuple[int, int]:
    """How many «typing…» actions and waiting lines the user was shown."""
    typing = sum(1 for c in calls if c.method == "sendChatAction" and c.params.get("action") == "typing")
    lines = sum(1 for c in calls if c.method == "sendMessage" and SLOW_LINE in str(c.params.get("text")))
    return typing, lines


async def test_a_slow_market_shows_typing_then_one_line(
    harness: Harness, market: FakeMarket, monkeypatch: pytest.MonkeyPatch
) -> None:
    market.add_order(1001, 42, "PROCESSING")
    quick = await harness.send(OWNER, "/order 42")
    assert waiting_signs(quick) == (0, 0), "a quick answer comes alone"

    monkeypatch.setattr(Waiting, "typing_after", 0.02)
    monkeypatch.setattr(Waiting, "line_after", 0.1)
    market.latency = 0.3
    confirm = await harness.press_button(OWNER, quick, "Передан в доставку")
    sent = await harness.press_button(OWNER, confirm, "Отправить")  # the Market's write, slow
    typing, lines = waiting_signs(sent)
    assert typing >= 1 and lines == 1
    assert "✅ Заказ №42" in texts(sent)
    assert [c.method for c in sent].count("deleteMessage") == 1, "the waiting line goes once the answer is in"
