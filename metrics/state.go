package metrics

import (
	"context"
	"log/slog"
	"sort"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// scrapeTimeout bounds the database queries of one scrape.
const scrapeTimeout = 5 * time.Second

var (
	descUp = prometheus.NewDesc("tipline_state_up",
		"1 when the state gauges below were read at this scrape, 0 when the database could not be read.", nil, nil)
	descInboxPending = prometheus.NewDesc("tipline_inbox_pending",
		"Updates received and not yet processed.", nil, nil)
	descInboxOldest = prometheus.NewDesc("tipline_inbox_oldest_seconds",
		"Age of the oldest unprocessed update (0 when the inbox is empty).", nil, nil)
	descOpenCases = prometheus.NewDesc("tipline_cases_open",
		"Cases not closed, by status and urgency.", []string{"status", "urgency"}, nil)
	descOldestUnack = prometheus.NewDesc("tipline_case_oldest_unacknowledged_seconds",
		"Age of the oldest case nobody has taken yet, by urgency (0 when there is none).", []string{"urgency"}, nil)
	descAckDeadline = prometheus.NewDesc("tipline_ack_deadline_seconds",
		"How long a case may wait before it escalates (TIPLINE_ACK_URGENT, TIPLINE_ACK_NORMAL), by urgency.", []string{"urgency"}, nil)
	descRouting = prometheus.NewDesc("tipline_routing_jobs",
		"Pending routing jobs by escalation level (0 primary, 1 secondary, 2 everyone, 3+ reminders).", []string{"level"}, nil)
	descActive = prometheus.NewDesc("tipline_reviewers_active",
		"Reviewers who can be notified.", nil, nil)
	descUnreachable = prometheus.NewDesc("tipline_reviewers_unreachable",
		"Active reviewers Telegram refused to reach for good (blocked the bot, account gone); routing passes them over until they write to the bot.", nil, nil)
	descOnCall = prometheus.NewDesc("tipline_reviewers_on_call",
		"Active reviewers on the primary shift now (every active reviewer when no rota is set).", nil, nil)
	descOutboxPending = prometheus.NewDesc("tipline_outbox_pending",
		"Messages waiting to be sent, by lane (1 callback answers, 2 reviewer and urgent, 3 replies, 4 bulk).", []string{"lane"}, nil)
	descOutboxOldest = prometheus.NewDesc("tipline_outbox_oldest_seconds",
		"Age of the oldest message waiting to be sent, by lane.", []string{"lane"}, nil)
	descDeadLetters = prometheus.NewDesc("tipline_dead_letters",
		"Updates set aside after failing repeatedly and not yet cleared.", nil, nil)
)

// urgencies are exported for every case gauge even when zero, so an alert
// rule sees 0 rather than an absent series.
var urgencies = []string{"normal", "urgent"}

type stateCollector struct {
	snapshot  SnapshotFunc
	deadlines map[string]time.Duration
	log       *slog.Logger
}

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descUp, descInboxPending, descInboxOldest, descOpenCases, descOldestUnack,
		descAckDeadline, descRouting, descActive, descUnreachable, descOnCall, descOutboxPending, descOutboxOldest, descDeadLetters} {
		ch <- d
	}
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	for _, u := range urgencies {
		if d, ok := c.deadlines[u]; ok {
			gauge(descAckDeadline, d.Seconds(), u)
		}
	}
	if c.snapshot == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	s, err := c.snapshot(ctx)
	if err != nil {
		if c.log != nil {
			c.log.Warn("metrics: state not read", "err", err)
		}
		gauge(descUp, 0)
		return
	}
	gauge(descUp, 1)
	gauge(descInboxPending, float64(s.InboxPending))
	gauge(descInboxOldest, s.InboxOldest.Seconds())
	for _, cc := range s.OpenCases {
		gauge(descOpenCases, float64(cc.N), cc.Status, cc.Urgency)
	}
	for _, u := range urgencies {
		gauge(descOldestUnack, s.OldestUnacknowledged[u].Seconds(), u)
	}
	levels := make([]int, 0, len(s.RoutingJobs))
	for l := range s.RoutingJobs {
		levels = append(levels, l)
	}
	sort.Ints(levels)
	for _, l := range levels {
		gauge(descRouting, float64(s.RoutingJobs[l]), strconv.Itoa(l))
	}
	gauge(descActive, float64(s.ActiveReviewers))
	gauge(descUnreachable, float64(s.UnreachableReviewers))
	gauge(descOnCall, float64(s.OnCall))
	for l, n := range s.OutboxPending {
		gauge(descOutboxPending, float64(n), strconv.Itoa(l))
	}
	for l, d := range s.OutboxOldest {
		gauge(descOutboxOldest, d.Seconds(), strconv.Itoa(l))
	}
	if s.DeadLetters != nil {
		gauge(descDeadLetters, float64(*s.DeadLetters))
	}
}
