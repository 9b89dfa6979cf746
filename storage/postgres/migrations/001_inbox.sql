-- The inbox holds every Telegram update from the moment intake receives it
-- until it has been processed, so an update confirmed to Telegram is never
-- lost. The raw update (names, ids, text) is sealed; chat_key is a keyed
-- hash of the chat id. A processed row keeps only its update_id, chat_key
-- and times, for de-duplication, until it is purged.
create table inbox (
    update_id bigint primary key,
    chat_key text not null,
    payload bytea,
    received_at timestamptz not null default now(),
    attempts integer not null default 0,
    claimed_by text,
    claimed_until timestamptz,
    processed_at timestamptz
);

-- Finds the first unprocessed update of a chat, and the oldest overall.
create index inbox_unprocessed_chat on inbox (chat_key, update_id) where processed_at is null;
create index inbox_unprocessed on inbox (update_id) where processed_at is null;
-- For the purge of processed rows.
create index inbox_processed_at on inbox (processed_at) where processed_at is not null;
