package memory

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
)

// AttachmentsToFetch lists up to limit attachments whose bytes are not
// stored yet, oldest case first.
func (m *Store) AttachmentsToFetch(ctx context.Context, limit int) ([]storage.PendingAttachment, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list attachments to fetch: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []storage.PendingAttachment
	rows := 0
	now := m.clock()
	fetched := m.fetchedByReporterLocked(now)
	for _, sc := range m.order {
		if sc.c.Reporter != "" && fetched[sc.c.Reporter] >= m.addLimits.OrDefaults().ReporterFilesBytesPerDay {
			continue // this reporter's files wait a day
		}
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
			out = append(out, storage.PendingAttachment{Reference: sc.c.Reference, FileID: ma.a.FileID, FileUniqueID: ma.a.FileUniqueID, Kind: ma.a.Kind, Attempts: ma.attempts})
		}
	}
	return out, nil
}

// SaveAttachmentContent stores the fetched bytes of a case's attachment and
// writes an "attachment_stored" audit event; saving again does nothing.
func (m *Store) SaveAttachmentContent(ctx context.Context, ref tipline.Reference, fileUniqueID string, content []byte) error {
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
		ma.content, ma.fetched, ma.fetchedAt = shared, true, m.clock()
		stored = true
	}
	if stored {
		sc.audit = append(sc.audit, tipline.AuditEvent{Reference: ref, Actor: tipline.ActorSystem, Action: storage.ActionAttachmentStored, At: m.clock()})
	}
	return nil
}

// AttachmentContent returns a copy of the stored bytes of a case's
// attachment; tipline.ErrNotFound if absent or not fetched yet.
func (m *Store) AttachmentContent(ctx context.Context, ref tipline.Reference, fileUniqueID string) ([]byte, error) {
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
func (m *Store) findAttachments(ref tipline.Reference, uniqueID string) (*memCase, []*memAttachment) {
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

// AttachmentFetchFailed records a failed download, as
// postgres.Store.AttachmentFetchFailed does.
func (m *Store) AttachmentFetchFailed(ctx context.Context, ref tipline.Reference, fileUniqueID string, retryIn time.Duration) (int, error) {
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

// fetchedByReporterLocked sums, per reporter, the bytes of their cases'
// files fetched in the day before now.
func (m *Store) fetchedByReporterLocked(now time.Time) map[string]int64 {
	out := map[string]int64{}
	for _, sc := range m.order {
		if sc.c.Reporter == "" || m.cases[sc.c.Reference] != sc {
			continue
		}
		for _, ma := range sc.attachments {
			if ma.fetched && ma.fetchedAt.After(now.Add(-24*time.Hour)) {
				out[sc.c.Reporter] += int64(len(ma.content))
			}
		}
	}
	return out
}
