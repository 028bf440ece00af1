-- A finished operation whose result the user has not been told yet (delivered after a crash).
ALTER TABLE operations ADD COLUMN result_owed INTEGER NOT NULL DEFAULT 0;
CREATE INDEX operations_result_owed ON operations(result_owed) WHERE result_owed = 1;
