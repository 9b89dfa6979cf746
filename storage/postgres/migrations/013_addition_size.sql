-- What each addition counts against the day's limit of additions to a
-- case: the bytes of its words plus the sizes Telegram announced for its
-- files. Additions stored before count as 0.
alter table additions add column size bigint not null default 0;
