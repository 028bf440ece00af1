-- Bulk sends: one batch per «Отправить все», each of its lines an ordinary operation.
CREATE TABLE batches (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users(id),
    shop_id         INTEGER NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
    idempotency_key TEXT    NOT NULL UNIQUE,
    size            INTEGER NOT NULL,
    message_id      INTEGER,                        -- the progress message in the user's chat
    reported        INTEGER NOT NULL DEFAULT 0,     -- the final report was delivered
    created_at      TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX batches_shop_created ON batches(shop_id, created_at);
CREATE INDEX batches_unreported ON batches(reported) WHERE reported = 0;
ALTER TABLE operations ADD COLUMN batch_id INTEGER REFERENCES batches(id) ON DELETE CASCADE;
CREATE INDEX operations_batch ON operations(batch_id) WHERE batch_id IS NOT NULL;
