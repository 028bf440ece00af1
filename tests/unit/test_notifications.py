"""Reading the Market's notifications: what each type requires agrees with the contract, and where a
request comes from (X-Forwarded-For believed only from a trusted proxy)."""

from __future__ import annotations

import datetime as dt
from ipaddress import ip_address, ip_network

import pytest

from bot.domain.notifications import SHAPES, UnknownEvent, parse_event
from bot.telegram.market_notify import source_of
from tests.fakes.market_push import notifications_spec

PROXY = [ip_network("10.0.0.0/8")]


def test_each_type_requires_what_the_contract_requires_and_reads_its_own_time() -> None:
    schemas = (notifications_spec().spec / "components" / "schemas").read_value()
    mapping = schemas["SendNotificationRequest"]["discriminator"]["mapping"]
    assert set(SHAPES) == set(mapping)
    for kind, ref in mapping.items():
        schema = schemas[ref.rsplit("/", 1)[1]]
        assert SHAPES[kind].required == set(schema.get("required", [])) - {"notificationType"}, kind
        times = {n for n, p in schema["properties"].items() if p.get("format") == "date-time"}
        assert SHAPES[kind].time_field in times, kind


def test_parse_event_reads_ids_and_time_in_utc() -> None:
    event = parse_event(
        {"notificationType": "ORDER_CANCELLATION_REQUEST", "orderId": 7, "campaignId": 1001,
         "requestedAt": "2026-11-20T13:00:00+03:00"}
    )  # fmt: skip
    assert (event.order_id, event.campaign_id, event.at) == (
        7,
        1001,
        dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC),
    )
    with pytest.raises(UnknownEvent):
        parse_event({"notificationType": "NEW_KIND"})
    with pytest.raises(ValueError, match="without orderId"):
        parse_event(
            {
                "notificationType": "ORDER_UPDATED",
                "campaignId": 1,
                "updateType": "X",
                "updatedAt": "2026-01-01T00:00:00Z",
            }
        )


@pytest.mark.parametrize(
    ("peer", "forwarded", "source"),
    [
        ("5.45.207.1", None, "5.45.207.1"),
        ("5.45.207.1", "203.0.113.9", "5.45.207.1"),  # an untrusted peer's header is ignored
        ("10.0.0.2", "203.0.113.9, 5.45.207.1", "5.45.207.1"),  # the last hop before the proxy
        ("10.0.0.2", "5.45.207.1, 10.0.0.3", "5.45.207.1"),  # two proxies of ours
        ("10.0.0.2", "garbage", None),
        ("::ffff:5.45.207.1", None, "5.45.207.1"),
    ],
)
def test_source_of(peer: str, forwarded: str | None, source: str | None) -> None:
    assert source_of(peer, forwarded, PROXY) == (ip_address(source) if source else None)


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"orderId": 2**63}, "orderId"),
        ({"orderId": -1}, "orderId"),
        ({"requestedAt": "2999-01-01T00:00:00+00:00"}, "in the future"),
        ({"requestedAt": "0001-01-01T00:00:00+01:00"}, "out of range"),
        ({"requestedAt": "9999-12-31T23:59:59-01:00"}, "out of range"),
    ],
)
def test_an_id_or_time_no_notification_can_have_is_malformed(change: dict[str, object], why: str) -> None:
    body = {"notificationType": "ORDER_CANCELLATION_REQUEST", "orderId": 1, "campaignId": 2}
    body |= {"requestedAt": "2026-11-20T10:00:00+00:00"} | change
    with pytest.raises(ValueError, match=why):
        parse_event(body)


def test_only_what_the_contract_names_is_kept() -> None:
    event = parse_event(
        {
            "notificationType": "ORDER_CANCELLATION_REQUEST",
            "orderId": 1,
            "campaignId": 2,
            "requestedAt": "2026-11-20T10:00:00+00:00",
            "buyer": {"phone": "+79990001122", "name": "Иван"},
            "padding": "x" * 60_000,
        }
    )
    assert set(event.payload) == {"notificationType", "orderId", "campaignId", "requestedAt"}


@pytest.mark.parametrize(
    ("message_id", "parsed"),
    [("1", 1), ("9001", 9001), (str(2**63 - 1), 2**63 - 1), (42, 42)],
)
def test_a_chat_messages_id_is_read_as_a_number(message_id: object, parsed: int) -> None:
    event = parse_event(
        {"notificationType": "CHAT_MESSAGE_SENT", "chatId": 5, "messageId": message_id, "businessId": 7,
         "sentAt": "2026-11-20T10:00:00+00:00"}
    )  # fmt: skip
    assert (event.chat_id, event.message_id, event.business_id) == (5, parsed, 7)


@pytest.mark.parametrize(
    "message_id",
    ["", "0", "-1", "12a", " 12", "١٢", "1e3", str(2**63), "9" * 40, 0, -5, 2**63, 1.5, True, None],
)
def test_a_chat_messages_id_that_is_no_number_is_malformed(message_id: object) -> None:
    body = {"notificationType": "CHAT_MESSAGE_SENT", "chatId": 5, "businessId": 7}
    body |= {"messageId": message_id, "sentAt": "2026-11-20T10:00:00+00:00"}
    with pytest.raises(ValueError, match="messageId"):
        parse_event(body)
