package storage

import "time"

// Check is one call counted by a rate limiter: Limiter.Allow's arguments.
type Check struct {
	Key    string
	Limit  int
	Window time.Duration
}

// BatchRead is what a claimed batch of updates reads of the sessions at
// once, in one round trip instead of several per update: their sessions
// (as LoadMany), the markers their steps may read (as MarkValues), and
// the calls to count against the rate limiter (as Allow), which only
// sessions that hold the limiter can count (redis.Shared, memory.Shared).
type BatchRead struct {
	Chats  []string
	Marks  []string
	Checks []Check
}

// BatchReads is what a BatchRead found, each in the order asked.
// Sessions[i] and SessionErrs[i] are what Load would give for Chats[i];
// Marks[i] is what Marks[i] holds, "" for a marker not set. Allowed[i] is
// Allow's answer for Checks[i] when Known[i]; when not, the call could not
// be made in the batch and was not counted (the caller makes it alone).
type BatchReads struct {
	Sessions    [][]byte
	SessionErrs []error
	Marks       []string
	Allowed     []bool
	Known       []bool
}
