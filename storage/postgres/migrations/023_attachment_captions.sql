-- The words a reporter wrote with a photo, video or voice note ("a
-- picture from last month"): the reporter's words, kept like any other,
-- sealed at rest (storage.SealedColumns), null when the file came alone.
alter table attachments add column caption bytea;
