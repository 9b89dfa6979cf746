-- Why a reporter was blocked (abuse, spam, threats, other) and the case the
-- block was made from, so a block can be listed and lifted by reference.
-- The reference is a code, not a person; the row still holds no name.
alter table blocks
    add column reason text not null default 'other',
    add column reference text;
