"""Counts agree with their words in both languages: «1 трек-номер», «4 трек-номера», «5 трек-номеров».

A number written right before a word must pick the word through Fluent's plural selector on that
number (ru: one/few/many, en: one/other); a count shown after a label («Заказов: 5») needs none.
Every text is rendered with counts 0, 1, 2, 5, 11, 21 and 101 in both languages.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from fluent.syntax import FluentParser, ast

from bot.telegram.i18n import LANGUAGES, LOCALES_DIR, Catalogue

COUNTS = (0, 1, 2, 5, 11, 21, 101)
# The variables the code fills with a count.
NUMERIC = {"count", "size", "total", "ready", "done", "failed", "retrying", "waiting", "hours", "minutes"}
NUMERIC |= {"pending", "limit", "items", "page", "pages", "line", "days", "left_count"}
# Words that may follow a number in any form: prepositions, "more", units written short.
AGREE_ALWAYS = {"из", "of", "more", "ready", "will", "ч", "ч.", "мин", "h", "h.", "min", "×", "—"}
WORD_AFTER = re.compile(r"^\s+([^\s{}<>()·:,.;!?…]+)")


def _messages(lang: str) -> list[ast.Message]:
    return [
        e
        for path in sorted((LOCALES_DIR / lang).glob("*.ftl"))
        for e in FluentParser().parse(path.read_text("utf-8")).body
        if isinstance(e, ast.Message)
    ]


def _unagreed(pattern: ast.Pattern, selected: frozenset[str] = frozenset()) -> list[str]:
    """`{ $n } word` with no selector on $n around it: the word cannot agree with every n."""
    found = []
    elements = pattern.elements
    for i, element in enumerate(elements):
        if not isinstance(element, ast.Placeable):
            continue
        inner = element.expression
        if isinstance(inner, ast.SelectExpression):
            on = inner.selector.id.name if isinstance(inner.selector, ast.VariableReference) else None
            for variant in inner.variants:
                found += _unagreed(variant.value, selected | ({on} if on else set()))
            continue
        if not isinstance(inner, ast.VariableReference) or inner.id.name not in NUMERIC:
            continue
        if inner.id.name in selected or i + 1 >= len(elements):
            continue
        after = elements[i + 1]
        if isinstance(after, ast.TextElement) and (m := WORD_AFTER.match(after.value)):
            word = m.group(1)
            if word not in AGREE_ALWAYS and any(c.isalpha() for c in word):
                found.append(f"{{ ${inner.id.name} }} {word}")
        elif isinstance(after, ast.TextElement) is False and isinstance(after, ast.Placeable):
            nxt = after.expression
            if isinstance(nxt, ast.SelectExpression) and not (
                isinstance(nxt.selector, ast.VariableReference) and nxt.selector.id.name == inner.id.name
            ):
                found.append(f"{{ ${inner.id.name} }} followed by a select on something else")
    return found


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_number_before_a_word_picks_the_word_by_its_plural_form(lang: str) -> None:
    unagreed = {
        m.id.name: found for m in _messages(lang) if m.value is not None and (found := _unagreed(m.value))
    }
    assert unagreed == {}


def test_the_check_finds_a_word_that_does_not_agree() -> None:
    source = "a = Пакет: { $size } трек-номеров\nb = Заказов: { $count }\nc = ещё { $count } из { $total }\n"
    body = [e for e in FluentParser().parse(source).body if isinstance(e, ast.Message)]
    assert [_unagreed(m.value) for m in body if m.value is not None] == [["{ $size } трек-номеров"], [], []]


def _variables(pattern: ast.Pattern) -> set[str]:
    names: set[str] = set()
    for element in pattern.elements:
        if isinstance(element, ast.Placeable):
            inner = element.expression
            if isinstance(inner, ast.VariableReference):
                names.add(inner.id.name)
            elif isinstance(inner, ast.SelectExpression):
                if isinstance(inner.selector, ast.VariableReference):
                    names.add(inner.selector.id.name)
                for variant in inner.variants:
                    names |= _variables(variant.value)
    return names


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_text_renders_with_every_count(lang: str, caplog: pytest.LogCaptureFixture) -> None:
    catalogue = Catalogue()
    counted = 0
    for message in _messages(lang):
        if message.value is None:
            continue
        names = _variables(message.value)
        if not names & NUMERIC:
            continue
        counted += 1
        for n in COUNTS:
            args = {name: n if name in NUMERIC else "x" for name in names}
            text = catalogue.render(lang, message.id.name, args)
            assert "{???}" not in text, (message.id.name, n, text)
    assert counted > 30, "the walk sees the counted texts"
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


@pytest.mark.parametrize(
    ("key", "args", "texts"),
    [
        ("bulk-started", "size", ["0 трек-номеров", "1 трек-номер…", "2 трек-номера", "5 трек-номеров"]),
        ("bulk-too-many", "count", ["21 строка,", "101 строка,", "11 строк,", "2 строки,"]),
        ("bulk-preview-send", "count", ["уйдёт 1.", "уйдут 2.", "уйдёт 21.", "уйдут 11."]),
        ("scan-several", "count", ["2 кода, похожих", "5 кодов, похожих", "21 код, похожий"]),
    ],
)
def test_russian_counts_agree(key: str, args: str, texts: list[str]) -> None:
    t = Catalogue().texts("ru")
    rendered = " | ".join(t.plain(key, **{args: n, "limit": 500, "shop": "S"}) for n in COUNTS)
    for text in texts:
        assert text in rendered


def test_the_files_are_where_the_catalogue_reads_them() -> None:
    assert {p.parent.name for p in Path(LOCALES_DIR).glob("*/bot.ftl")} == set(LANGUAGES)
    for lang in LANGUAGES:  # each topic's file exists in every language
        assert {p.name for p in (LOCALES_DIR / lang).glob("*.ftl")} == {"bot.ftl", "chats.ftl"}
