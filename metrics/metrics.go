// Package metrics is Tipline's Prometheus registry: counts and ages only,
// never content, ids or names. Counters and the processing histogram are
// fed by the bot through the methods of Metrics (the bot declares the small
// interface it needs); the gauges are computed at each scrape from a
// Snapshot that the program's wiring supplies.
package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Snapshot is the state of the tip line at one instant, read at each scrape.
// A nil map or pointer means "not known in this process" and exports
// nothing, so a gauge is never a misleading zero.
type Snapshot struct {
	// InboxPending counts updates received and not yet processed;
	// InboxOldest is the age of the oldest of them (0 when none).
	InboxPending int
	InboxOldest  time.Duration
	// OpenCases counts cases not closed, by status and urgency.
	OpenCases []CaseCount
	// OldestUnacknowledged is, per urgency, the age of the oldest case
	// nobody has taken yet (absent when there is none).
	OldestUnacknowledged map[string]time.Duration
	// RoutingJobs counts pending routing jobs by escalation level (0 the
	// primary, 1 the secondary, 2 and more everyone, repeated).
	RoutingJobs map[int]int
	// ActiveReviewers counts reviewers who can be notified; OnCall those on
	// the primary shift now (equal to ActiveReviewers when no rota is set,
	// since everyone is then notified).
	ActiveReviewers int
	OnCall          int
	// UnreachableReviewers counts active reviewers Telegram refused to
	// reach for good (G17).
	UnreachableReviewers int
	// OutboxPending and OutboxOldest are, per lane (1 callback answers,
	// 2 reviewer and urgent, 3 replies, 4 bulk), the messages waiting to be
	// sent and the age of the oldest. Nil until the outbox exists.
	OutboxPending map[int]int
	OutboxOldest  map[int]time.Duration
	// DeadLetters counts updates set aside after failing repeatedly. Nil
	// until dead letters are stored.
	DeadLetters *int
}

// CaseCount is the number of open cases with one status and urgency.
type CaseCount struct {
	Status  string
	Urgency string
	N       int
}

// SnapshotFunc reads a Snapshot; it is called once per scrape, with a deadline.
type SnapshotFunc func(ctx context.Context) (Snapshot, error)

// Metrics holds every Tipline metric. Its methods are safe for concurrent
// use and do nothing on a nil *Metrics, so a part built without metrics
// (a test, the sandbox) needs no guard.
type Metrics struct {
	reg         *prometheus.Registry
	sends       *prometheus.CounterVec
	limited     *prometheus.CounterVec
	retries     *prometheus.CounterVec
	processing  prometheus.Histogram
	deadLetters prometheus.Counter
	attachFails prometheus.Counter
}

// New builds the registry. snapshot may be nil (no gauges); ackDeadlines,
// per urgency, are exported so alert rules compare ages with the
// configured deadlines rather than with a number copied into the rules.
func New(snapshot SnapshotFunc, ackDeadlines map[string]time.Duration, log *slog.Logger) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		sends: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tipline_telegram_sends_total",
			Help: "Bot API calls that deliver a message (send, edit, delete, callback answer), by outbox lane and result (ok, error).",
		}, []string{"lane", "result"}),
		limited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tipline_telegram_429_total",
			Help: "Bot API calls answered 429 Too Many Requests, by outbox lane.",
		}, []string{"lane"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tipline_telegram_retries_total",
			Help: "Bot API calls tried again after a failure, by outbox lane.",
		}, []string{"lane"}),
		processing: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "tipline_update_processing_seconds",
			Help:    "Time from an update's arrival in the inbox to the end of its processing.",
			Buckets: []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300},
		}),
		deadLetters: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tipline_dead_letters_total",
			Help: "Updates set aside after failing repeatedly (their chat moves on).",
		}),
		attachFails: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tipline_attachment_download_failures_total",
			Help: "Photos, videos and voice notes that could not be fetched from Telegram (each try).",
		}),
	}
	m.reg.MustRegister(m.sends, m.limited, m.retries, m.processing, m.deadLetters, m.attachFails,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.reg.MustRegister(&stateCollector{snapshot: snapshot, deadlines: ackDeadlines, log: log})
	// Every lane's series exists from the start at 0, so increase() and
	// rate() see the first send, and a dashboard shows quiet lanes.
	for l := 1; l <= 4; l++ {
		m.sends.WithLabelValues(lane(l), "ok")
		m.sends.WithLabelValues(lane(l), "error")
		m.limited.WithLabelValues(lane(l))
		m.retries.WithLabelValues(lane(l))
	}
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// Registry is the registry, for tests and for adding metrics of other parts.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

func lane(l int) string { return strconv.Itoa(l) }

// Sent counts one delivery call on an outbox lane, successful or not.
func (m *Metrics) Sent(l int, ok bool) {
	if m == nil {
		return
	}
	result := "ok"
	if !ok {
		result = "error"
	}
	m.sends.WithLabelValues(lane(l), result).Inc()
}

// RateLimited counts one 429 answer from Telegram on a lane.
func (m *Metrics) RateLimited(l int) {
	if m != nil {
		m.limited.WithLabelValues(lane(l)).Inc()
	}
}

// Retried counts one call tried again on a lane.
func (m *Metrics) Retried(l int) {
	if m != nil {
		m.retries.WithLabelValues(lane(l)).Inc()
	}
}

// Processed records how long one update took, from the inbox to done.
func (m *Metrics) Processed(d time.Duration) {
	if m != nil {
		m.processing.Observe(d.Seconds())
	}
}

// DeadLettered counts one update set aside.
func (m *Metrics) DeadLettered() {
	if m != nil {
		m.deadLetters.Inc()
	}
}

// AttachmentFailed counts one failed attachment download.
func (m *Metrics) AttachmentFailed() {
	if m != nil {
		m.attachFails.Inc()
	}
}
