-- A reviewer Telegram refuses to reach for good (they blocked the bot, the
-- account is gone): set when a message to them is refused or they block
-- the bot, cleared when they write to the bot again. Routing skips them
-- while it is set, unless nobody reachable is left.
alter table reviewers add column unreachable_at timestamptz;
