package memory

import (
	"sync"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
	"github.com/tipline/tipline/storage/internal/rules"
)

// Store is an in-memory store with the same methods and behaviour as
// postgres.Store, for the sandbox. Nothing reaches a disk, so it keeps plain
// text; everything is lost when the process ends. It is safe for
// concurrent use.
type Store struct {
	now func() time.Time

	mu        sync.Mutex
	inbox     map[int64]*memInboxRow
	cases     map[tipline.Reference]*memCase
	drafts    map[string]*memCase
	followUps map[string]*memCase // by follow-up hash
	order     []*memCase          // in the order they were submitted

	invites   map[string]memInvite // by code hash
	reviewers []tipline.Reviewer   // reviewers[i] has ID i+1
	rota      []byte               // nil until saved
	jobs      map[int64]*memJob
	lastJob   int64                             // the id of the last job stored
	blocks    map[string]memBlock               // by blocked pseudonym
	partners  []tipline.Partner                 // partners[i] has ID i+1
	voices    map[[2]string]storage.VoicePrompt // by key and language (voices.go)
	voiceLog  []storage.VoiceEvent

	outbox    []*memOutbox // in id order
	outboxKey map[string]*memOutbox
	processes map[string]time.Time // owner → last heard from
	dead      map[int64]*memDead
	opEvents  []tipline.AuditEvent // what operators did to no case
	takeover  time.Duration
	addLimits storage.AdditionLimits
}

type memInboxRow struct {
	item         storage.InboxItem
	claimedBy    string
	claimedUntil time.Time // zero when not claimed
	nextTry      time.Time
	processed    bool
	processedAt  time.Time
}

type memCase struct {
	c tipline.Case // c.Additions is unused: additions holds them
	// attachments are those given with the case, then those of additions.
	attachments []*memAttachment
	additions   []memAddition
	audit       []tipline.AuditEvent
	// notifications and notes are in the order they were stored.
	notifications []tipline.Notification
	notes         []tipline.Note
	// retentionWarned is set by MarkRetentionWarned, cleared by closing.
	retentionWarned bool
	// duplicateOf is the older case a duplicate repeats (LinkDuplicate);
	// nil when none, or once that case is deleted.
	duplicateOf *memCase
	// referrals are the partners the case was referred to, in order.
	referrals []memReferral
}

// memReferral is a case's referral to a partner (see
// postgres.Store.Referrals).
type memReferral struct {
	partnerID  int64
	at         time.Time
	exportedAt time.Time
}

// memBlock is a block: when, why and the case it was made from.
type memBlock struct {
	at     time.Time
	reason tipline.BlockReason
	ref    tipline.Reference
}

type memAddition struct {
	key  string
	a    tipline.Addition
	size int64 // what it counts against the day's limit
}

type memAttachment struct {
	a         tipline.Attachment
	content   []byte
	fetched   bool
	fetchedAt time.Time
	// attempts, nextTry and gaveUp record failed downloads.
	attempts int
	nextTry  time.Time
	gaveUp   bool
}

// New returns an empty in-memory store reading the time from now
// (time.Now when nil).
func New(now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{
		now:       now,
		inbox:     map[int64]*memInboxRow{},
		cases:     map[tipline.Reference]*memCase{},
		drafts:    map[string]*memCase{},
		followUps: map[string]*memCase{},
		invites:   map[string]memInvite{},
		jobs:      map[int64]*memJob{},
		blocks:    map[string]memBlock{},
		outboxKey: map[string]*memOutbox{},
		processes: map[string]time.Time{},
		dead:      map[int64]*memDead{},
		takeover:  storage.DefaultTakeover,
	}
}

func (m *Store) clock() time.Time { return rules.TruncateTime(m.now()) }
