package review

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/tipline/tipline"
)

type fakeRetentionOutbox struct {
	keys []string
	outs []Out
}

func (o *fakeRetentionOutbox) Add(ctx context.Context, key string, outs []Out) error {
	o.keys = append(o.keys, key)
	o.outs = append(o.outs, outs...)
	return nil
}

// TestRetention: the reviewer of a closed case hears WarnBefore the day it
// is deleted, once; past the period the case is gone; an open case stays.
func TestRetention(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.take(t, 1)
	if err := f.store.CloseCase(ctx, f.ref, 1, tipline.Outcomes[0], t0); err != nil {
		t.Fatal(err)
	}
	out := &fakeRetentionOutbox{}
	r := &Retention{Store: f.store, Outbox: out, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: f.clock.Now,
		Period: 90 * 24 * time.Hour, Audit: 365 * 24 * time.Hour, Location: time.UTC}

	f.clock.Advance(80 * 24 * time.Hour)
	r.Run(ctx)
	if len(out.outs) != 0 {
		t.Fatalf("warned %d days early", 10)
	}
	f.clock.Advance(8 * 24 * time.Hour) // 2 days before deletion
	r.Run(ctx)
	r.Run(ctx)
	if len(out.outs) != 1 || out.outs[0].To.Reviewer != 1 || out.outs[0].Lane != tipline.LaneBulk || out.outs[0].Message.Lines[0].ID != "rv_retention_warning" {
		t.Fatalf("warnings %+v, want one to reviewer 1", out.outs)
	}
	if _, err := f.store.Case(ctx, f.ref); err != nil {
		t.Fatalf("deleted before its time: %v", err)
	}
	f.clock.Advance(3 * 24 * time.Hour)
	r.Run(ctx)
	if _, err := f.store.Case(ctx, f.ref); !errors.Is(err, tipline.ErrNotFound) {
		t.Errorf("case after the period: %v, want not found", err)
	}
}
