package bot

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/keys"
	"github.com/tipline/tipline/locales"
	"github.com/tipline/tipline/storage/memory"
)

// TestClockIsTheDatabases: a bot given no clock reckons leases, due jobs
// and escalations from the database's clock, learnt at each heartbeat.
// Here the database runs an hour ahead of this machine: a case it stored
// "now" is due at once, and the next level is due an escalation delay
// after the database's now, not this machine's.
func TestClockIsTheDatabases(t *testing.T) {
	const ahead = time.Hour
	mem := memory.New(func() time.Time { return time.Now().Add(ahead) })
	cfg := testConfig()
	cfg.Now = nil
	b, err := New(cfg, Parts{
		Store: mem, Sessions: memory.NewSessions(time.Hour, nil), Limiter: memory.NewLimiter(nil),
		Throttle: memory.NewThrottle(nil), FallbackThrottle: memory.NewThrottle(nil), Ring: keys.NewRandomRing(), Catalog: locales.MustLoad(),
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	near := func(what string, got, want time.Time) {
		t.Helper()
		if d := got.Sub(want).Abs(); d > 5*time.Second {
			t.Fatalf("%s: %v, want about %v (off by %v)", what, got, want, d)
		}
	}
	near("before any heartbeat, the local clock", b.cfg.Now(), time.Now())

	ref := tipline.Reference("TL-AAAA-CCCC")
	if _, _, err := mem.SubmitCase(t.Context(), tipline.NewCase{
		DraftID: "d1", Reference: ref, Kind: tipline.KindTip, Urgency: tipline.UrgencyUrgent, Lang: "en",
		Reporter: "a1b2c3d4e5f60718293a4b5c6d7e8f90", Answers: tipline.Answers{},
	}); err != nil {
		t.Fatal(err)
	}
	b.RunDueJobs(t.Context())
	if jobs, err := mem.Peek().PendingJobs(t.Context(), ref); err != nil || len(jobs) != 1 || jobs[0].Level != 0 {
		t.Fatalf("on the local clock the case's first job must not be due yet: %+v, %v", jobs, err)
	}

	if err := b.heartbeat(t.Context()); err != nil {
		t.Fatal(err)
	}
	near("after a heartbeat, the database's clock", b.cfg.Now(), time.Now().Add(ahead))
	near("the router's clock", b.router.Now(), time.Now().Add(ahead))

	b.RunDueJobs(t.Context())
	jobs, err := mem.Peek().PendingJobs(t.Context(), ref)
	if err != nil {
		t.Fatal(err)
	}
	lvl, after, ok := cfg.Policy.Next(0, tipline.UrgencyUrgent)
	if !ok || len(jobs) != 1 || jobs[0].Level != lvl {
		t.Fatalf("after the first job ran: %+v, want the level %d job only", jobs, lvl)
	}
	near("the escalation's due time", jobs[0].RunAt, time.Now().Add(ahead+after))

	// The database down: the last offset stays.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := b.heartbeat(ctx); err == nil {
		t.Fatal("a heartbeat on a cancelled context succeeded")
	}
	near("while the database does not answer", b.cfg.Now(), time.Now().Add(ahead))
}
