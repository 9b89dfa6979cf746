-- Recordings of the prompts, made by the team through the bot, one per
-- prompt and language (issue 21). They are the team's voices, not
-- reporters' data: kept in the clear. text_hash is the hash of the
-- catalogue text recorded; a different hash makes the recording stale.
create table voice_prompts (
    key         text not null,
    lang        text not null,
    file_id     text not null,
    duration    integer not null default 0,
    recorded_by bigint not null default 0,
    recorded_at timestamptz not null,
    text_hash   text not null,
    primary key (key, lang)
);

-- Who recorded, imported or removed which prompt: the recordings' audit
-- trail (audit_events belongs to cases).
create table voice_prompt_events (
    id     bigserial primary key,
    key    text not null,
    lang   text not null,
    actor  text not null,
    action text not null,
    at     timestamptz not null default now()
);
