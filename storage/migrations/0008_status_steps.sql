-- Order status steps (out for delivery, delivered, cancelled) are operations too: the kind's CHECK
-- takes 'status'. SQLite cannot change a CHECK, so the table is rebuilt with its rows and indexes.
CREATE TABLE operations_new (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users(id),
    shop_id         INTEGER NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
    order_id        INTEGER NOT NULL,
    kind            TEXT    NOT NULL CHECK (kind IN ('track', 'date', 'status')),
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
