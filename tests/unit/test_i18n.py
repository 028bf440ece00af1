"""The catalogue: both languages complete, every key the code uses exists, values escaped."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.domain.alerts import Answer, Switch
from bot.domain.records import Role
from bot.market.models import OrderStatus
from bot.telegram.i18n import Catalogue, language_of

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return Catalogue()


def test_languages_have_the_same_keys(catalogue: Catalogue) -> None:
    assert catalogue.keys("ru") == catalogue.keys("en")


def test_every_key_used_in_code_exists(catalogue: Catalogue) -> None:
    source = "\n".join(p.read_text() for d in ("bot", "handlers") for p in (ROOT / d).rglob("*.py"))
    used = set(re.findall(r'\bt\("([a-z0-9-]+)"', source))
    used |= set(re.findall(r'InputError\("([a-z0-9-]+)"\)', source))
    used |= set(re.findall(r'"([a-z]+(?:-[a-z0-9]+)+)"', source)) & catalogue.keys("ru")
    used |= {f"status-{s.value}" for s in OrderStatus} | {f"weekday-{n}" for n in range(7)}
    used |= {f"team-member-{r.value}" for r in Role} | {f"role-{r.value}" for r in Role}
    used |= {f"answer-{a.value}" for a in Answer}
    used |= {f"alerts-{s.value}" for s in Switch} | {f"button-alerts-{s.value}" for s in Switch}
    assert used - catalogue.keys("ru") == set()
    assert len(used) > 80


@pytest.mark.parametrize(
    ("code", "lang"), [("en", "en"), ("en-GB", "en"), ("ru", "ru"), ("uk", "ru"), (None, "ru")]
)
def test_language_choice(code: str | None, lang: str) -> None:
    assert language_of(code) == lang


def test_values_are_escaped_once_and_ids_not_grouped(catalogue: Catalogue) -> None:
    t = catalogue.texts("ru")
    text = t("track-confirm", id=9_007_199_254_740_993, service="A&B", code="<script>")
    assert "9007199254740993" in text and "&lt;script&gt;" in text and "A&amp;B" in text
    nested = t("history-line", when="1", id=2, what=t("history-track", code="<x>", service="S"), result="ok")
    assert "&lt;x&gt;" in nested and "&amp;lt;" not in nested
