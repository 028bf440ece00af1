-- The command menu last set in each user's chat ("owner:ru", "courier:en", or NULL: the default one),
-- so a role change sets it once and a start only fixes the menus that are out of date.
ALTER TABLE users ADD COLUMN menu TEXT;
