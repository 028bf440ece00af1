-- Team access: invites for couriers, names for "who did it", the owner's notice setting.
CREATE TABLE invites (
    id          INTEGER PRIMARY KEY,
    shop_id     INTEGER NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
    token_hash  TEXT    NOT NULL UNIQUE,            -- sha256 of the deep-link payload; never the payload
    created_by  INTEGER NOT NULL,
    created_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    expires_at  TEXT    NOT NULL,
    used_by     INTEGER,
    used_at     TEXT
);
CREATE INDEX invites_shop ON invites(shop_id);

ALTER TABLE users ADD COLUMN name TEXT;

ALTER TABLE shops ADD COLUMN notify_owner INTEGER NOT NULL DEFAULT 0;
