-- Operations older than 90 days are deleted; these counts stay (per shop, kind and result).
CREATE TABLE operation_counts (
    shop_id     INTEGER NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
    kind        TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    count       INTEGER NOT NULL,
    PRIMARY KEY (shop_id, kind, status)
);
CREATE INDEX fsm_updated ON fsm(updated_at);
