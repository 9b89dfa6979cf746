-- Invitations to become a reviewer. An admin gives a person a random code;
-- only its SHA-256 is kept (code_hash). The name the admin typed is sealed.
-- An invite is deleted when it is redeemed, so it works once; one past
-- expires_at does not work at all.
create table invites (
    code_hash bytea primary key,
    name bytea not null,
    admin boolean not null,
    expires_at timestamptz not null,
    created_at timestamptz not null default now()
);

-- Trained people of the NGO who work cases from Telegram. Their Telegram
-- id and name are sealed; telegram_key, the keyed pseudonym of the Telegram
-- id, finds a reviewer by the id without storing it in clear. A reviewer is
-- never deleted (cases name them): disabled_at is set instead, and a
-- disabled reviewer can do nothing.
create table reviewers (
    id bigint generated always as identity primary key,
    telegram_key text not null unique,
    telegram_id bytea not null,
    name bytea not null,
    lang text not null,
    admin boolean not null,
    created_at timestamptz not null,
    disabled_at timestamptz
);

-- The on-call rota, a JSON document owned by package oncall, sealed. There
-- is one current version: the table holds at most one row.
create table rota (
    singleton boolean primary key default true check (singleton),
    doc bytea not null,
    updated_at timestamptz not null default now()
);
