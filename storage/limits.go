package storage

import (
	"time"

	"github.com/tipline/tipline"
)

// AdditionLimits bound what may be added to one case in a day (the 24
// hours before the addition), so that no anonymous account can fill the
// disk or bury a reviewer under messages. Zero fields mean the defaults.
type AdditionLimits struct {
	PerDay      int   // additions
	BytesPerDay int64 // words plus the sizes Telegram announces for files
	// ReporterPerDay and ReporterBytesPerDay bound one reporter's additions
	// (by their actor) across all their cases, open or closed: one
	// account with many cases cannot multiply the per-case limit.
	ReporterPerDay      int
	ReporterBytesPerDay int64
	// ReporterFilesBytesPerDay bounds the bytes of one reporter's files
	// (of their reports and additions) fetched into the database in a day:
	// past it, their other files wait a day on Telegram's side instead of
	// filling the disk (10 reports of 20 videos of 20 MB would be 4 GB).
	ReporterFilesBytesPerDay int64
}

// DefaultAdditionLimits are generous for a person with news: 30 additions
// and 100 MiB a day for each case, 60 and 200 MiB across all of one
// reporter's cases.
var DefaultAdditionLimits = AdditionLimits{PerDay: 30, BytesPerDay: 100 << 20, ReporterPerDay: 60, ReporterBytesPerDay: 200 << 20,
	ReporterFilesBytesPerDay: 300 << 20}

// OrDefaults is l with each zero field set to DefaultAdditionLimits'.
func (l AdditionLimits) OrDefaults() AdditionLimits {
	if l.PerDay <= 0 {
		l.PerDay = DefaultAdditionLimits.PerDay
	}
	if l.BytesPerDay <= 0 {
		l.BytesPerDay = DefaultAdditionLimits.BytesPerDay
	}
	if l.ReporterPerDay <= 0 {
		l.ReporterPerDay = max(DefaultAdditionLimits.ReporterPerDay, 2*l.PerDay)
	}
	if l.ReporterBytesPerDay <= 0 {
		l.ReporterBytesPerDay = max(DefaultAdditionLimits.ReporterBytesPerDay, 2*l.BytesPerDay)
	}
	if l.ReporterFilesBytesPerDay <= 0 {
		l.ReporterFilesBytesPerDay = max(DefaultAdditionLimits.ReporterFilesBytesPerDay, l.ReporterBytesPerDay)
	}
	return l
}

// ReporterOverLimit tells whether one more addition of size would exceed
// l's bounds for one reporter, given the count and bytes of their
// additions to any case in the day before it.
func (l AdditionLimits) ReporterOverLimit(count int, bytes, size int64) bool {
	l = l.OrDefaults()
	return count+1 > l.ReporterPerDay || bytes+size > l.ReporterBytesPerDay
}

// OverLimit tells whether one more addition of size would exceed l, given
// the count and bytes of the case's additions in the day before it.
func (l AdditionLimits) OverLimit(count int, bytes, size int64) bool {
	l = l.OrDefaults()
	return count+1 > l.PerDay || bytes+size > l.BytesPerDay
}

// AddResult tells where an addition went (AddToCaseTracked).
type AddResult struct {
	// Reference is the case it was stored on: the one named, or the older
	// case a duplicate repeats.
	Reference tipline.Reference
	// Stored is false when the key was seen before and nothing was stored.
	Stored bool
	// Closed says that case is closed: the addition is kept, and the
	// reviewer who had it (LastReviewer, 0 for none) should be told, with
	// a Reopen button.
	Closed       bool
	LastReviewer int64
}

// Bucket is one rate limit: Rate tokens a second, up to Burst at once.
// Ahead lets a take reserve a token that is not there yet but will be
// within Ahead: it is taken now and due later (Taken.Due), so a sender
// waiting its turn at the bot's bucket needs no second call. Zero takes
// only a token that is there.
type Bucket struct {
	Key   string
	Rate  float64
	Burst int
	Ahead time.Duration
}

// Taken is what became of one set of buckets in a throttle's TakeEach.
// When Wait is 0 a token was taken from each bucket, due in Due (0: now;
// later only through a bucket's Ahead). Otherwise nothing was taken, and
// Wait is how long until the short bucket (Short, its index in the set)
// has one.
type Taken struct {
	Due   time.Duration
	Wait  time.Duration
	Short int
}
