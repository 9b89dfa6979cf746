-- A case as a reporter submitted it. Everything a reporter said (answers,
-- location) and the chat id needed to answer them are sealed; the reporter
-- is a keyed pseudonym. draft_id makes a submission idempotent.
create table cases (
    id bigint generated always as identity primary key,
    reference text not null unique,
    draft_id text not null unique,
    kind text not null,
    urgency text not null,
    status text not null default 'received',
    lang text not null,
    reporter text not null,
    reporter_chat bytea not null,
    contact_allowed boolean not null,
    answers bytea not null,
    submitted_at timestamptz not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

-- Photos, videos and voice notes given with a case. Telegram's file ids are
-- sealed; the bytes are sealed too once fetched (content is null until then).
create table attachments (
    case_id bigint not null references cases (id) on delete cascade,
    position integer not null,
    kind text not null,
    question text not null,
    file_id bytea not null,
    file_unique_id bytea not null,
    content bytea,
    size bigint,
    fetched_at timestamptz,
    primary key (case_id, position)
);

create index attachments_to_fetch on attachments (case_id, position) where fetched_at is null;

-- Who did what to a case and when. Actors are roles and pseudonyms, actions
-- are codes: never content.
create table audit_events (
    id bigint generated always as identity primary key,
    case_id bigint not null references cases (id) on delete cascade,
    actor text not null,
    action text not null,
    at timestamptz not null default now()
);

create index audit_events_case on audit_events (case_id, id);
