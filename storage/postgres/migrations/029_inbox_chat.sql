-- Every update of a chat still in the inbox, processed or not, by update:
-- the claims tell whether a chat was seen before (a lost conversation
-- rather than a new one) with one probe of it, instead of a read of their
-- own (issue 22).
create index inbox_chat on inbox (chat_key, update_id);
