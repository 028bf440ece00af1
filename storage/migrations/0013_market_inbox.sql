-- The Market's push notifications, written before they are answered (so none is lost across a crash)
-- and worked on afterwards: 'new' until the worker is done with it ('done', 'ignored' or 'failed',
-- with what it did in `outcome`). `payload` is the notification's small JSON, never a buyer's data.
CREATE TABLE market_inbox (
    id          INTEGER PRIMARY KEY,
    kind        TEXT    NOT NULL,                   -- notificationType
    campaign_id INTEGER,
    order_id    INTEGER,
    chat_id     INTEGER,
    business_id INTEGER,
    event_at    TEXT    NOT NULL,                   -- the event's own time, UTC
    received_at TEXT    NOT NULL,
    payload     TEXT    NOT NULL,
    state       TEXT    NOT NULL DEFAULT 'new' CHECK (state IN ('new', 'done', 'ignored', 'failed')),
    outcome     TEXT
);
-- The same notification sent twice is kept once. An index on expressions, not a UNIQUE constraint:
-- SQLite counts NULLs as distinct, and most types name only some of the ids.
CREATE UNIQUE INDEX market_inbox_once ON market_inbox (
    kind, ifnull(campaign_id, 0), ifnull(order_id, 0), ifnull(chat_id, 0), ifnull(business_id, 0), event_at
);
CREATE INDEX market_inbox_new ON market_inbox(id) WHERE state = 'new';
CREATE INDEX market_inbox_received ON market_inbox(received_at);
CREATE INDEX market_inbox_campaign ON market_inbox(campaign_id, received_at);
