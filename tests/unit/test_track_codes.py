"""Which barcode on a label is the track code (and which is an order number)."""

from __future__ import annotations

import pytest

from bot.domain.parsing import parse_track_code
from bot.domain.track_codes import Scanned, order_numbers, rank_track_codes

EAN = Scanned("4601234567893", "EAN-13")


@pytest.mark.parametrize(
    ("service", "read", "expected"),
    [
        # the service's own shape wins over everything else on the label
        (
            "Почта России",
            [EAN, Scanned("80081234567890", "Code 128"), Scanned("ZX-1", "QR Code")],
            ["80081234567890"],
        ),
        ("Почта России", [Scanned("RA123456789RU", "Code 39")], ["RA123456789RU"]),
        ("СДЭК", [Scanned("55667788", "Code 128"), Scanned("1234567890", "Code 128")], ["1234567890"]),
        ("DPD", [Scanned("RU012345678", "Code 128")], ["RU012345678"]),
        # nothing fits the rule: what is left, best first; links and product codes are left out
        (
            "Своя служба доставки",
            [
                Scanned("https://shop.example/o/1", "QR Code"),
                EAN,
                Scanned("TBX-99-1", "Code 128"),
                Scanned("AB12345678", "Code 128"),
            ],
            ["AB12345678", "TBX-99-1"],
        ),
        # an international code is a track code whatever the service
        (
            "Boxberry",
            [
                Scanned("5566", "Code 128"),
                Scanned("RA123456789RU", "QR Code"),
                Scanned("ABCDE-7", "Code 128"),
            ],
            ["RA123456789RU", "ABCDE-7"],
        ),
        # the same code twice (two passes, or QR and Code 128 of one code) is offered once
        ("СДЭК", [Scanned("1234567890", "QR Code"), Scanned("1234567890", "Code 128")], ["1234567890"]),
        # a code the typed-code parser refuses is never offered: Cyrillic, or starting like a formula
        ("СДЭК", [Scanned("RЖ123456789RU", "Code 128"), Scanned("-1234567890", "Code 128")], []),
        (
            "Своя служба",
            [Scanned("=HYPERLINK(1234567890)", "QR Code"), Scanned("+1234567890", "QR Code")],
            [],
        ),
        # and what it reads as Latin is offered in Latin (a Cyrillic А and В, drawn like A and B)
        ("Почта России", [Scanned("RА123456789RU", "QR Code")], ["RA123456789RU"]),
        ("Своя служба", [Scanned("ВВ-000123", "QR Code")], ["BB-000123"]),
        ("СДЭК", [], []),
    ],
)
def test_candidates_are_ranked_by_the_services_rule(
    service: str, read: list[Scanned], expected: list[str]
) -> None:
    assert rank_track_codes(read, service, order_id=42) == expected


def test_a_buyers_personal_data_on_the_label_is_never_offered() -> None:
    read = [
        Scanned("Иванов Иван Иванович, ул. Ленина 1", "QR Code"),
        Scanned("+79001234567", "QR Code"),
        Scanned("89001234567", "Code 128"),
        Scanned("9161234567", "QR Code"),  # without the 7 or 8: as many QR codes hold a phone
        Scanned("NAME:IVANOV;TEL:79001234567", "QR Code"),
        Scanned("XK-12345", "Code 128"),
    ]
    assert rank_track_codes(read, "Своя служба доставки", order_id=42) == ["XK-12345"]


def test_a_mobile_number_without_its_prefix_is_never_offered_even_where_10_digits_fit() -> None:
    read = [Scanned("9161234567", "QR Code"), Scanned("9001234567", "Code 128")]
    assert rank_track_codes(read, "СДЭК", order_id=42) == []
    assert rank_track_codes([*read, Scanned("1161234567", "Code 128")], "СДЭК", order_id=42) == ["1161234567"]
    assert parse_track_code("9161234567") == "9161234567", "typed, it is taken: the courier knows"


def test_a_product_barcode_is_never_offered_even_when_its_digits_fit() -> None:
    assert rank_track_codes([EAN], "5Post", order_id=42) == []


def test_the_order_number_itself_is_never_offered() -> None:
    read = [
        Scanned("4242424242", "Code 128"),
        Scanned("0004242424242", "Code 128"),
        Scanned("CD-77", "Code 93"),
    ]
    assert rank_track_codes(read, "СДЭК", order_id=4242424242) == ["CD-77"]


def test_order_numbers_are_the_digit_only_codes() -> None:
    read = [
        Scanned("RA123456789RU", "QR Code"),
        Scanned("#55501", "Code 128"),
        Scanned("55501", "Code 128"),
        Scanned("00", "Code 128"),
        Scanned("9" * 30, "Code 128"),
        EAN,  # a product, not an order
    ]
    assert order_numbers(read) == [55501]
