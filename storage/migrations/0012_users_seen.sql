-- When each user last talked to the bot (written at most once a day a user), so that housekeeping
-- can forget someone who holds nothing here (a stranger who only sent /start) 30 days after.
-- Until a user is seen again, the last change of their language or name stands for it.
ALTER TABLE users ADD COLUMN seen_at TEXT;
UPDATE users SET seen_at = updated_at;
