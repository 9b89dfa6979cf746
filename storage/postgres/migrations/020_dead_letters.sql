-- What an operator did that touches no case (dropping dead letters) is
-- recorded here: who, what, when. It holds no content.
create table operator_events (
    id bigint generated always as identity primary key,
    actor text not null,
    action text not null,
    at timestamptz not null default now()
);

create index operator_events_at on operator_events (at);

-- Dead letters are purged after a fixed time; this finds the old ones.
create index inbox_dead_dead_at on inbox_dead (dead_at);
