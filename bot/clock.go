package bot

import (
	"sync/atomic"
	"time"
)

// dbClock is the database's clock, as seen from this process: the local
// clock corrected by the offset measured at each heartbeat. Leases, due
// routing jobs and escalation times are reckoned from it, so processes on
// machines whose clocks disagree still agree on when a job is due and
// when a claim runs out (PostgreSQL compares them with its own now()).
// Until the first heartbeat answers, and while the database is down, the
// last offset measured is used (none at first: the local clock).
type dbClock struct {
	offset atomic.Int64 // nanoseconds to add to the local clock
}

// Now is the database's time now, as best known.
func (c *dbClock) Now() time.Time {
	return time.Now().Add(time.Duration(c.offset.Load()))
}

// observe records the database's time at, read between the local times
// sent and received: the reading is taken to be from the middle of the
// round trip.
func (c *dbClock) observe(sent, received, at time.Time) {
	if at.IsZero() || received.Before(sent) {
		return
	}
	mid := sent.Add(received.Sub(sent) / 2)
	c.offset.Store(int64(at.Sub(mid)))
}
