-- Referrals are the unit of sharing: a case is referred to one or more
-- partners (police units are partners), and an export to a partner holds
-- exactly the cases referred to it. exported_at is when the case last went
-- to that partner, so the next export says what was added since.
create table referrals (
    case_id bigint not null references cases (id),
    partner_id bigint not null references partners (id),
    referred_by bigint references reviewers (id),
    referred_at timestamptz not null,
    exported_at timestamptz,
    primary key (case_id, partner_id)
);
create index referrals_partner on referrals (partner_id);

-- Cases closed as referred before this table: their one partner.
insert into referrals (case_id, partner_id, referred_by, referred_at)
select id, partner_id, assignee, coalesce(closed_at, updated_at) from cases where partner_id is not null;

-- The partner's age public key (age1…), to which every export to it is
-- encrypted: a public key, plain.
alter table partners add column age_recipient text;
