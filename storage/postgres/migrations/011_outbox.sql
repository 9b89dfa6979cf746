-- The outbox holds every message, edit, deletion and callback answer the bot
-- means to send, from the transaction that decided it until Telegram has
-- taken it. Processing writes here and never calls Telegram; a dispatcher
-- sends, one chat at a time in id order, lanes first (1 callback answers,
-- 2 reviewer and urgent, 3 replies, 4 bulk). key makes a re-run of the same
-- work add nothing twice ("u:<update_id>:<seq>", "job:<id>:<seq>", ...).
-- The chat id and the payload are sealed; chat_key is the keyed hash of the
-- chat that orders its entries. Once sent, the payload is dropped and the
-- message id kept for a while (edits of it, "clear this chat").
create table outbox (
    id bigint generated always as identity primary key,
    key text not null unique,
    chat_key text not null,
    chat_id bytea,
    lane smallint not null check (lane between 1 and 4),
    method text not null,
    payload bytea,
    retry_unknown boolean not null default false,
    edit_of text,
    created_at timestamptz not null default now(),
    not_before timestamptz not null default now(),
    attempts integer not null default 0,
    claimed_by text,
    claimed_until timestamptz,
    sent_at timestamptz,
    message_id integer,
    dead_at timestamptz,
    reason text
);

-- Finds each chat's first pending entry, and what a chat was sent lately.
create index outbox_pending on outbox (chat_key, id) where sent_at is null and dead_at is null;
create index outbox_ready on outbox (lane, id) where sent_at is null and dead_at is null;
create index outbox_sent on outbox (chat_key, sent_at) where sent_at is not null;

-- Every running bot process says it is alive every few seconds. Work held
-- by a process silent for longer than the take-over time (about 10 s) is
-- taken over by the others: inbox updates, outbox entries, routing jobs.
create table processes (
    owner text primary key,
    seen_at timestamptz not null default now()
);

-- Each update has its own back-off: one that fails waits, its chat waits
-- behind it, and every other chat goes on.
alter table inbox add column next_try timestamptz;

-- An update that failed five times is set aside here, and its chat moves
-- on. The payload stays sealed; `tipline inbox retry` puts it back.
create table inbox_dead (
    update_id bigint primary key,
    chat_key text not null,
    payload bytea,
    attempts integer not null,
    reason text not null,
    received_at timestamptz not null,
    dead_at timestamptz not null default now()
);

-- A notification is recorded when it is queued, by its outbox key; the
-- message id is known once it is sent (in the outbox row).
alter table notifications alter column message_id drop not null;
alter table notifications add column outbox_key text;
create unique index notifications_outbox_key on notifications (outbox_key);

-- Notes are written once per update that wrote them.
alter table notes add column key text;
create unique index notes_key on notes (key);
