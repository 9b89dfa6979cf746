-- Partners a case can be referred to: police units, NGOs and hotlines, by
-- country. Their names are organisations' names, not people's: plain.
-- A partner is disabled, never deleted, because closed cases name it.
create table partners (
    id bigint generated always as identity primary key,
    name text not null,
    kind text not null,
    country text not null,
    active boolean not null default true,
    created_at timestamptz not null default now()
);

-- The partner a case was referred to, when it was closed as referred.
alter table cases add column partner_id bigint references partners (id);
