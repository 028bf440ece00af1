-- Whether couriers may move delivery dates: only with the buyer's reason (default), any, or not at all.
ALTER TABLE shops ADD COLUMN courier_dates TEXT NOT NULL DEFAULT 'buyer'
    CHECK (courier_dates IN ('buyer', 'any', 'none'));
