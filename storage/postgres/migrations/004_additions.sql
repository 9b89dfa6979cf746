-- What a reporter adds to a case after submitting it. The words are sealed;
-- actor is a role and pseudonym. idempotency_key, the SHA-256 of an opaque
-- string the caller gives (such as an update id), makes applying the same
-- addition twice store it once. Rows are kept in the order they were added
-- (id).
create table additions (
    id bigint generated always as identity primary key,
    case_id bigint not null references cases (id) on delete cascade,
    idempotency_key bytea not null,
    actor text not null,
    text bytea not null,
    added_at timestamptz not null default now(),
    unique (case_id, idempotency_key)
);

-- Photos, videos and voice notes given with an addition sit with the case's
-- other attachments (so they are fetched the same way); addition_id names
-- the addition, and is null for those given with the case itself.
alter table attachments add column addition_id bigint references additions (id) on delete cascade;
