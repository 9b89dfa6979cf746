-- A case's identical attachment contents are stored once: content_hash is
-- the keyed hash of the bytes (keys.Ring.ContentHashes), and a row whose
-- bytes another row of the same case already holds keeps no content of its
-- own, only content_from, that row's position.
alter table attachments
    add column content_hash bytea,
    add column content_from integer;
