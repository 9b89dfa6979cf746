package main

import (
	"context"
	"crypto/subtle"
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
	"github.com/tipline/tipline/metrics/snapshot"
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

// health is what /metrics and /readyz look at, typed so that a store that
// stops providing what a scrape reads fails to compile rather than turning
// the gauges off without a word.
type health struct {
	// stats feeds the gauges at each scrape; nil (the sandbox's in-memory
	// twin) exports none.
	stats snapshot.Store
	// ready names the services /readyz pings ("postgresql", "redis").
	ready map[string]pinger
	// setup says why the bot's own set-up with Telegram (webhook,
	// commands) has not gone through yet; nil when there is none.
	setup *telegramSetup
}

// mountHealth puts /metrics, /healthz and /readyz on mux. It returns the
// metrics, for the parts of the bot that count.
func (m *Main) mountHealth(mux *http.ServeMux, cfg Config, log *slog.Logger, h health) *metrics.Metrics {
	var read metrics.SnapshotFunc
	if h.stats != nil {
		read = func(ctx context.Context) (metrics.Snapshot, error) { return snapshot.Read(ctx, h.stats, m.now()) }
	}
	met := metrics.New(read, map[string]time.Duration{
		string(tipline.UrgencyUrgent): cfg.AckUrgent,
		string(tipline.UrgencyNormal): cfg.AckNormal,
	}, log.With("component", "metrics"))
	mux.Handle("GET /metrics", bearer(cfg.MetricsToken, met.Handler()))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})

	checks := map[string]func(context.Context) error{}
	for name, p := range h.ready {
		checks[name] = p.Ping
	}
	if cfg.Intake != "off" {
		checks["telegram"] = (&telegramCheck{cfg: cfg}).check
		if h.setup != nil {
			checks["telegram_setup"] = h.setup.check
		}
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

// bearer lets a request through to next only with "Authorization: Bearer
// token" (compared in constant time); with no token, every request. The
// metrics tell how many urgent cases are open and whether anyone is on
// call: a scraper proves who it is before it reads them.
func bearer(token string, next http.Handler) http.Handler {
	if token == "" {
		return next
	}
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="tipline metrics"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}
