package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	tgbot "github.com/go-telegram/bot"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/metrics"
	"github.com/tipline/tipline/oncall"
	"github.com/tipline/tipline/storage"
)

// readyTimeout bounds each check of /readyz.
const readyTimeout = 5 * time.Second

// telegramCheckEvery spaces the getMe calls of /readyz, so a probe every
// few seconds does not become a stream of calls to Telegram.
const telegramCheckEvery = 30 * time.Second

// pinger is anything /readyz can ask whether it answers.
type pinger interface {
	Ping(ctx context.Context) error
}

// statsStore is what the metrics read at each scrape.
type statsStore interface {
	Stats(ctx context.Context) (storage.Stats, error)
	Reviewers(ctx context.Context) ([]tipline.Reviewer, error)
	LoadRota(ctx context.Context) ([]byte, error)
	OutboxPending(ctx context.Context) (map[storage.Lane]int, error)
	OutboxOldest(ctx context.Context) (map[storage.Lane]time.Duration, error)
	InboxDeadCount(ctx context.Context) (int, error)
}

// mountHealth puts /metrics, /healthz and /readyz on mux. store and
// sessions are checked by /readyz when they can be pinged (the in-memory
// twins of the sandbox cannot, and are always ready). It returns the
// metrics, for the parts of the bot that count.
func (m *Main) mountHealth(mux *http.ServeMux, cfg Config, log *slog.Logger, store, sessions any, setup *telegramSetup) *metrics.Metrics {
	var snapshot metrics.SnapshotFunc
	if s, ok := store.(statsStore); ok {
		snapshot = func(ctx context.Context) (metrics.Snapshot, error) { return readSnapshot(ctx, s, m.now()) }
	}
	met := metrics.New(snapshot, map[string]time.Duration{
		string(tipline.UrgencyUrgent): cfg.AckUrgent,
		string(tipline.UrgencyNormal): cfg.AckNormal,
	}, log.With("component", "metrics"))
	mux.Handle("GET /metrics", met.Handler())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})

	checks := map[string]func(context.Context) error{}
	if p, ok := store.(pinger); ok {
		checks["postgresql"] = p.Ping
	}
	if p, ok := sessions.(pinger); ok {
		checks["redis"] = p.Ping
	}
	if cfg.Intake != "off" {
		checks["telegram"] = (&telegramCheck{cfg: cfg}).check
		checks["telegram_setup"] = setup.check
	}
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		status := map[string]string{}
		ready := true
		var mu sync.Mutex
		var wg sync.WaitGroup
		for name, check := range checks {
			wg.Go(func() {
				ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
				defer cancel()
				result := "ok"
				if err := check(ctx); err != nil {
					result = "unavailable"
					var why readyReason
					if errors.As(err, &why) {
						result += ": " + string(why)
					}
					log.Warn("not ready", "check", name, "err", err)
				}
				mu.Lock()
				defer mu.Unlock()
				status[name] = result
				ready = ready && result == "ok"
			})
		}
		wg.Wait()
		w.Header().Set("Content-Type", "application/json")
		if !ready {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		_ = json.NewEncoder(w).Encode(status)
	})
	return met
}

func (m *Main) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

// telegramCheck asks Telegram getMe, at most once per telegramCheckEvery;
// between calls it repeats the last answer.
type telegramCheck struct {
	cfg  Config
	mu   sync.Mutex
	at   time.Time
	last error
}

func (t *telegramCheck) check(ctx context.Context) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.at.IsZero() && time.Since(t.at) < telegramCheckEvery {
		return t.last
	}
	t.last = getMe(ctx, t.cfg)
	t.at = time.Now()
	return t.last
}

// getMe asks Telegram who the bot is; the error never carries the token.
func getMe(ctx context.Context, cfg Config) error {
	api, err := tgbot.New(cfg.BotToken, tgbot.WithServerURL(cfg.APIURL), tgbot.WithSkipGetMe())
	if err != nil {
		return errors.New("telegram client: bad token or URL")
	}
	if _, err := api.GetMe(ctx); err != nil {
		return errors.New("getMe failed")
	}
	return nil
}

// readSnapshot turns the store's counts into the metrics' snapshot, with
// the on-call reviewers computed from the rota at now.
func readSnapshot(ctx context.Context, s statsStore, now time.Time) (metrics.Snapshot, error) {
	st, err := s.Stats(ctx)
	if err != nil {
		return metrics.Snapshot{}, err
	}
	snap := metrics.Snapshot{
		InboxPending:         st.InboxPending,
		InboxOldest:          st.InboxOldest,
		OldestUnacknowledged: map[string]time.Duration{},
		RoutingJobs:          st.RoutingJobs,
	}
	for status, byUrgency := range st.OpenCases {
		for u, n := range byUrgency {
			snap.OpenCases = append(snap.OpenCases, metrics.CaseCount{Status: string(status), Urgency: string(u), N: n})
		}
	}
	for u, d := range st.OldestUnacknowledged {
		snap.OldestUnacknowledged[string(u)] = d
	}
	snap.ActiveReviewers, snap.OnCall, snap.UnreachableReviewers, err = onCallNow(ctx, s, now)
	if err != nil {
		return metrics.Snapshot{}, err
	}
	pending, err := s.OutboxPending(ctx)
	if err != nil {
		return metrics.Snapshot{}, err
	}
	oldest, err := s.OutboxOldest(ctx)
	if err != nil {
		return metrics.Snapshot{}, err
	}
	snap.OutboxPending, snap.OutboxOldest = map[int]int{}, map[int]time.Duration{}
	for lane := storage.LaneCallback; lane <= storage.LaneBulk; lane++ {
		snap.OutboxPending[int(lane)] = pending[lane]
		snap.OutboxOldest[int(lane)] = oldest[lane]
	}
	dead, err := s.InboxDeadCount(ctx)
	if err != nil {
		return metrics.Snapshot{}, err
	}
	snap.DeadLetters = &dead
	return snap, nil
}

// onCallNow counts the active reviewers, those a new case would reach
// first (the primary on shift, or everyone reachable when there is no rota
// or nobody reachable is on shift: routing then notifies everyone), and
// the active reviewers Telegram will not reach.
func onCallNow(ctx context.Context, s statsStore, now time.Time) (active, onCall, unreachable int, err error) {
	reviewers, err := s.Reviewers(ctx)
	if err != nil {
		return 0, 0, 0, err
	}
	for _, r := range reviewers {
		if r.Active {
			active++
			if !r.Reachable() {
				unreachable++
			}
		}
	}
	rota, found, err := loadRota(ctx, s)
	if err != nil {
		return 0, 0, 0, err
	}
	if !found {
		rota = oncall.Rota{}
	}
	chosen, _ := oncall.Recipients(rota, int(oncall.Primary), now, reviewers)
	return active, len(chosen), unreachable, nil
}

// loadRota reads the stored rota; found is false when none was set.
func loadRota(ctx context.Context, s interface {
	LoadRota(context.Context) ([]byte, error)
}) (oncall.Rota, bool, error) {
	var rota oncall.Rota
	doc, err := s.LoadRota(ctx)
	if errors.Is(err, tipline.ErrNotFound) {
		return rota, false, nil
	}
	if err != nil {
		return rota, false, err
	}
	if err := json.Unmarshal(doc, &rota); err != nil {
		return rota, false, fmt.Errorf("read rota: %w", err)
	}
	return rota, true, nil
}
