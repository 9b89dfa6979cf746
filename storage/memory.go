package storage

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/tipline/tipline"
)

// Memory is an in-memory store with the same methods and behaviour as
// Postgres, for the sandbox. Nothing reaches a disk, so it keeps plain
// text; everything is lost when the process ends. It is safe for
// concurrent use.
type Memory struct {
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
	lastJob   int64               // the id of the last job stored
	blocks    map[string]memBlock // by blocked pseudonym
	partners  []tipline.Partner   // partners[i] has ID i+1

	outbox    []*memOutbox // in id order
	outboxKey map[string]*memOutbox
	processes map[string]time.Time // owner → last heard from
	dead      map[int64]*memDead
	takeover  time.Duration
	addLimits AdditionLimits
}

type memInboxRow struct {
	item         InboxItem
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
	a       tipline.Attachment
	content []byte
	fetched bool
	// attempts, nextTry and gaveUp record failed downloads.
	attempts int
	nextTry  time.Time
	gaveUp   bool
}

// NewMemory returns an empty in-memory store reading the time from now
// (time.Now when nil).
func NewMemory(now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	return &Memory{
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
		takeover:  DefaultTakeover,
	}
}

func (m *Memory) clock() time.Time { return truncateTime(m.now()) }

// InboxAdd stores updates; an update_id already present, processed or not,
// is ignored. It returns how many updates were new.
func (m *Memory) InboxAdd(ctx context.Context, items []InboxItem) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("add to inbox: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.clock()
	added := 0
	for _, it := range items {
		if _, ok := m.inbox[it.UpdateID]; ok {
			continue
		}
		row := &memInboxRow{item: InboxItem{
			UpdateID:   it.UpdateID,
			ChatKey:    it.ChatKey,
			Payload:    slices.Clone(it.Payload),
			ReceivedAt: truncateTime(it.ReceivedAt),
		}}
		if it.ReceivedAt.IsZero() {
			row.item.ReceivedAt = now
		}
		m.inbox[it.UpdateID] = row
		added++
		if it.Answer != nil {
			if err := m.addOutboxLocked([]OutboxEntry{*it.Answer}); err != nil {
				return added, fmt.Errorf("add to inbox: %w", err)
			}
		}
	}
	return added, nil
}

// InboxClaim claims the next update to process, as Postgres.InboxClaim
// does.
func (m *Memory) InboxClaim(ctx context.Context, owner string, lease time.Duration) (InboxItem, bool, error) {
	if err := ctx.Err(); err != nil {
		return InboxItem{}, false, fmt.Errorf("claim update: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.clock()
	m.processes[owner] = now
	// The first unprocessed update of each chat.
	heads := map[string]*memInboxRow{}
	for _, r := range m.inbox {
		if r.processed {
			continue
		}
		if h, ok := heads[r.item.ChatKey]; !ok || r.item.UpdateID < h.item.UpdateID {
			heads[r.item.ChatKey] = r
		}
	}
	var next *memInboxRow
	for _, h := range heads {
		if !m.claimFree(h.claimedBy, h.claimedUntil, now) || h.nextTry.After(now) {
			continue
		}
		if next == nil || h.item.UpdateID < next.item.UpdateID {
			next = h
		}
	}
	if next == nil {
		return InboxItem{}, false, nil
	}
	next.claimedBy = owner
	next.claimedUntil = now.Add(lease.Truncate(time.Microsecond))
	next.item.Attempts++
	it := next.item
	it.Payload = slices.Clone(it.Payload)
	return it, true, nil
}

// claimFree tells whether a claim may be taken: there is none, it has run
// out, or its holder has been silent for the take-over time.
func (m *Memory) claimFree(by string, until, now time.Time) bool {
	if by == "" || !until.After(now) {
		return true
	}
	// A holder not known at all counts as alive: only its lease frees it.
	seen, ok := m.processes[by]
	return ok && !seen.After(now.Add(-m.takeover))
}

// InboxDone marks an update processed and drops its payload.
func (m *Memory) InboxDone(ctx context.Context, updateID int64) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("mark update %d done: %w", updateID, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.inbox[updateID]
	if !ok {
		return fmt.Errorf("mark update %d done: %w", updateID, tipline.ErrNotFound)
	}
	m.doneLocked(r)
	return nil
}

func (m *Memory) doneLocked(r *memInboxRow) {
	if !r.processed {
		r.processed, r.processedAt = true, m.clock()
	}
	r.item.Payload = nil
	r.claimedBy, r.claimedUntil, r.nextTry = "", time.Time{}, time.Time{}
}

// heldLocked returns the update's row when owner holds its claim.
func (m *Memory) heldLocked(updateID int64, owner string) (*memInboxRow, bool) {
	r, ok := m.inbox[updateID]
	if !ok || r.processed || r.claimedBy != owner {
		return nil, false
	}
	return r, true
}

// InboxRelease gives a claim back, to be tried again after wait.
func (m *Memory) InboxRelease(ctx context.Context, updateID int64, owner string, wait time.Duration) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("release update %d: %w", updateID, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.heldLocked(updateID, owner)
	if !ok {
		return fmt.Errorf("release update %d: %w", updateID, ErrNotHolder)
	}
	r.claimedBy, r.claimedUntil = "", time.Time{}
	r.nextTry = m.clock().Add(wait)
	return nil
}

// InboxPending counts updates not yet processed.
func (m *Memory) InboxPending(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("count pending updates: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, r := range m.inbox {
		if !r.processed {
			n++
		}
	}
	return n, nil
}

// SubmitCase stores a case, its attachments, its first routing job and a
// "submitted" audit event, as Postgres.SubmitCase does.
func (m *Memory) SubmitCase(ctx context.Context, c tipline.NewCase) (tipline.Reference, bool, error) {
	if err := ctx.Err(); err != nil {
		return "", false, fmt.Errorf("save case: %w", err)
	}
	if err := checkNewCase(c); err != nil {
		return "", false, fmt.Errorf("save case: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if first, ok := m.drafts[c.DraftID]; ok {
		return first.c.Reference, false, nil
	}
	if _, ok := m.cases[c.Reference]; ok {
		return "", false, fmt.Errorf("save case %s: %w", c.Reference, ErrReferenceTaken)
	}
	if _, ok := m.followUps[string(c.FollowUpHash)]; ok && len(c.FollowUpHash) > 0 {
		return "", false, fmt.Errorf("save case %s: %w", c.Reference, ErrFollowUpTaken)
	}
	now := m.clock()
	stored := &memCase{c: tipline.Case{NewCase: copyNewCase(c), Status: tipline.StatusReceived, CreatedAt: now, UpdatedAt: now}}
	stored.c.SubmittedAt = truncateTime(c.SubmittedAt)
	if !c.ContactAllowed || c.ReporterChatID == 0 {
		stored.c.ReporterChatID, stored.c.ContactAllowed = 0, false
	}
	if c.SubmittedAt.IsZero() {
		stored.c.SubmittedAt = now
	}
	for _, a := range stored.c.Attachments {
		stored.attachments = append(stored.attachments, &memAttachment{a: a})
	}
	stored.audit = append(stored.audit, tipline.AuditEvent{Reference: c.Reference, Actor: reporterActor(c.Reporter), Action: ActionSubmitted, At: now})
	m.cases[c.Reference] = stored
	m.drafts[c.DraftID] = stored
	if len(c.FollowUpHash) > 0 {
		m.followUps[string(c.FollowUpHash)] = stored
	}
	m.order = append(m.order, stored)
	m.addJob(stored, 0, stored.c.SubmittedAt)
	return c.Reference, true, nil
}

// Case returns a copy of a stored case, or tipline.ErrNotFound.
func (m *Memory) Case(ctx context.Context, ref tipline.Reference) (tipline.Case, error) {
	if err := ctx.Err(); err != nil {
		return tipline.Case{}, fmt.Errorf("load case %s: %w", ref, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	sc, ok := m.cases[ref]
	if !ok {
		return tipline.Case{}, fmt.Errorf("load case %s: %w", ref, tipline.ErrNotFound)
	}
	c := sc.c
	c.NewCase = copyNewCase(sc.c.NewCase)
	if older := sc.duplicateOf; older != nil && m.cases[older.c.Reference] == older {
		c.Assignment.DuplicateOf = older.c.Reference
	}
	c.Additions = nil
	for _, ma := range sc.additions {
		a := ma.a
		a.Attachments = slices.Clone(a.Attachments)
		c.Additions = append(c.Additions, a)
	}
	return c, nil
}

// AttachmentsToFetch lists up to limit attachments whose bytes are not
// stored yet, oldest case first.
func (m *Memory) AttachmentsToFetch(ctx context.Context, limit int) ([]PendingAttachment, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list attachments to fetch: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []PendingAttachment
	rows := 0
	now := m.clock()
	for _, sc := range m.order {
		seen := map[string]bool{}
		for _, ma := range sc.attachments {
			if ma.fetched || ma.gaveUp || (!ma.nextTry.IsZero() && ma.nextTry.After(now)) {
				continue
			}
			if rows >= limit {
				return out, nil
			}
			rows++
			if seen[ma.a.FileUniqueID] {
				continue
			}
			seen[ma.a.FileUniqueID] = true
			out = append(out, PendingAttachment{Reference: sc.c.Reference, FileID: ma.a.FileID, FileUniqueID: ma.a.FileUniqueID, Kind: ma.a.Kind, Attempts: ma.attempts})
		}
	}
	return out, nil
}

// SaveAttachmentContent stores the fetched bytes of a case's attachment and
// writes an "attachment_stored" audit event; saving again does nothing.
func (m *Memory) SaveAttachmentContent(ctx context.Context, ref tipline.Reference, fileUniqueID string, content []byte) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("save attachment of case %s: %w", ref, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	sc, found := m.findAttachments(ref, fileUniqueID)
	if found == nil {
		return fmt.Errorf("save attachment of case %s: %w", ref, tipline.ErrNotFound)
	}
	// Bytes the case holds already are kept once, as Postgres does.
	shared := slices.Clone(content)
	if shared == nil {
		shared = []byte{}
	}
	for _, other := range sc.attachments {
		if other.fetched && bytes.Equal(other.content, content) {
			shared = other.content
			break
		}
	}
	stored := false
	for _, ma := range found {
		if ma.fetched {
			continue
		}
		ma.content, ma.fetched = shared, true
		stored = true
	}
	if stored {
		sc.audit = append(sc.audit, tipline.AuditEvent{Reference: ref, Actor: ActorSystem, Action: ActionAttachmentStored, At: m.clock()})
	}
	return nil
}

// AttachmentContent returns a copy of the stored bytes of a case's
// attachment; tipline.ErrNotFound if absent or not fetched yet.
func (m *Memory) AttachmentContent(ctx context.Context, ref tipline.Reference, fileUniqueID string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("load attachment of case %s: %w", ref, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	_, found := m.findAttachments(ref, fileUniqueID)
	for _, ma := range found {
		if ma.fetched {
			return slices.Clone(ma.content), nil
		}
	}
	return nil, fmt.Errorf("load attachment of case %s: %w", ref, tipline.ErrNotFound)
}

// findAttachments returns the case and its attachments with that
// file_unique_id; m.mu must be held.
func (m *Memory) findAttachments(ref tipline.Reference, uniqueID string) (*memCase, []*memAttachment) {
	sc, ok := m.cases[ref]
	if !ok {
		return nil, nil
	}
	var found []*memAttachment
	for _, ma := range sc.attachments {
		if ma.a.FileUniqueID == uniqueID {
			found = append(found, ma)
		}
	}
	return sc, found
}

// Audit lists a case's audit events in order, or tipline.ErrNotFound.
func (m *Memory) Audit(ctx context.Context, ref tipline.Reference) ([]tipline.AuditEvent, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list audit of case %s: %w", ref, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	sc, ok := m.cases[ref]
	if !ok {
		return nil, fmt.Errorf("list audit of case %s: %w", ref, tipline.ErrNotFound)
	}
	return slices.Clone(sc.audit), nil
}

// copyNewCase copies c deeply so that neither the caller nor the store can
// change the other's copy.
func copyNewCase(c tipline.NewCase) tipline.NewCase {
	out := c
	if c.Answers != nil {
		out.Answers = maps.Clone(c.Answers)
	}
	if c.Location != nil {
		loc := *c.Location
		out.Location = &loc
	}
	out.Attachments = nil
	if len(c.Attachments) > 0 {
		out.Attachments = slices.Clone(c.Attachments)
	}
	out.FollowUpHash = nil
	if len(c.FollowUpHash) > 0 {
		out.FollowUpHash = slices.Clone(c.FollowUpHash)
	}
	return out
}

// InboxChatSeen is Postgres.InboxChatSeen.
func (m *Memory) InboxChatSeen(ctx context.Context, chatKey string, updateID int64) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("chat seen: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for id, r := range m.inbox {
		if r.item.ChatKey == chatKey && id < updateID {
			return true, nil
		}
	}
	return false, nil
}

// AttachmentFetchFailed records a failed download, as
// Postgres.AttachmentFetchFailed does.
func (m *Memory) AttachmentFetchFailed(ctx context.Context, ref tipline.Reference, fileUniqueID string, retryIn time.Duration) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("record failed download of case %s: %w", ref, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	_, found := m.findAttachments(ref, fileUniqueID)
	if found == nil {
		return 0, fmt.Errorf("record failed download of case %s: %w", ref, tipline.ErrNotFound)
	}
	attempts := 0
	for _, ma := range found {
		if ma.fetched {
			continue
		}
		ma.attempts++
		if retryIn > 0 {
			ma.nextTry, ma.gaveUp = m.clock().Add(retryIn), false
		} else {
			ma.nextTry, ma.gaveUp = time.Time{}, true
		}
		attempts = max(attempts, ma.attempts)
	}
	return attempts, nil
}
