-- Users, shops, who may act for which shop, per-user settings.
CREATE TABLE users (
    id          INTEGER PRIMARY KEY,               -- Telegram user id
    language    TEXT    NOT NULL DEFAULT 'ru',
    created_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE shops (
    id              INTEGER PRIMARY KEY,
    campaign_id     INTEGER NOT NULL UNIQUE CHECK (campaign_id >= 1),
    domain          TEXT,
    business_id     INTEGER,
    business_name   TEXT,
    placement_type  TEXT,
    api_key_enc     BLOB    NOT NULL,               -- Fernet token; the key is never stored in clear
    owner_id        INTEGER NOT NULL REFERENCES users(id),
    created_at      TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at      TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE memberships (
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    shop_id     INTEGER NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
    role        TEXT    NOT NULL CHECK (role IN ('owner', 'courier')),
    created_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (user_id, shop_id)
);
CREATE INDEX memberships_shop ON memberships(shop_id);

CREATE TABLE user_settings (
    user_id         INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    active_shop_id  INTEGER REFERENCES shops(id) ON DELETE SET NULL
);

CREATE TABLE recent_delivery_services (
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    service_id  INTEGER NOT NULL,
    used_seq    INTEGER NOT NULL,                   -- higher = used more recently
    PRIMARY KEY (user_id, service_id)
);

-- Every confirmed action, written before the Market is called.
CREATE TABLE operations (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users(id),
    shop_id         INTEGER NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
    order_id        INTEGER NOT NULL,
    kind            TEXT    NOT NULL CHECK (kind IN ('track', 'date')),
    payload         TEXT    NOT NULL,               -- JSON: what is sent to the Market
    status          TEXT    NOT NULL DEFAULT 'pending'
                            CHECK (status IN ('pending', 'sending', 'done', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    idempotency_key TEXT    UNIQUE,
    next_attempt_at TEXT,
    created_at      TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at      TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX operations_shop_created ON operations(shop_id, created_at);
CREATE INDEX operations_status ON operations(status, next_attempt_at);
