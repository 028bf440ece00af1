-- Alerts: what the order poller found (a buyer's cancellation request, a new order, the morning
-- digest), recorded with its recipients in the same transaction that moves the shop's poll cursor, so
-- a restart between the poll and the message neither loses nor repeats it. No buyer data is kept.

-- Answering a cancellation request is an operation too. The kind is checked by the code that reads a
-- row back (a pydantic union), so the table is rebuilt once more without a CHECK on it: a new kind of
-- write needs no migration.
CREATE TABLE operations_new (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users(id),
    shop_id         INTEGER NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
    order_id        INTEGER NOT NULL,
    kind            TEXT    NOT NULL,
    payload         TEXT    NOT NULL,
    status          TEXT    NOT NULL DEFAULT 'pending'
                            CHECK (status IN ('pending', 'sending', 'done', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    idempotency_key TEXT    UNIQUE,
    next_attempt_at TEXT,
    created_at      TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at      TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    result_owed     INTEGER NOT NULL DEFAULT 0,
    batch_id        INTEGER REFERENCES batches(id) ON DELETE CASCADE
);
INSERT INTO operations_new (id, user_id, shop_id, order_id, kind, payload, status, attempts, last_error,
    idempotency_key, next_attempt_at, created_at, updated_at, result_owed, batch_id)
SELECT id, user_id, shop_id, order_id, kind, payload, status, attempts, last_error,
    idempotency_key, next_attempt_at, created_at, updated_at, result_owed, batch_id FROM operations;
DROP TABLE operations;
ALTER TABLE operations_new RENAME TO operations;
CREATE INDEX operations_shop_created ON operations(shop_id, created_at);
CREATE INDEX operations_status ON operations(status, next_attempt_at);
CREATE INDEX operations_result_owed ON operations(result_owed) WHERE result_owed = 1;
CREATE INDEX operations_batch ON operations(batch_id) WHERE batch_id IS NOT NULL;
CREATE INDEX operations_order ON operations(shop_id, order_id);

-- Where each shop's poll stands: orders updated after `polled_until` are still to be read; orders
-- created before `watched_from` were there before the bot watched the shop (no "new order" for them).
CREATE TABLE order_watch (
    shop_id      INTEGER PRIMARY KEY REFERENCES shops(id) ON DELETE CASCADE,
    watched_from TEXT    NOT NULL,
    polled_until TEXT    NOT NULL,
    digest_day   TEXT                               -- the last day whose morning digest was recorded
);

-- One row per event. `event` tells apart events of one order and kind (the digest's day); `facts` is
-- JSON for the message (status, dates, counts), never the buyer's name, phone or address.
CREATE TABLE alerts (
    id          INTEGER PRIMARY KEY,
    shop_id     INTEGER NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
    order_id    INTEGER NOT NULL,                   -- 0 for the digest
    kind        TEXT    NOT NULL,
    event       TEXT    NOT NULL DEFAULT '',
    facts       TEXT    NOT NULL DEFAULT '{}',
    answered_by INTEGER,                            -- who answers a cancellation request (claimed)
    answer      TEXT,
    answered_at TEXT,                               -- set when the Market took the answer
    created_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    UNIQUE (shop_id, order_id, kind, event)
);

-- Who gets each alert, and the message it became (to show later who answered).
CREATE TABLE alert_deliveries (
    alert_id   INTEGER NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL,
    sent       INTEGER NOT NULL DEFAULT 0,
    message_id INTEGER,
    PRIMARY KEY (alert_id, user_id)
);
CREATE INDEX alert_deliveries_due ON alert_deliveries(sent) WHERE sent = 0;

-- Each user's alert switches; a missing row means the default of the user's role.
CREATE TABLE alert_switches (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind    TEXT    NOT NULL,
    enabled INTEGER NOT NULL,
    PRIMARY KEY (user_id, kind)
);
