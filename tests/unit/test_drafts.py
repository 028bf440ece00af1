"""Conversation drafts: one model per flow, told apart by `flow`, changed only through typed steps."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from bot.domain.market_data import BusinessOrder, DeliveryDateReason, OrderStatus
from bot.domain.operations import DeliveryDate, StatusStep, TrackCode
from bot.domain.records import DeliveryServiceRef
from bot.telegram.draft import DateDraft, StatusDraft, TrackDraft, draft_of

ORDER = BusinessOrder.model_validate(
    {
        "orderId": 77,
        "campaignId": 1,
        "status": "PROCESSING",
        "delivery": {
            "type": "DELIVERY",
            "deliveryServiceId": 51,
            "tracks": [{"trackCode": "OLD-1", "deliveryServiceId": 51}],
        },
    }
)


def test_a_track_draft_walks_its_steps_to_the_action_it_sends() -> None:
    draft = (
        TrackDraft(shop_id=5)
        .at_order(ORDER)
        .with_service(DeliveryServiceRef(id=51, name="Своя служба"))
        .with_code("TRK-9")
    )
    assert (draft.order_id, draft.order_status, draft.order_service_id, draft.replaces) == (
        77,
        "PROCESSING",
        51,
        "OLD-1",
    )
    assert draft.action() == TrackCode(track_code="TRK-9", delivery_service_id=51)
    assert draft.service_names() == {51: "Своя служба"}


def test_an_unfinished_draft_has_no_action() -> None:
    with pytest.raises(ValueError, match="no code"):
        TrackDraft(shop_id=5).at_order(ORDER).action()
    with pytest.raises(ValueError, match="no day"):
        DateDraft(shop_id=5).with_date(dt.date(2026, 12, 5)).action()
    with pytest.raises(ValueError, match="no step"):
        StatusDraft(shop_id=5).action()


def test_a_step_cannot_set_a_field_its_flow_lacks_or_a_wrong_value() -> None:
    with pytest.raises(TypeError, match="DateDraft has no"):
        DateDraft(shop_id=5)._with(track_code="X")
    with pytest.raises(ValidationError):
        DateDraft(shop_id=5)._with(to_date="not a day")


def test_a_stored_draft_loads_as_its_own_flow_and_a_broken_one_starts_over() -> None:
    date = DateDraft(shop_id=5).with_date(dt.date(2026, 12, 5)).with_reason(DeliveryDateReason.USER_MOVED)
    status = StatusDraft(shop_id=5).with_step(OrderStatus.DELIVERED).delivered_on(dt.date(2026, 12, 1))
    for draft in (date, status):
        loaded = draft_of({"draft": draft.model_dump(mode="json")})
        assert loaded == draft and type(loaded) is type(draft)
    assert isinstance(draft_of({"draft": date.model_dump(mode="json")}).action(), DeliveryDate)  # type: ignore[union-attr]
    assert status.action() == StatusStep(
        status=OrderStatus.DELIVERED, real_delivery_date=dt.date(2026, 12, 1)
    )
    assert draft_of({"draft": {"flow": "date", "shop_id": "five"}}) is None
    assert draft_of({"draft": {"flow": "gone", "shop_id": 5}}) is None


@pytest.mark.parametrize(
    ("draft", "then"),
    [
        (TrackDraft(shop_id=5).at_order(ORDER), OrderStatus.DELIVERY),
        (TrackDraft(shop_id=5, order_id=77, order_status="DELIVERY"), None),
        (DateDraft(shop_id=5).at_order(ORDER), None),
        (StatusDraft(shop_id=5).at_order(ORDER).with_step(OrderStatus.DELIVERY), OrderStatus.DELIVERED),
        (StatusDraft(shop_id=5, pickup=True).with_step(OrderStatus.DELIVERY), OrderStatus.PICKUP),
        (StatusDraft(shop_id=5).with_step(OrderStatus.DELIVERED), None),
        (StatusDraft(shop_id=5).with_step(OrderStatus.CANCELLED), None),
    ],
    ids=["track-processing", "track-delivery", "date", "step", "step-pickup", "delivered", "cancelled"],
)
def test_what_follows_a_write_is_the_orders_next_step_or_nothing(
    draft: TrackDraft | DateDraft | StatusDraft, then: OrderStatus | None
) -> None:
    """«Дальше» under a result takes this step; a moved date never offers one."""
    assert draft.then() == then
