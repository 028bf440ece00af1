-- A poll reads one window of update times [sweep_from, sweep_to) page by page. When it stops at its
-- page cap, the window and the token of the next page stay here and the next turn goes on from them;
-- `polled_until` moves to the window's end only once the whole window has been read, so the cursor
-- never passes an order nobody read. No window open: all NULL.
ALTER TABLE order_watch ADD COLUMN sweep_from TEXT;
ALTER TABLE order_watch ADD COLUMN sweep_to TEXT;
ALTER TABLE order_watch ADD COLUMN sweep_token TEXT;
ALTER TABLE order_watch ADD COLUMN sweep_pages INTEGER NOT NULL DEFAULT 0;  -- pages read of the window
