package outbox

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	tgbot "github.com/go-telegram/bot"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
	"github.com/tipline/tipline/storage/memory"
	"github.com/tipline/tipline/storage/storagetest"
)

// TestFailingSendBacksOffThenGivesUp is the security review's L3: an entry
// Telegram keeps failing (5xx), or a reviewer's entry whose fate stays
// unknown, is tried again after a growing, capped wait, and goes to the
// dead letters after maxSendTries; it does not come back at once.
func TestFailingSendBacksOffThenGivesUp(t *testing.T) {
	for i, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second} {
		if got := retryBackoff(i); got != want {
			t.Errorf("retryBackoff(%d) = %s, want %s", i, got, want)
		}
	}
	if got := retryBackoff(50); got != 2*time.Minute {
		t.Errorf("retryBackoff(50) = %s, want the 2 minute cap", got)
	}
	for _, res := range []outcome{failed, unknown} {
		ctx := context.Background()
		clock := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
		mem := memory.New(func() time.Time { return clock })
		b := newTestSender(t, mem, nil)
		entry := storage.OutboxEntry{Key: "k", ChatKey: "rv", ChatID: 42, Lane: tipline.LaneUrgent, Method: MethodSend, Payload: []byte(`{"text":"x"}`), RetryUnknown: true}
		if err := mem.OutboxAdd(ctx, []storage.OutboxEntry{entry}); err != nil {
			t.Fatal(err)
		}
		for try := 1; try <= maxSendTries; try++ {
			got, err := storagetest.OutboxClaim(ctx, mem, b.cfg.Owner, time.Minute, 10)
			if err != nil || len(got) != 1 {
				t.Fatalf("outcome %d, try %d: claimed %d entries (%v), want the entry", res, try, len(got), err)
			}
			if got[0].Attempts != try-1 {
				t.Fatalf("outcome %d, try %d: %d attempts counted", res, try, got[0].Attempts)
			}
			b.settle(ctx, got[0], res, 0, 0, "")
			if again, _ := storagetest.OutboxClaim(ctx, mem, b.cfg.Owner, time.Minute, 10); len(again) != 0 {
				t.Fatalf("outcome %d, try %d: the failed entry came back at once", res, try)
			}
			clock = clock.Add(retryBackoff(try))
		}
		if pending, _ := mem.OutboxPending(ctx); pending[tipline.LaneUrgent] != 0 {
			t.Fatalf("outcome %d: the entry is still pending after %d tries, want it set aside", res, maxSendTries)
		}
	}
}

// newTestSender builds a Sender on store, calling api (nil: a client of a
// Telegram nobody runs), that keeps the chats it is told are gone.
func newTestSender(t testing.TB, store Store, api Telegram) *Sender {
	t.Helper()
	if api == nil {
		var err error
		api, err = tgbot.New("123456:test-token", tgbot.WithServerURL("http://127.0.0.1:1"), tgbot.WithSkipGetMe())
		if err != nil {
			t.Fatal(err)
		}
	}
	s, err := New(Config{Owner: "test", Lease: time.Minute, Senders: 4, AnswerSenders: 2, Idle: 10 * time.Millisecond, ProbeEvery: 10 * time.Millisecond, Pacing: DefaultPacing},
		Parts{Store: store, Throttle: memory.NewThrottle(nil), Fallback: memory.NewThrottle(nil), Telegram: api, Hooks: &testHooks{}, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// testHooks keeps what a Sender tells its bot.
type testHooks struct {
	mu    sync.Mutex
	gone  []int64
	later []func(context.Context) error
}

func (h *testHooks) ChatGone(_ context.Context, chatID int64) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.gone = append(h.gone, chatID)
	return nil
}

func (h *testHooks) Later(write func(context.Context) error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.later = append(h.later, write)
}
