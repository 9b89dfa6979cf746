-- Each running bot process holds a session-level advisory lock of its own,
-- whose key it records here. PostgreSQL drops the lock the moment the
-- process's connection closes (a kill -9, a crash), so another process's
-- heartbeat sees it gone and frees the dead process's work at once,
-- instead of after ten seconds of silence. Null: a process that holds no
-- lock, whose work is freed by silence alone.
alter table processes add column lock_key bigint;
