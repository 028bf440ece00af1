"""Alerts from a background poll of each shop's orders: a buyer's cancellation request (with its
answer), a new order, the morning digest.

- `poller` — the background loop: polling each shop (a resumable sweep of a window of update times),
  recording what it finds with its recipients, reminders, expiry, the morning digests.
- `outbox` — sending what was recorded and not yet sent; showing on every message about a request
  that it was settled.
- `answers` — answers to cancellation requests: one per request (claimed), an ordinary operation
  (outbox, retries, read-back), settled or released when it ends.
- `switches` — what each user switched on or off in /alerts, and who gets an alert of each kind.

What a poll finds is recorded with its recipients in the same transaction that moves the shop's
cursor; the messages go out after. A restart between the two sends them then; nothing is found twice
(one event per order and kind). When an answer lands, every message about that request says who
answered.
"""
