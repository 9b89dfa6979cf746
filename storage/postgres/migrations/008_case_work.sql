-- Who took a case and how it ended: the reviewer who acknowledged it (or
-- closed it without acknowledging), when, the outcome and when it was
-- closed. Null until then; outcome and closed_at are cleared on reopening.
alter table cases add column assignee bigint references reviewers (id);
alter table cases add column acknowledged_at timestamptz;
alter table cases add column outcome text;
alter table cases add column closed_at timestamptz;

-- The reviewers' queue: open cases.
create index cases_open on cases (status, assignee) where status <> 'closed';

-- Internal notes of reviewers and the messages exchanged with the reporter
-- about a case, oldest first (id). The words are sealed; author is a role
-- and id ("reviewer:7", "reporter"), kind "note", "to_reporter" or
-- "from_reporter".
create table notes (
    id bigint generated always as identity primary key,
    case_id bigint not null references cases (id) on delete cascade,
    author text not null,
    kind text not null,
    text bytea not null,
    at timestamptz not null
);

create index notes_case on notes (case_id, id);
