-- Downloads that failed: how many times, when to try again, and when the
-- bot gave up (a file Telegram will not serve, or one too large). Kept in
-- the database so that files that keep failing do not stop the ones after
-- them from being fetched, across restarts and processes.
alter table attachments
    add column fetch_attempts integer not null default 0,
    add column next_fetch_at timestamptz,
    add column fetch_given_up_at timestamptz;
