-- Reads are audited ("viewed:details" and the like, by "reviewer:ID"), so
-- that what one reviewer opened can be listed at once when their phone is
-- lost: tipline audit --reviewer ID --since 7d.
create index audit_events_actor_at on audit_events (actor, at);
