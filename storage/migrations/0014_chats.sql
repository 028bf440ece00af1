-- Buyer chats: the ids that route a buyer's message to the team and a reply back to its chat, and
-- nothing else. A buyer's text, files and name are never kept here (personal data: shown, not stored);
-- housekeeping deletes these rows 30 days after they were written.

-- Each buyer's message is told once per recipient, across restarts: recorded with its recipients
-- first (in the transaction that notes the message as seen), sent after; `sent` turns 1 once the
-- message reached that user's Telegram.
CREATE TABLE chat_deliveries (
    shop_id    INTEGER NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
    chat_id    INTEGER NOT NULL,
    message_id INTEGER NOT NULL,                    -- the Market's id of the buyer's message
    user_id    INTEGER NOT NULL,                    -- the recipient
    order_id   INTEGER,                             -- the chat's order, when it has one
    sent       INTEGER NOT NULL DEFAULT 0,
    created_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (shop_id, chat_id, message_id, user_id)
);
CREATE INDEX chat_deliveries_due ON chat_deliveries(sent) WHERE sent = 0;
CREATE INDEX chat_deliveries_created ON chat_deliveries(created_at);

-- The Telegram messages a buyer's message became in each recipient's chat: the header (the text and
-- the buttons, `header` = 1) and one per file. A Telegram reply to any of them reaches the right chat;
-- `answered_by` on a header says which team member answered, so the others' headers can say so too.
CREATE TABLE chat_posts (
    user_id       INTEGER NOT NULL,                 -- whose Telegram chat holds the message
    tg_message_id INTEGER NOT NULL,
    shop_id       INTEGER NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
    chat_id       INTEGER NOT NULL,
    message_id    INTEGER NOT NULL,                 -- the buyer's message it shows
    order_id      INTEGER,
    header        INTEGER NOT NULL DEFAULT 0,
    answered_by   INTEGER,
    created_at    TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (user_id, tg_message_id)
);
CREATE INDEX chat_posts_chat ON chat_posts(shop_id, chat_id);

-- The newest message of each chat already looked at: a poll reads only what is newer.
CREATE TABLE chat_watch (
    shop_id         INTEGER NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
    chat_id         INTEGER NOT NULL,
    last_message_id INTEGER NOT NULL,
    updated_at      TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (shop_id, chat_id)
);

-- May couriers write to buyers? The owner always may; couriers unless the owner turns it off in /team.
ALTER TABLE shops ADD COLUMN couriers_write INTEGER NOT NULL DEFAULT 1;

-- A chat's messages are told apart by their id: two CHAT_MESSAGE_SENT of one chat sent at the same
-- moment are two notifications, and the same one sent twice is still kept once.
ALTER TABLE market_inbox ADD COLUMN message_id INTEGER;
DROP INDEX market_inbox_once;
CREATE UNIQUE INDEX market_inbox_once ON market_inbox (
    kind, ifnull(campaign_id, 0), ifnull(order_id, 0), ifnull(chat_id, 0), ifnull(business_id, 0),
    ifnull(message_id, 0), event_at
);
