"""Which of the barcodes read off a parcel label is the track code, and which number is an order's.

A label carries several barcodes: the carrier's track code, the shop's or the Market's order number,
a product's EAN-13, sometimes a QR code with a link. Candidates are checked by the same parser as a
typed code and ranked by how much they look like a track code of the chosen service:

| service (name contains)  | what its track codes look like                                   |
| ------------------------ | ---------------------------------------------------------------- |
| «почта» (Почта России)   | 14 digits (`80081234567890`) or the UPU form `RA123456789RU`      |
| «сдэк» / «cdek»          | 10 digits (`1234567890`)                                          |
| «boxberry»               | 2-4 Latin letters and 8-12 digits, or 12-16 digits               |
| «dpd»                    | `RU` and 9-12 digits, or 8-14 digits                              |
| «5post»                  | 10-20 digits                                                      |
| «яндекс»                 | `LO-` or `LOG-` and digits, or 8-20 letters and digits            |

A code in the UPU form is a track code whatever the service. Only 5 to 40 Latin letters, digits and
`-` make a candidate: a link, or a label's QR code with the buyer's name, address or phone is never
offered, so it is neither shown as a button nor kept. A phone is `+7…`, or the digits of a Russian
mobile number: `79…` or `89…` with 11 digits, or `9…` with 10, without the prefix (СДЭК's 10 digits
then: typing such a code still works, a photo never offers it). Nor is the order number itself, nor a
product barcode (EAN-13, UPC: a product's number).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.domain.parsing import InputError, parse_track_code

UPU = re.compile(r"[A-Z]{2}[0-9]{9}[A-Z]{2}")
CANDIDATE = re.compile(r"[A-Za-z0-9-]{5,40}")
MOBILE = re.compile(r"[78]?9[0-9]{9}")  # a Russian mobile number: the buyer's, never a track code
RULES: tuple[tuple[tuple[str, ...], re.Pattern[str]], ...] = (
    (("почта",), re.compile(r"[0-9]{14}|[A-Z]{2}[0-9]{9}[A-Z]{2}")),
    (("сдэк", "cdek"), re.compile(r"[0-9]{10}")),
    (("boxberry",), re.compile(r"[A-Z]{2,4}[0-9]{8,12}|[0-9]{12,16}")),
    (("dpd",), re.compile(r"RU[0-9]{9,12}|[0-9]{8,14}")),
    (("5post",), re.compile(r"[0-9]{10,20}")),
    (("яндекс", "yandex"), re.compile(r"LOG?-[0-9]{6,20}|[A-Z0-9]{8,20}")),
)
PRODUCT_FORMATS = frozenset({"EAN-13", "EAN-8", "UPC-A", "UPC-E"})
FITS = 100  # the score of a code that fits the chosen service's rule
MAX_OFFERED = 6  # buttons at most, when several candidates are left


@dataclass(frozen=True, slots=True)
class Scanned:
    """One barcode as the decoder read it: its text and its symbology (`Code 128`, `EAN-13`...)."""

    text: str
    format: str


def service_rule(service_name: str) -> re.Pattern[str] | None:
    folded = service_name.casefold()
    return next((rule for names, rule in RULES if any(n in folded for n in names)), None)


def _score(code: str, symbology: str, rule: re.Pattern[str] | None) -> int:
    if symbology in PRODUCT_FORMATS:
        return -1  # a product's number (GS1), whatever its digits look like
    if rule is not None and rule.fullmatch(code):
        return FITS
    score = 0
    if UPU.fullmatch(code):
        score += 60
    if any(r.fullmatch(code) for _, r in RULES):
        score += 20
    if code.isalnum() and code.isascii() and 8 <= len(code) <= 30:
        score += 10
    return score


def _same_number(code: str, order_id: int | None) -> bool:
    return order_id is not None and code.isdigit() and int(code) == order_id


def rank_track_codes(scanned: Iterable[Scanned], service_name: str, order_id: int | None) -> list[str]:
    """The track codes worth offering, best first. When some fit the service's rule, only those."""
    rule = service_rule(service_name)
    scores: dict[str, int] = {}
    for item in scanned:
        try:
            code = parse_track_code(item.text)
        except InputError:
            continue
        if not CANDIDATE.fullmatch(code) or MOBILE.fullmatch(code) or _same_number(code, order_id):
            continue
        if code not in scores:
            scores[code] = _score(code, item.format, rule)
    ranked = sorted(scores, key=scores.__getitem__, reverse=True)  # stable: ties keep the order read
    fitting = [c for c in ranked if scores[c] >= FITS]
    return (fitting or [c for c in ranked if scores[c] >= 0])[:MAX_OFFERED]


def order_numbers(scanned: Iterable[Scanned]) -> list[int]:
    """Numbers read off a label that could be an order number (digits only, 1 to 2**63-1; not a
    product barcode)."""
    found: list[int] = []
    for item in scanned:
        if item.format in PRODUCT_FORMATS:
            continue
        text = item.text.strip().lstrip("#№")
        if text.isascii() and text.isdigit() and 0 < int(text) < 2**63 and int(text) not in found:
            found.append(int(text))
    return found
