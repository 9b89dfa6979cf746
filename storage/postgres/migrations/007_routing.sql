-- Routing jobs: each row is a pending step of a case's routing, "notify the
-- reviewers of level at run_at" (0 the primary on call, 1 the secondary, 2
-- and more everyone). A job is deleted once done, or when the case is
-- acknowledged, escalated or closed. A worker claims due jobs until
-- claimed_until, so a job is handed to one worker at a time.
create table jobs (
    id bigint generated always as identity primary key,
    case_id bigint not null references cases (id) on delete cascade,
    level integer not null check (level >= 0),
    run_at timestamptz not null,
    attempts integer not null default 0,
    claimed_by text,
    claimed_until timestamptz
);

-- Finds due jobs, oldest first, and a case's jobs.
create index jobs_due on jobs (run_at, id);
create index jobs_case on jobs (case_id);

-- Cases submitted before routing existed and still waiting get their
-- first job now, rather than being reported as forgotten.
insert into jobs (case_id, level, run_at)
select id, 0, submitted_at from cases where status = 'received' order by id;

-- Every copy of a case notification sent to a reviewer, so that all can be
-- edited to "taken by" once someone acknowledges. The chat id is sealed.
create table notifications (
    id bigint generated always as identity primary key,
    case_id bigint not null references cases (id) on delete cascade,
    reviewer_id bigint not null references reviewers (id),
    chat_id bytea not null,
    message_id integer not null
);

create index notifications_case on notifications (case_id, id);
