-- Closed cases are deleted, with everything attached to them, once the
-- retention period has passed since they were closed; the reviewer who had
-- the case is warned shortly before. retention_warned_at records that the
-- warning went out; closing the case again (after reopening it) clears it.
alter table cases add column retention_warned_at timestamptz;

-- Finds closed cases by when they were closed (a case closed by a status
-- change alone has no closed_at: its last change stands for it).
create index cases_closed on cases ((coalesce(closed_at, updated_at)), id) where status = 'closed';

-- For the purge of old audit events.
create index audit_events_at on audit_events (at);
