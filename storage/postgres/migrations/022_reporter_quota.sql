-- One reporter's additions of the day, across all their cases, are counted
-- before each new one (AdditionLimits.ReporterPerDay).
create index additions_actor_added_at on additions (actor, added_at);
