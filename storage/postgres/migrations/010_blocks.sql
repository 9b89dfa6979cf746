-- Reporters blocked for abuse, by their keyed pseudonym (which the reviewer
-- who blocked them never sees) and when. A block names no case: it outlives
-- the case it was made from and the reporter asking to be forgotten, and
-- only the audit trail of that case records who blocked.
create table blocks (
    pseudonym text primary key,
    blocked_at timestamptz not null
);
