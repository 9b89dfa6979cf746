-- A reporter can ask to be forgotten: their pseudonym and sealed chat id are
-- cleared from their cases (the cases themselves stay), so these columns
-- may now be null.
alter table cases alter column reporter drop not null;
alter table cases alter column reporter_chat drop not null;

-- Lists a reporter's cases, newest first.
create index cases_reporter on cases (reporter, created_at) where reporter is not null;
