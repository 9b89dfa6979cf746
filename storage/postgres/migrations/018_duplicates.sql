-- A case closed as a duplicate names the older case it repeats; what is
-- added to it later goes to that case. Deleting the older case (retention)
-- leaves the link empty.
alter table cases add column duplicate_of bigint references cases (id) on delete set null;
