-- The album (Telegram's media_group_id, as a keyed hash) an update is a
-- part of, so that processing can tell whether the next update of the
-- chat continues it and answer an album once. Null for other updates.
alter table inbox add column group_key text;
