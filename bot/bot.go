// Package bot is Tipline's Telegram edge: it takes updates in (long polling
// or webhook) into a durable inbox before confirming them, processes each
// chat's updates in order through flows, carries out their effects, and
// sends the replies, paced within Telegram's limits.
//
// Comments cite the guarantees in docs/guarantees.md as G1–G13; that page
// names the tests that hold each one.
package bot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	tgbot "github.com/go-telegram/bot"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/flows"
	"github.com/tipline/tipline/internal/claimloop"
	"github.com/tipline/tipline/keys"
	"github.com/tipline/tipline/locales"
	"github.com/tipline/tipline/oncall"
	"github.com/tipline/tipline/outbox"
	"github.com/tipline/tipline/review"
	"github.com/tipline/tipline/storage"
)

// Store is what the bot needs of durable storage, in parts: the message
// path and the reporter's side, declared here, and what review's desk,
// router and retention need, declared there. storage/postgres and
// storage/memory provide all of it.
type Store interface {
	MessagePath
	ReporterStore
	ReviewerStore
	VoiceStore
	review.Store
	review.RouterStore
	review.RetentionStore
}

// MessagePath is the inbox of updates, the outbox of what to send, and
// the processes that share them (docs/guarantees.md, G1, G2, G11).
type MessagePath interface {
	InboxAddClaim(ctx context.Context, items []storage.InboxItem, owner string, lease time.Duration, limit int) (int, []storage.InboxItem, error)
	InboxClaimBatch(ctx context.Context, owner string, lease time.Duration, limit int) ([]storage.InboxItem, error)
	InboxReady(ctx context.Context, items []storage.InboxItem) ([]storage.InboxItem, error)
	InboxComplete(ctx context.Context, updateID int64, owner string, entries []storage.OutboxEntry) error
	InboxCompleteHand(ctx context.Context, owner string, lease time.Duration, done []storage.Completion) (storage.Completed, error)
	InboxRelease(ctx context.Context, updateID int64, owner string, wait time.Duration) error
	InboxDead(ctx context.Context, updateID int64, owner string, reason string) error
	InboxNextInChat(ctx context.Context, chatKey string, updateID int64) (bool, string, error)
	PurgeInbox(ctx context.Context, cutoff time.Time) (int, error)
	PurgeDeadLetters(ctx context.Context, before time.Time) (int, error)
	InboxDropDeadOfChat(ctx context.Context, chatKey string) (int, error)

	OutboxAdd(ctx context.Context, entries []storage.OutboxEntry) error
	OutboxClaimLanes(ctx context.Context, owner string, lease time.Duration, limit int, first, last tipline.Lane) ([]storage.OutboxEntry, error)
	OutboxSent(ctx context.Context, id int64, owner string, messageID int) error
	OutboxSentMany(ctx context.Context, owner string, sent []storage.Sent) ([]int64, error)
	OutboxRetry(ctx context.Context, id int64, owner string, wait time.Duration, failed bool) error
	OutboxDead(ctx context.Context, id int64, owner string, reason string) error
	OutboxDropChat(ctx context.Context, chatKey, reason string) (int, error)
	OutboxSentMessages(ctx context.Context, chatKey string, window time.Duration) ([]int, error)
	PurgeOutbox(ctx context.Context, cutoff time.Time) (int, error)

	// Heartbeat says owner is alive and gives the database's time.
	Heartbeat(ctx context.Context, owner string) (time.Time, error)
	Leave(ctx context.Context, owner string) error

	// Routing jobs: claimed and completed here, decided by review.Router.
	ClaimDueJobs(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]tipline.Job, error)
	CompleteJob(ctx context.Context, id int64, owner string, next *tipline.Job, entries []storage.OutboxEntry) error
	ReleaseJob(ctx context.Context, id int64, owner string) error
}

// ReporterStore is the reporter's side: cases, what is added to them,
// their files, and the reporter's own controls.
type ReporterStore interface {
	SubmitCase(ctx context.Context, c tipline.NewCase) (tipline.Reference, bool, error)
	Case(ctx context.Context, ref tipline.Reference) (tipline.Case, error)
	CasesByReporter(ctx context.Context, pseudonyms ...string) ([]tipline.CaseSummary, error)
	CaseByFollowUp(ctx context.Context, hash []byte) (tipline.Reference, error)
	AddToCaseTracked(ctx context.Context, ref tipline.Reference, key string, a tipline.Addition) (storage.AddResult, error)
	Forget(ctx context.Context, pseudonyms ...string) (int, error)
	WithdrawContact(ctx context.Context, ref tipline.Reference, pseudonyms ...string) error
	IsBlocked(ctx context.Context, pseudonyms ...string) (bool, error)
	// ScreenSenders is ReviewerByTelegram and IsBlocked for a claimed
	// batch at once (prefetchSessions, below).
	ScreenSenders(ctx context.Context, senders []storage.Sender) ([]storage.Screening, error)

	AttachmentsToFetch(ctx context.Context, limit int) ([]storage.PendingAttachment, error)
	AttachmentFetchFailed(ctx context.Context, ref tipline.Reference, fileUniqueID string, retryIn time.Duration) (int, error)
	SaveAttachmentContent(ctx context.Context, ref tipline.Reference, fileUniqueID string, content []byte) error
}

// ReviewerStore is who a reviewer is, for the edge that has only a
// Telegram account to go by; review decides what they may do.
type ReviewerStore interface {
	RedeemInvite(ctx context.Context, codeHash []byte, telegramID int64, lang string, now time.Time) (tipline.Reviewer, error)
	ReviewerByTelegram(ctx context.Context, telegramID int64) (tipline.Reviewer, error)
	// SetReviewerLang keeps the language a reviewer chose on the picker.
	SetReviewerLang(ctx context.Context, id int64, lang string) error
	FindCases(ctx context.Context, q tipline.FindQuery) ([]tipline.Found, error)
	// MarkUnreachable and MarkReachable keep who Telegram will not reach
	// (G17): the mark moves their waiting cases on and queues notices.
	MarkUnreachable(ctx context.Context, id int64, now time.Time, notices []storage.OutboxEntry) (bool, []tipline.Reference, error)
	MarkReachable(ctx context.Context, id int64) (bool, error)
}

// processLocker is a store that can hold a lock for this process while it
// lives (postgres.Store): when the process dies with its connection, the
// others take its work over at once rather than after its silence.
type processLocker interface {
	HoldProcessLock(ctx context.Context, owner string) error
}

// IntakeLock lets one process at a time take updates in by long polling;
// when it dies, another takes over within seconds.
type IntakeLock interface {
	// TryLock takes the lock, or tells that another process holds it.
	TryLock(ctx context.Context) (bool, error)
	// Held checks that the lock is still ours (its connection lives).
	Held(ctx context.Context) error
	Unlock(ctx context.Context) error
}

// Observer counts what the bot does, for metrics: counts and times only,
// never content. A nil Observer counts nothing.
type Observer interface {
	outbox.Observer // what is sent
	Processed(d time.Duration)
	DeadLettered()
	AttachmentFailed()
}

// Limiter counts attempts per key across all bot processes.
type Limiter interface {
	Allow(ctx context.Context, key string, limit int, window time.Duration) (bool, error)
}

// Sessions keeps conversations between updates.
type Sessions interface {
	Load(ctx context.Context, chatKey string) ([]byte, error)
	Save(ctx context.Context, chatKey string, data []byte) error
	// SaveMarked is Save with markers set (removed for a TTL of 0) in the
	// same round trip: every step's write.
	SaveMarked(ctx context.Context, chatKey string, data []byte, marks ...storage.Mark) error
	// SaveAll is SaveMarked for several chats in one round trip, each
	// with its own outcome: the steps of a group committed together.
	SaveAll(ctx context.Context, saves []storage.SessionSave) []error
	Delete(ctx context.Context, chatKey string) error
	// Markers remember, without content, that a chat had an unfinished
	// report, so its expiry can be explained.
	Mark(ctx context.Context, name string, ttl time.Duration) error
	Marked(ctx context.Context, name string) (bool, error)
	Unmark(ctx context.Context, name string) error
	// A marker may hold a short value: a reporter's chosen language,
	// kept under their pseudonym longer than a session (language.go).
	MarkWith(ctx context.Context, name, value string, ttl time.Duration) error
	MarkValue(ctx context.Context, name string) (string, error)
	MarkValues(ctx context.Context, names ...string) ([]string, error)
}

// Config is the bot's part of the program's configuration.
type Config struct {
	Token  string
	APIURL string
	// Workers is how many chats are processed at once in this process.
	Workers int
	// Lease is how long a claimed update is ours before another process may
	// take it over (when this one died).
	Lease time.Duration
	// PollTimeout is getUpdates' long-poll timeout (DefaultPollTimeout
	// when zero).
	PollTimeout time.Duration
	// Idle is how often idle workers look for work another process stored.
	Idle time.Duration
	// Senders is how many outgoing messages are in flight at once;
	// DispatchIdle how often an idle dispatcher looks for messages another
	// process queued; ProbeEvery how often a Telegram that failed is asked
	// whether it is back.
	Senders      int
	DispatchIdle time.Duration
	ProbeEvery   time.Duration
	// Heartbeat is how often this process says it is alive; work held by a
	// process silent for longer than the store's take-over time (10 s) is
	// taken over.
	Heartbeat time.Duration
	// AlbumWait is how long each part of an album (photos or videos sent
	// together: one media_group_id) waits before it is processed, so the
	// parts Telegram delivers a fraction of a second apart are all in the
	// inbox when the first is handled, and the album is answered once.
	AlbumWait time.Duration
	// MaxAttempts is how often an update may fail before it is set aside.
	MaxAttempts int
	Pacing      outbox.Pacing
	Limits      flows.Limits
	Emergency   []flows.EmergencyNumber
	// Location is the NGO's time zone, for dates reporters type.
	Location *time.Location
	// SessionTTL is how long sessions live; an expired draft is explained
	// for a month after.
	SessionTTL time.Duration
	// CodeTries is how many follow-up codes one reporter may try per hour.
	CodeTries int
	// Policy says when an unacknowledged case goes to the next level.
	Policy oncall.Policy
	// RouteTick is how often routing jobs are looked for; UnroutedCheck how
	// often the check for forgotten cases runs.
	RouteTick     time.Duration
	UnroutedCheck time.Duration
	// Limits per reporter, shared by all processes (Redis).
	ReportsPerHour    int
	ReportsPerDay     int
	MessagesPerMinute int
	// Retention: closed cases are deleted this long after closing, with a
	// warning to their reviewer 72 hours before; audit events are kept for
	// AuditRetention; processed inbox rows for 48 hours.
	Retention      time.Duration
	AuditRetention time.Duration
	// DeadLetterTTL is how long an update set aside is kept: long enough
	// to fix the cause and retry it, no longer, since it holds a
	// reporter's words.
	DeadLetterTTL time.Duration
	// Maintenance is how often retention runs.
	Maintenance time.Duration
	// WebhookURL and WebhookSecret select webhook mode.
	WebhookURL    string
	WebhookSecret string
	// Now is the clock. When nil it is the database's clock (the local
	// clock corrected at every heartbeat), so that leases, due jobs and
	// escalation times agree across processes.
	Now func() time.Time
	// HTTPClient is used for long polling, SendClient for every other Bot
	// API call; clients with sane timeouts when nil.
	HTTPClient *http.Client
	SendClient *http.Client
}

// defaults checks that every setting an operator can change is given, and
// fills in only the process's own tunables, which no operator sets. The
// operator's settings and their defaults have one source: cmd/tipline's
// config.go, which documents each TIPLINE_ variable.
func (c *Config) defaults() error {
	var missing []string
	for _, s := range []struct {
		name  string
		unset bool
	}{
		{"APIURL", c.APIURL == ""},
		{"Workers", c.Workers <= 0},
		{"Lease", c.Lease <= 0},
		{"Pacing", c.Pacing == (outbox.Pacing{})},
		{"Limits", c.Limits == (flows.Limits{})},
		{"Emergency", len(c.Emergency) == 0},
		{"Location", c.Location == nil},
		{"SessionTTL", c.SessionTTL <= 0},
		{"CodeTries", c.CodeTries <= 0},
		{"Policy", c.Policy == (oncall.Policy{})},
		{"ReportsPerHour", c.ReportsPerHour <= 0},
		{"ReportsPerDay", c.ReportsPerDay <= 0},
		{"MessagesPerMinute", c.MessagesPerMinute <= 0},
		{"Retention", c.Retention <= 0},
		{"AuditRetention", c.AuditRetention <= 0},
		{"DeadLetterTTL", c.DeadLetterTTL <= 0},
		{"RouteTick", c.RouteTick <= 0},
		{"UnroutedCheck", c.UnroutedCheck <= 0},
	} {
		if s.unset {
			missing = append(missing, s.name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("bot: config has no %s (cmd/tipline's config sets them all)", strings.Join(missing, ", "))
	}
	if c.Senders <= 0 {
		c.Senders = 8
	}
	if c.DispatchIdle <= 0 {
		c.DispatchIdle = 100 * time.Millisecond
	}
	if c.ProbeEvery <= 0 {
		c.ProbeEvery = 500 * time.Millisecond
	}
	if c.Heartbeat <= 0 {
		c.Heartbeat = 2 * time.Second
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 5
	}
	if c.AlbumWait <= 0 {
		c.AlbumWait = DefaultAlbumWait
	}
	if c.PollTimeout <= 0 {
		c.PollTimeout = DefaultPollTimeout
	}
	if c.Idle <= 0 {
		c.Idle = 250 * time.Millisecond
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Maintenance <= 0 {
		c.Maintenance = time.Hour
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: c.PollTimeout + 15*time.Second}
	}
	if c.SendClient == nil {
		// Every sender keeps its connection to Telegram between messages:
		// the default transport keeps two per host, so the others closed
		// theirs after each message and connected (and shook hands) anew.
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = c.Senders + answerSenders + 4
		c.SendClient = &http.Client{Timeout: 10 * time.Second, Transport: t}
	}
	return nil
}

// DefaultAlbumWait is AlbumWait's default: Telegram delivers an album's
// parts within a fraction of a second, and a reporter waits one second
// more for the answer.
const DefaultAlbumWait = time.Second

// Bot is one bot process. Several may run against the same database.
type Bot struct {
	cfg        Config
	clock      *dbClock // the database's clock, when cfg.Now was not given
	log        *slog.Logger
	store      Store
	sessions   Sessions
	limiter    Limiter
	intakeLock IntakeLock
	obs        Observer
	ring       *keys.Ring
	render     renderer
	engine     *flows.Engine
	api        *tgbot.Bot
	sender     *outbox.Sender // sends what processing queued
	owner      string

	wake chan struct{} // an update was stored
	// claimable counts the moments a claim from the inbox may have found
	// an update no hand-off brought (mayClaim).
	claimable atomic.Uint64
	fetchWake chan struct{}
	routeWake chan struct{}

	commits    committer // completed updates waiting to be committed together
	intaken    intaken   // updates claimed as they were stored, for the workers
	freshly    freshly   // the outcomes of updates processed before they are stored
	prefetched prefetch  // sessions loaded with their claimed batch

	voices voiceCache // the recorded prompts, per language (voices.go)

	mu           sync.Mutex
	unsettled    []func(context.Context) error // writes that wait for the database (retryLater)
	botName      atomic.Value                  // the bot's username (string), learnt at Setup
	pollLimit    int                           // getUpdates' limit when not 100 (the poller's own)
	toldUnstored map[int64]bool                // chats told we are slow, in this outage
	// desk carries out reviewers' actions (the review package).
	desk   *review.Desk
	router *review.Router
	// retention runs the retention rules (the review package).
	retention *review.Retention
}

// Parts are the bot's collaborators, each declared by what the bot needs.
type Parts struct {
	Store    Store
	Sessions Sessions
	Limiter  Limiter
	// Throttle paces sending across processes (storage/redis's);
	// FallbackThrottle paces sending from this process alone while the
	// shared one cannot be reached (storage/memory's): a Redis outage
	// slows sending to what one process may send, never stops it.
	Throttle         outbox.Throttle
	FallbackThrottle outbox.Throttle
	// IntakeLock lets one process poll at a time; nil polls without one.
	IntakeLock IntakeLock
	// Observer counts for metrics; nil counts nothing.
	Observer Observer
	Ring     *keys.Ring
	Catalog  *locales.Catalog
	Log      *slog.Logger
}

// New builds a bot. It does not contact Telegram.
func New(cfg Config, p Parts) (*Bot, error) {
	var clock *dbClock
	if cfg.Now == nil {
		clock = &dbClock{}
		cfg.Now = clock.Now
	}
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	if cfg.Token == "" {
		return nil, errors.New("bot: no token")
	}
	if p.Store == nil || p.Sessions == nil || p.Limiter == nil || p.Throttle == nil || p.FallbackThrottle == nil || p.Ring == nil || p.Catalog == nil || p.Log == nil {
		return nil, errors.New("bot: a part is missing")
	}
	b := &Bot{
		cfg:          cfg,
		clock:        clock,
		log:          p.Log.With("component", "bot"),
		store:        p.Store,
		sessions:     p.Sessions,
		limiter:      p.Limiter,
		intakeLock:   p.IntakeLock,
		obs:          p.Observer,
		ring:         p.Ring,
		render:       renderer{cat: p.Catalog, signer: p.Ring},
		owner:        newOwnerID(),
		wake:         make(chan struct{}, 1),
		fetchWake:    make(chan struct{}, 1),
		routeWake:    make(chan struct{}, 1),
		toldUnstored: map[int64]bool{},
		engine: &flows.Engine{
			NewDraftID:      newDraftID,
			NewReference:    tipline.NewReference,
			NewFollowUpCode: tipline.NewFollowUpCode,
			Location:        cfg.Location,
			Limits:          cfg.Limits,
			Emergency:       cfg.Emergency,
			Retention:       cfg.Retention,
		},
	}
	b.router = &review.Router{Store: p.Store, Notifier: b, Policy: cfg.Policy, Log: b.log, Now: cfg.Now}
	b.retention = &review.Retention{Store: p.Store, Outbox: retentionOutbox{b}, Log: b.log, Now: cfg.Now,
		Period: cfg.Retention, Audit: cfg.AuditRetention, Location: cfg.Location}
	b.desk = &review.Desk{Store: p.Store, Notifier: b, Log: b.log, Now: cfg.Now, Router: b.router,
		Location: cfg.Location, Finder: p.Store}
	sendClient := outbox.WithLostAnswers(cfg.SendClient)
	api, err := tgbot.New(cfg.Token,
		tgbot.WithServerURL(cfg.APIURL),
		tgbot.WithSkipGetMe(),
		tgbot.WithHTTPClient(cfg.SendClient.Timeout, sendClient),
		tgbot.WithErrorsHandler(func(error) { b.log.Warn("telegram client error") }),
	)
	if err != nil {
		return nil, fmt.Errorf("bot: %w", err)
	}
	b.api = api
	b.sender, err = outbox.New(outbox.Config{
		Owner: b.owner, Lease: cfg.Lease, Senders: cfg.Senders, AnswerSenders: answerSenders,
		Idle: cfg.DispatchIdle, ProbeEvery: cfg.ProbeEvery, Pacing: cfg.Pacing,
	}, outbox.Parts{
		Store: p.Store, Throttle: p.Throttle, Fallback: p.FallbackThrottle,
		Telegram: outbox.NewDirect(api, sendClient, cfg.APIURL, cfg.Token),
		Hooks:    senderHooks{b}, Observer: p.Observer, Log: p.Log,
	})
	if err != nil {
		return nil, fmt.Errorf("bot: %w", err)
	}
	// What a commit queues ready to go is claimed by it and sent at once;
	// the dispatchers are woken for the rest.
	b.commits.lease, b.commits.hand, b.commits.behind = cfg.Lease, b.sender.Hand, b.mayClaim
	b.commits.sessions = b.sessions
	return b, nil
}

func newOwnerID() string {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("bot: crypto/rand failed: " + err.Error())
	}
	return "bot-" + hex.EncodeToString(b[:])
}

func newDraftID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("bot: crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(b[:])
}

// Run processes the inbox, sends the outbox and runs the routing jobs
// until ctx ends. Updates in hand are then finished (each under its own
// deadline) or given back; whatever this process still holds is free for
// the others at once.
func (b *Bot) Run(ctx context.Context) error {
	if l, ok := b.store.(processLocker); ok {
		if err := l.HoldProcessLock(ctx, b.owner); err != nil {
			b.log.Warn("no process lock; a crash of this process is taken over after its silence", "err", err)
		}
	}
	if err := b.heartbeat(ctx); err != nil {
		b.log.Warn("first heartbeat failed; retrying", "err", err)
	}
	var wg sync.WaitGroup
	wg.Go(func() { b.work(ctx) })
	var bg sync.WaitGroup
	bgCtx, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	bg.Go(func() { b.heartbeatLoop(bgCtx) })
	// The sender outlives the workers a little: what the updates in hand
	// queued goes out before the process stops, unless Telegram fails.
	dispatchCtx, stopDispatch := context.WithCancel(context.WithoutCancel(ctx))
	drained := make(chan struct{})
	go func() { b.sender.Run(dispatchCtx); close(drained) }()
	wg.Go(func() { b.fetchLoop(ctx) })
	wg.Go(func() { b.routeLoop(ctx) })
	wg.Go(func() { b.maintenanceLoop(ctx) })
	wg.Wait()
	b.sender.Drain()
	select {
	case <-drained:
	case <-time.After(drainGrace):
	}
	stopDispatch()
	<-drained
	// Nothing is sent any more: the connections the senders kept go, so a
	// server that is Telegram to us (the sandbox) can stop at once.
	b.cfg.SendClient.CloseIdleConnections()
	stopBG()
	bg.Wait()
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	b.retryLater(lctx)
	if err := b.store.Leave(lctx, b.owner); err != nil {
		b.log.Warn("could not say this process stopped; its work is taken over in seconds", "err", err)
	}
	return nil
}

// answerSenders is how many answers to button presses are in flight at
// once, besides Senders' messages.
const answerSenders = 4

// drainGrace bounds how long a stopping process sends what its last
// updates queued.
const drainGrace = 5 * time.Second

// heartbeatLoop says this process is alive, so the work it holds stays its
// own, and does the writes that failed while the database was down.
func (b *Bot) heartbeatLoop(ctx context.Context) {
	failing := false
	for {
		err := b.heartbeat(ctx)
		if ctx.Err() != nil {
			return
		}
		switch {
		case err != nil && !failing:
			b.log.Error("heartbeat failed; the database may be down", "err", err)
			failing = true
		case err == nil:
			failing = false
			b.retryLater(ctx)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(b.cfg.Heartbeat):
		}
	}
}

// heartbeat says this process is alive, and sets the clock by the
// database's.
func (b *Bot) heartbeat(ctx context.Context) error {
	sent := time.Now()
	at, err := b.store.Heartbeat(ctx, b.owner)
	if err == nil && b.clock != nil {
		b.clock.observe(sent, time.Now(), at)
	}
	return err
}

// senderHooks is what the sender tells the bot: a chat Telegram will not
// reach (unreachable.go), and a write that waits for the database.
type senderHooks struct{ b *Bot }

func (h senderHooks) ChatGone(ctx context.Context, chatID int64) error {
	return h.b.chatGone(ctx, chatID)
}
func (h senderHooks) Later(write func(context.Context) error) { h.b.later(write) }

// newBatch starts a batch of outbox entries keyed by prefix, each in its
// chat's key.
func (b *Bot) newBatch(prefix string) *outbox.Batch {
	return outbox.NewBatch(prefix, b.ring.ChatKey)
}

func updateBatchPrefix(updateID int64) string { return "u:" + strconv.FormatInt(updateID, 10) }

// notify wakes the idle workers: updates were just stored.
func (b *Bot) notify() {
	claimloop.Signal(b.wake)
}

// mayClaim says a claim from the inbox may now find an update that intake
// did not hand to the workers: one stored but not claimed as it was (its
// chat was busy, the workers were), a chat's next update once the one
// before it is done, an update given back. The workers claim at their next
// turn; otherwise they claim only every Idle (updates another process
// stored, back-offs that ended, claims that lapsed), not after every
// update: most are handed over by intake, and a claim that finds nothing
// is a transaction for nothing.
func (b *Bot) mayClaim() {
	b.claimable.Add(1)
	claimloop.Signal(b.wake)
}

// backoff is how long an update waits after its n-th failed attempt:
// short at first, never more than a few seconds.
func backoff(n int) time.Duration {
	d := 250 * time.Millisecond << max(0, min(n-1, 4))
	return min(d, 3*time.Second)
}

// work processes the inbox until ctx ends, up to Workers updates at once
// (an update waiting for its commit no longer counts: its worker takes
// the next one meanwhile): one claim takes as many ready updates (each the
// next of its chat) as there are free workers, so idle workers do not
// each ask the database. Updates in hand, and those intake claimed for
// the workers, are finished when ctx ends (each under its own deadline)
// before work returns.
func (b *Bot) work(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	var (
		covered   uint64    // the last mayClaim a claim answered
		lastClaim time.Time // when the inbox was last claimed from
	)
	claimloop.Loop[storage.InboxItem]{
		What:  "inbox",
		Hands: b.cfg.Workers,
		Claim: func(ctx context.Context, n int) ([]storage.InboxItem, error) {
			// Those claimed as they were stored go first, with no claim
			// of their own (intake.go).
			if items := b.takeIntaken(ctx, n); len(items) > 0 {
				return items, nil
			}
			due := b.claimable.Load()
			if due == covered && time.Since(lastClaim) < b.cfg.Idle {
				return nil, nil // nothing said to be ready
			}
			lastClaim = time.Now()
			items, err := b.store.InboxClaimBatch(ctx, b.owner, b.cfg.Lease, n)
			if err == nil && len(items) < n {
				covered = due // all that was ready is in hand
			}
			return items, err
		},
		Claimed: func(ctx context.Context, items []storage.InboxItem) {
			var ids []int64
			for _, it := range items {
				if !it.Fresh { // intake's batch is their unit (takeUpdates)
					ids = append(ids, it.UpdateID)
				}
			}
			b.commits.claimed(ids) // completed as one unit (commit.go)
			b.prefetchBatch(ctx, items)
		},
		Handle: func(item storage.InboxItem, free func()) {
			defer b.dropPrefetched(item)
			// The worker is free once the update waits for its commit.
			b.commits.holdHand(item.UpdateID, free)
			defer b.commits.dropHand(item.UpdateID)
			b.handle(ctx, item)
		},
		Wake: b.wake,
		Idle: b.cfg.Idle,
		Log:  b.log,
	}.Run(ctx, &wg)
	// Updates intake claimed for the workers are as much this process's
	// as those in hand: they are finished too.
	for _, item := range b.closeIntake() {
		wg.Go(func() { b.handle(ctx, item) })
	}
}

// handle processes one claimed update and records what became of it. An
// update in hand is finished even when shutdown begins.
func (b *Bot) handle(ctx context.Context, item storage.InboxItem) {
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), b.cfg.Lease)
	defer cancel()
	start := time.Now()
	err := b.processSafely(pctx, item)
	// Completed, or its batch is not to wait for it while it is retried.
	b.commits.leave(item.UpdateID)
	if item.Fresh {
		// Not in the inbox: intake stores it to be retried if it failed
		// (takeUpdates), before Telegram hears it has it.
		if err != nil {
			b.log.Warn("update not processed as it came; it is stored and retried", "update_id", item.UpdateID, "err", err)
		} else if b.obs != nil {
			b.obs.Processed(time.Since(start))
		}
		b.freshly.resolve(item.UpdateID, err)
		return
	}
	switch {
	case err == nil:
		// Whatever it queued woke its dispatchers already (complete).
		if b.obs != nil {
			b.obs.Processed(time.Since(start))
		}
		// Its chat's next update, if one waits, was said to be ready by
		// the commit (committer.behind).
	case errors.Is(err, storage.ErrNotHolder):
		b.log.Info("an update was taken over by another process", "update_id", item.UpdateID)
	case item.Attempts >= b.cfg.MaxAttempts && !errors.Is(err, storage.ErrUnavailable):
		// A poisoned update, not an outage: an outage only delays.
		b.log.Error("an update failed again and again; set aside", "update_id", item.UpdateID, "attempts", item.Attempts, "err", err)
		if derr := b.setAside(pctx, item, "failed "+strconv.Itoa(item.Attempts)+" times"); derr != nil {
			b.release(pctx, item)
		}
	default:
		b.log.Warn("update not processed; it will be retried", "update_id", item.UpdateID, "attempt", item.Attempts, "err", err)
		b.tellDelayed(pctx, item)
		b.release(pctx, item)
	}
	if err != nil {
		b.mayClaim() // set aside, given back or taken over: its chat may move on
	}
}

// release gives an update back to be retried after its back-off; a
// release that fails (the database is down) is done by the heartbeat once
// the database is back, so the update does not wait out its claim.
func (b *Bot) release(ctx context.Context, item storage.InboxItem) {
	err := b.store.InboxRelease(ctx, item.UpdateID, b.owner, backoff(item.Attempts))
	if err == nil || errors.Is(err, storage.ErrNotHolder) {
		return
	}
	b.later(func(ctx context.Context) error {
		err := b.store.InboxRelease(ctx, item.UpdateID, b.owner, 0)
		if errors.Is(err, storage.ErrNotHolder) {
			return nil
		}
		return err
	})
}

// later keeps a write that failed while the database was down, for the
// heartbeat to do once it is back (retryLater).
func (b *Bot) later(write func(context.Context) error) {
	b.mu.Lock()
	b.unsettled = append(b.unsettled, write)
	b.mu.Unlock()
}

// retryLater does the writes that waited for the database, in order,
// stopping at the first that fails again.
func (b *Bot) retryLater(ctx context.Context) {
	b.mu.Lock()
	writes := b.unsettled
	b.unsettled = nil
	b.mu.Unlock()
	for i, write := range writes {
		if err := write(ctx); err != nil {
			b.mu.Lock()
			b.unsettled = append(writes[i:], b.unsettled...)
			b.mu.Unlock()
			return
		}
	}
}

// processSafely processes an update; a panic is an error like another,
// and the update is set aside once it has failed often enough.
func (b *Bot) processSafely(ctx context.Context, item storage.InboxItem) (err error) {
	defer func() {
		if r := recover(); r != nil {
			b.log.Error("processing an update panicked", "update_id", item.UpdateID, "panic", fmt.Sprintf("%T", r))
			err = errors.New("bot: processing panicked")
		}
	}()
	return b.process(ctx, item)
}

// DefaultPollTimeout is getUpdates' long-poll timeout: Telegram holds the
// request this long when there is nothing to say.
const DefaultPollTimeout = 50 * time.Second

// sessionsLoader loads several chats' sessions in one round trip
// (redis.Sessions and memory.Sessions do).
type sessionsLoader interface {
	LoadMany(ctx context.Context, chatKeys []string) ([][]byte, []error, error)
}

// batchReader reads a claimed batch's sessions and markers in one round
// trip (redis.Sessions and memory.Sessions do), and counts its calls to
// the rate limiter in it too when it holds the limiter (redis.Shared and
// memory.Shared).
type batchReader interface {
	ReadBatch(ctx context.Context, r storage.BatchRead) (storage.BatchReads, error)
}

// prefetch holds the sessions of a claimed batch, loaded in one round trip
// instead of one per update. Each is used once, by its chat's update in
// hand: the chat's next update cannot be claimed before this one is
// completed, so what was loaded at the claim is what the update would
// have read; it is dropped when the update is finished, used or not.
//
// It holds too what the store knew of each update's sender at the claim
// (screenSenders): whether they are a reviewer and whether they are
// blocked, read for the whole batch in one statement. A sender becomes a
// reviewer only by an update of their own chat, completed before this one
// was claimed; a block made since the claim counts from the chat's next
// update, as one made while the update was processed always did.
//
// And, read in the sessions' round trip, each reporter's markers and the
// verdict of the message limiter (reporterRead).
type prefetch struct {
	mu        sync.Mutex
	m         map[string]prefetched  // by chat key
	screened  map[int64]screened     // by update id
	reporters map[int64]reporterRead // by update id
}

// screened is what the store knew of an update's sender at the claim.
type screened struct {
	telegramID int64
	storage.Screening
}

type prefetched struct {
	data []byte
	err  error
}

// reporterRead is what was read, with its batch, for the step of an
// update from a reporter: every marker the step may read (readReporter),
// by name, and, when known, the message limiter's verdict on the update
// (guard). The markers of a reporter are written by their own chat's
// updates, which wait for this one, but for the cases awaiting their
// answer, which a reviewer's message may set at any moment: read at the
// claim or a moment later in the step, a message crossing the team's
// is a race either way.
type reporterRead struct {
	telegramID int64
	marks      map[string]string
	// allowed is the limiter's verdict when counted is set.
	allowed, counted bool
}

// prefetchBatch reads, for a claimed batch, what its updates would each
// read on their own: who the senders are (the database, in one
// statement), then their sessions, their markers and the message
// limiter's verdicts (Redis, in one round trip).
func (b *Bot) prefetchBatch(ctx context.Context, items []storage.InboxItem) {
	batch := readBatch(items)
	b.prefetchSessions(ctx, batch, b.screenSenders(ctx, batch))
}

// batchUpdate is a claimed update as its batch's reads need it, read once.
type batchUpdate struct {
	storage.InboxItem
	u    rawUpdate
	read bool  // the payload reads as an update
	user int64 // the sender of a private chat's update; 0 for any other
}

// readBatch reads the updates of a claimed batch that are not sealed.
func readBatch(items []storage.InboxItem) []batchUpdate {
	out := make([]batchUpdate, 0, len(items))
	for _, it := range items {
		if it.Sealed {
			continue
		}
		bu := batchUpdate{InboxItem: it}
		if bu.u, bu.read = readUpdate(it.Payload); bu.read {
			// In a private chat the chat is the user.
			bu.user = bu.u.privateChatID()
		}
		out = append(out, bu)
	}
	return out
}

// prefetchSessions reads the sessions of claimed updates at once, with
// their reporters' markers, and counts their messages against the limit
// when the limiter is the sessions' own. When it cannot, each update reads
// its own, as before. A batch of one is read so too: one round trip in
// place of three (session, markers, limit).
func (b *Bot) prefetchSessions(ctx context.Context, batch []batchUpdate, screened map[int64]screened) {
	reader, ok := b.sessions.(batchReader)
	if !ok || len(batch) == 0 {
		return
	}
	// The limiter's calls ride in the same round trip only when it is
	// the sessions' own (one part given as both).
	lr, ok := b.limiter.(batchReader)
	counts := ok && lr == reader
	var (
		r       storage.BatchRead
		chats   []string
		readFor []int64 // update ids whose reporter's markers are read
		users   []int64
		firstOf []int // where each one's markers begin in r.Marks
		checkOf = map[int64]int{}
	)
	for _, it := range batch {
		chats = append(chats, it.ChatKey)
		u, user := it.u, it.user
		if user <= 0 {
			continue
		}
		readFor, users, firstOf = append(readFor, it.UpdateID), append(users, user), append(firstOf, len(r.Marks))
		r.Marks = append(r.Marks, b.reporterMarkers(user, it.ChatKey)...)
		// Counted here only when the guard will count it: a sender
		// screened as no reviewer and not blocked, whose message cannot
		// redeem an invite (reviewerUpdate).
		if s, ok := screened[it.UpdateID]; counts && ok && s.telegramID == user && !s.Reviewer && !s.Blocked && !u.mayRedeemInvite() {
			checkOf[it.UpdateID] = len(r.Checks)
			r.Checks = append(r.Checks, b.messageCheck(b.ring.Pseudonym(user)))
		}
	}
	r.Chats = chats
	got, err := reader.ReadBatch(ctx, r)
	if err != nil || len(got.Sessions) != len(chats) || len(got.SessionErrs) != len(chats) ||
		len(got.Marks) != len(r.Marks) || len(got.Allowed) != len(r.Checks) || len(got.Known) != len(r.Checks) {
		return
	}
	b.prefetched.mu.Lock()
	defer b.prefetched.mu.Unlock()
	if b.prefetched.m == nil {
		b.prefetched.m = map[string]prefetched{}
	}
	for i, c := range chats {
		b.prefetched.m[c] = prefetched{data: got.Sessions[i], err: got.SessionErrs[i]}
	}
	if b.prefetched.reporters == nil {
		b.prefetched.reporters = map[int64]reporterRead{}
	}
	for i, id := range readFor {
		end := len(r.Marks)
		if i+1 < len(firstOf) {
			end = firstOf[i+1]
		}
		read := reporterRead{telegramID: users[i], marks: make(map[string]string, end-firstOf[i])}
		for k := firstOf[i]; k < end; k++ {
			read.marks[r.Marks[k]] = got.Marks[k]
		}
		if k, ok := checkOf[id]; ok {
			read.allowed, read.counted = got.Allowed[k], got.Known[k]
		}
		b.prefetched.reporters[id] = read
	}
}

// sessionData is the chat's stored session: the one loaded with its batch
// if there is one (taken, so it is used once), else loaded now.
func (b *Bot) sessionData(ctx context.Context, chatKey string) ([]byte, error) {
	b.prefetched.mu.Lock()
	p, ok := b.prefetched.m[chatKey]
	delete(b.prefetched.m, chatKey)
	b.prefetched.mu.Unlock()
	if ok {
		return p.data, p.err
	}
	return b.sessions.Load(ctx, chatKey)
}

// dropPrefetched forgets what was loaded for an update once it is
// finished, whether or not it was used.
func (b *Bot) dropPrefetched(item storage.InboxItem) {
	b.prefetched.mu.Lock()
	delete(b.prefetched.m, item.ChatKey)
	delete(b.prefetched.screened, item.UpdateID)
	delete(b.prefetched.reporters, item.UpdateID)
	b.prefetched.mu.Unlock()
}

// screenSenders asks the store, for the private chats of a claimed batch
// at once, who is a reviewer and who is blocked, and returns it by update
// id; each update also takes its own once (screening). An update intake
// claimed was screened by the statement that stored it (InboxAddClaim):
// only the others are asked for. When the store cannot answer, each
// update asks for itself, as before.
func (b *Bot) screenSenders(ctx context.Context, batch []batchUpdate) map[int64]screened {
	var (
		senders []storage.Sender
		ids     []int64
		out     = map[int64]screened{}
	)
	for _, it := range batch {
		switch {
		case it.user > 0 && it.Screened != nil:
			// Screened by the statement that stored and claimed it.
			out[it.UpdateID] = screened{telegramID: it.user, Screening: *it.Screened}
		case it.user > 0:
			senders = append(senders, storage.Sender{TelegramID: it.user, Pseudonyms: b.ring.Pseudonyms(it.user)})
			ids = append(ids, it.UpdateID)
		}
	}
	if len(senders) > 0 { // even one is worth it: one statement instead of two
		found, err := b.store.ScreenSenders(ctx, senders)
		if err == nil && len(found) == len(senders) {
			for i, id := range ids {
				out[id] = screened{telegramID: senders[i].TelegramID, Screening: found[i]}
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	b.prefetched.mu.Lock()
	defer b.prefetched.mu.Unlock()
	if b.prefetched.screened == nil {
		b.prefetched.screened = map[int64]screened{}
	}
	maps.Copy(b.prefetched.screened, out)
	return out
}

// reporterReadFor is what was read with the update's batch for its
// reporter, if it was and the sender is userID (taken, so it is used
// once).
func (b *Bot) reporterReadFor(updateID, userID int64) (reporterRead, bool) {
	b.prefetched.mu.Lock()
	defer b.prefetched.mu.Unlock()
	r, ok := b.prefetched.reporters[updateID]
	delete(b.prefetched.reporters, updateID)
	return r, ok && r.telegramID == userID
}

// screening is what the store knew of the update's sender at its claim,
// if it was screened with its batch and the sender is userID (taken, so
// it is used once).
func (b *Bot) screening(updateID, userID int64) (storage.Screening, bool) {
	b.prefetched.mu.Lock()
	defer b.prefetched.mu.Unlock()
	s, ok := b.prefetched.screened[updateID]
	delete(b.prefetched.screened, updateID)
	return s.Screening, ok && s.telegramID == userID
}
