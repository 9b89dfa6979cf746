package postgres

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/keys"
	"github.com/tipline/tipline/storage"
)

// TestPostgresGoneDown checks every kind of call on a store whose database
// went away after it was opened.
func TestPostgresGoneDown(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	pool, err := pgxpool.New(ctx, "postgres://postgres@127.0.0.1:1/postgres?sslmode=disable&connect_timeout=2")
	if err != nil {
		t.Fatalf("pgxpool.New: %v", err)
	}
	defer pool.Close()
	p := &Store{pool: pool, ring: keys.NewRandomRing()}
	now := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

	calls := map[string]func() error{
		"Ping":    func() error { return p.Ping(ctx) },
		"Migrate": func() error { return p.Migrate(ctx) },
		"InboxAdd": func() error {
			_, err := p.InboxAdd(ctx, []storage.InboxItem{{UpdateID: 1, ChatKey: "a"}})
			return err
		},
		"InboxClaimBatch": func() error {
			_, err := p.InboxClaimBatch(ctx, "w", time.Minute, 1)
			return err
		},
		"InboxRelease": func() error { return p.InboxRelease(ctx, 1, "w", 0) },
		"SubmitCase": func() error {
			_, _, err := p.SubmitCase(ctx, tipline.NewCase{DraftID: "d", Reference: "TL-AAAA-CCCC"})
			return err
		},
		"Case": func() error {
			_, err := p.Case(ctx, "TL-AAAA-CCCC")
			return err
		},
		"AttachmentsToFetch": func() error {
			_, err := p.AttachmentsToFetch(ctx, 10)
			return err
		},
		"SaveAttachmentContent": func() error { return p.SaveAttachmentContent(ctx, "TL-AAAA-CCCC", "u", []byte("x")) },
		"AttachmentContent": func() error {
			_, err := p.AttachmentContent(ctx, "TL-AAAA-CCCC", "u")
			return err
		},
		"Audit": func() error {
			_, err := p.Audit(ctx, "TL-AAAA-CCCC")
			return err
		},
		"CaseByFollowUp": func() error {
			_, err := p.CaseByFollowUp(ctx, []byte("hash"))
			return err
		},
		"CasesByReporter": func() error {
			_, err := p.CasesByReporter(ctx, "a1b2")
			return err
		},
		"AddToCaseTracked": func() error {
			_, err := p.AddToCaseTracked(ctx, "TL-AAAA-CCCC", "upd:1", tipline.Addition{Actor: "reporter:a1b2", Text: "more"})
			return err
		},
		"Forget": func() error {
			_, err := p.Forget(ctx, "a1b2")
			return err
		},

		"CreateInvite": func() error { return p.CreateInvite(ctx, []byte("hash"), "name", false, now.Add(time.Hour)) },
		"RedeemInvite": func() error {
			_, err := p.RedeemInvite(ctx, []byte("hash"), 1, "en", now)
			return err
		},
		"ReviewerByTelegram": func() error {
			_, err := p.ReviewerByTelegram(ctx, 1)
			return err
		},
		"Reviewer": func() error {
			_, err := p.Reviewer(ctx, 1)
			return err
		},
		"Reviewers": func() error {
			_, err := p.Reviewers(ctx)
			return err
		},
		"DisableReviewer": func() error { return p.DisableReviewer(ctx, 1, now) },
		"SetReviewerLang": func() error { return p.SetReviewerLang(ctx, 1, "km") },
		"SaveRota":        func() error { return p.SaveRota(ctx, []byte("{}")) },
		"LoadRota": func() error {
			_, err := p.LoadRota(ctx)
			return err
		},
		"ClaimDueJobs": func() error {
			_, err := p.ClaimDueJobs(ctx, "w", now, time.Minute, 10)
			return err
		},
		"CompleteJob": func() error { return p.CompleteJob(ctx, 1, "w", &tipline.Job{Level: 1, RunAt: now}, nil) },
		"ReleaseJob":  func() error { return p.ReleaseJob(ctx, 1, "w") },
		"UnroutedCases": func() error {
			_, err := p.UnroutedCases(ctx)
			return err
		},
		"ScheduleJob": func() error { return p.ScheduleJob(ctx, tipline.Job{Reference: "TL-AAAA-CCCC", RunAt: now}) },
		"AddNotification": func() error {
			return p.AddNotification(ctx, "TL-AAAA-CCCC", tipline.Notification{ReviewerID: 1, ChatID: 1, MessageID: 1})
		},
		"Notifications": func() error {
			_, err := p.Notifications(ctx, "TL-AAAA-CCCC")
			return err
		},
		"Acknowledge": func() error {
			_, _, err := p.Acknowledge(ctx, "TL-AAAA-CCCC", 1, now)
			return err
		},
		"Escalate": func() error { return p.Escalate(ctx, "TL-AAAA-CCCC", 1, 2, now) },
		"AddNote": func() error {
			return p.AddNote(ctx, "TL-AAAA-CCCC", tipline.Note{Author: "reviewer:1", Kind: tipline.NoteInternal, Text: "x"})
		},
		"Notes": func() error {
			_, err := p.Notes(ctx, "TL-AAAA-CCCC")
			return err
		},
		"CloseCase":  func() error { return p.CloseCase(ctx, "TL-AAAA-CCCC", 1, tipline.OutcomePolice, now) },
		"ReopenCase": func() error { return p.ReopenCase(ctx, "TL-AAAA-CCCC", 1, now) },
		"Queue": func() error {
			_, err := p.Queue(ctx, 1)
			return err
		},

		"CasesToWarn": func() error {
			_, err := p.CasesToWarn(ctx, now)
			return err
		},
		"MarkRetentionWarned": func() error { return p.MarkRetentionWarned(ctx, "TL-AAAA-CCCC", now) },
		"DeleteClosedCases": func() error {
			_, err := p.DeleteClosedCases(ctx, now, 10)
			return err
		},
		"PurgeInbox": func() error {
			_, err := p.PurgeInbox(ctx, now)
			return err
		},
		"PurgeAudit": func() error {
			_, err := p.PurgeAudit(ctx, now)
			return err
		},
		"UnblockReporter": func() error { return p.UnblockReporter(ctx, "TL-AAAA-CCCC", 1, now) },
		"IsBlocked": func() error {
			_, err := p.IsBlocked(ctx, "a1b2")
			return err
		},
		"Rekey": func() error {
			_, err := p.Rekey(ctx, 10, nil)
			return err
		},
		"OldKeyValues": func() error {
			_, err := p.OldKeyValues(ctx)
			return err
		},
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, storage.ErrUnavailable) {
			t.Errorf("%s: %v, want storage.ErrUnavailable", name, err)
		}
	}
}
