-- Who to tell when a game is ready is personal data (issue 19, design document §6.2): the
-- address or the browser's push subscription in `target` is now sealed (AES-256-GCM, like
-- `users.email_sealed`), so the same target sent twice is recognised by `target_index`, an
-- HMAC blind index of it, instead of by the value. Rows written before this migration keep
-- their plain `target` and no index until `petpixel admin rotate-keys` seals them; senders
-- read such a row as it is.
ALTER TABLE notifications ADD COLUMN target_index TEXT;
DROP INDEX idx_notifications_once;
CREATE UNIQUE INDEX idx_notifications_once ON notifications(game_id, channel, target_index);
