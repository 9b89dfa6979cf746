package metrics

import (
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	b, err := io.ReadAll(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestCountersAndExtensionPoints: what the bot counts shows up by lane, and
// the outbox and dead-letter gauges appear once the snapshot fills them.
func TestCountersAndExtensionPoints(t *testing.T) {
	dead := 3
	m := New(func(context.Context) (Snapshot, error) {
		return Snapshot{
			OutboxPending: map[int]int{2: 5},
			OutboxOldest:  map[int]time.Duration{2: 90 * time.Second},
			DeadLetters:   &dead,
		}, nil
	}, nil, nil)
	m.Sent(2, true)
	m.Sent(3, false)
	m.RateLimited(3)
	m.Retried(3)
	m.Processed(30 * time.Millisecond)
	m.DeadLettered()
	m.AttachmentFailed()
	body := scrape(t, m)
	for _, want := range []string{
		`tipline_telegram_sends_total{lane="2",result="ok"} 1`,
		`tipline_telegram_sends_total{lane="3",result="error"} 1`,
		`tipline_telegram_429_total{lane="3"} 1`,
		`tipline_telegram_retries_total{lane="3"} 1`,
		`tipline_update_processing_seconds_bucket{le="0.05"} 1`,
		`tipline_dead_letters_total 1`,
		`tipline_attachment_download_failures_total 1`,
		`tipline_outbox_pending{lane="2"} 5`,
		`tipline_outbox_oldest_seconds{lane="2"} 90`,
		`tipline_dead_letters 3`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}

	var none *Metrics // a part built without metrics
	none.Sent(1, true)
	none.Processed(time.Second)

	failing := New(func(context.Context) (Snapshot, error) { return Snapshot{}, errors.New("db down") }, nil, nil)
	body = scrape(t, failing)
	if !strings.Contains(body, "tipline_state_up 0") || strings.Contains(body, "tipline_outbox_pending") || strings.Contains(body, "tipline_dead_letters ") {
		t.Errorf("a failed snapshot should export only tipline_state_up 0:\n%s", body)
	}
}

// botCounts is what the bot is expected to declare and call (its outbox
// dispatcher, worker and attachment fetcher); *Metrics must keep fitting it.
type botCounts interface {
	Sent(lane int, ok bool)
	RateLimited(lane int)
	Retried(lane int)
	Processed(d time.Duration)
	DeadLettered()
	AttachmentFailed()
}

var _ botCounts = (*Metrics)(nil)
