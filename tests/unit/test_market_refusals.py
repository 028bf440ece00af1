"""The Market's refusals a user can act on, in the user's words: the limit's number from the Market's
own text, the status, the step that fixes it."""

from __future__ import annotations

import pytest

from bot.domain.market_refusals import Explained, explain
from bot.domain.operations import Failure


@pytest.mark.parametrize(
    ("failure", "explained"),
    [
        (
            Failure(
                400, "EDIT_COUNT_EXCEEDED", "Exceeded the number of edits of delivery dates! limit is: 3"
            ),
            Explained("market-date-edits-exceeded", {"limit": 3}),
        ),
        (
            Failure(
                400, "BAD_REQUEST", "Exceeded the number of days to edit delivery dates! limit is: 14 days"
            ),
            Explained("market-date-days-exceeded", {"limit": 14}, fix="date"),
        ),
        (
            Failure(400, "DAYS_COUNT_EXCEEDED", "Too far"),
            Explained("market-date-days-exceeded", {"limit": 0}, fix="date"),
        ),
        (Failure(400, "SAME_DELIVERY_DATES", "Same dates"), Explained("market-date-same", fix="date")),
        (
            Failure(
                400, "STATUS_NOT_ALLOWED", "Order 42 with status CANCELLED is not allowed for this action"
            ),
            Explained("market-status-not-allowed", {"status": "CANCELLED"}),
        ),
        (
            Failure(400, "INVALID_TRACK_CODE", "Track code has wrong format"),
            Explained("market-track-refused", fix="code"),
        ),
        (Failure(404, "ORDER_NOT_FOUND", "Order 42 not found"), Explained("market-order-not-here")),
        (Failure(400, "BAD_REQUEST", "Something new"), None),
        (Failure(500, "INTERNAL_ERROR", "track code invalid"), None),
        (Failure(None, "TIMEOUT", "no answer"), None),
    ],
)
def test_a_refusal_is_told_in_the_users_words(failure: Failure, explained: Explained | None) -> None:
    assert explain(failure) == explained


def test_a_status_step_the_market_refuses_is_told_plainly() -> None:
    moved = Failure(400, "STATUS_NOT_ALLOWED", "Order 70 with status DELIVERY cannot move to DELIVERY")
    assert explain(moved) == Explained("market-status-not-allowed", {"status": "DELIVERY"})
    assert explain(Failure(400, "STATUS_NOT_ALLOWED", "Nope")) == Explained("market-status-moved-on")


def test_a_limit_is_a_number_a_person_reads_not_any_run_of_digits() -> None:
    huge = Failure(400, "DAYS_COUNT_EXCEEDED", "limit is: " + "9" * 30)
    assert explain(huge) == Explained("market-date-days-exceeded", {"limit": 0}, fix="date")
