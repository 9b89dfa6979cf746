-- A reporter may be given a follow-up code to come back to a case. Only a
-- slow, keyed hash of the code is kept (the bot computes it; the code itself
-- never reaches the database). No two cases share a hash; a case without a
-- code has none.
alter table cases add column followup_hash bytea;
alter table cases add constraint cases_followup_hash_key unique (followup_hash);
