// Package bot is Tipline's Telegram edge: it takes updates in (long polling
// or webhook) into a durable inbox before confirming them, processes each
// chat's updates in order through flows, carries out their effects, and
// sends the replies, paced within Telegram's limits.
package bot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	tgbot "github.com/go-telegram/bot"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/flows"
	"github.com/tipline/tipline/keys"
	"github.com/tipline/tipline/locales"
	"github.com/tipline/tipline/oncall"
	"github.com/tipline/tipline/storage"
)

// Store is what the bot needs of durable storage.
type Store interface {
	InboxAdd(ctx context.Context, items []storage.InboxItem) (int, error)
	InboxClaim(ctx context.Context, owner string, lease time.Duration) (storage.InboxItem, bool, error)
	InboxDone(ctx context.Context, updateID int64) error
	InboxRelease(ctx context.Context, updateID int64) error
	InboxChatSeen(ctx context.Context, chatKey string, updateID int64) (bool, error)
	SubmitCase(ctx context.Context, c tipline.NewCase) (tipline.Reference, bool, error)
	AttachmentsToFetch(ctx context.Context, limit int) ([]storage.PendingAttachment, error)
	AttachmentFetchFailed(ctx context.Context, ref tipline.Reference, fileUniqueID string, retryIn time.Duration) (int, error)
	SaveAttachmentContent(ctx context.Context, ref tipline.Reference, fileUniqueID string, content []byte) error
	Case(ctx context.Context, ref tipline.Reference) (tipline.Case, error)
	CasesByReporter(ctx context.Context, pseudonyms ...string) ([]tipline.CaseSummary, error)
	CaseByFollowUp(ctx context.Context, hash []byte) (tipline.Reference, error)
	AddToCaseOnce(ctx context.Context, ref tipline.Reference, key string, a tipline.Addition) error
	Forget(ctx context.Context, pseudonyms ...string) (int, error)
	WithdrawContact(ctx context.Context, ref tipline.Reference, pseudonyms ...string) error

	RedeemInvite(ctx context.Context, codeHash []byte, telegramID int64, lang string, now time.Time) (tipline.Reviewer, error)
	ReviewerByTelegram(ctx context.Context, telegramID int64) (tipline.Reviewer, error)
	Reviewer(ctx context.Context, id int64) (tipline.Reviewer, error)
	Reviewers(ctx context.Context) ([]tipline.Reviewer, error)
	LoadRota(ctx context.Context) ([]byte, error)
	ClaimDueJobs(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]tipline.Job, error)
	CompleteJob(ctx context.Context, id int64, next *tipline.Job) error
	ReleaseJob(ctx context.Context, id int64) error
	ScheduleJob(ctx context.Context, j tipline.Job) error
	UnroutedCases(ctx context.Context) ([]tipline.Reference, error)
	AddNotification(ctx context.Context, ref tipline.Reference, n tipline.Notification) error
	Notifications(ctx context.Context, ref tipline.Reference) ([]tipline.Notification, error)
	Acknowledge(ctx context.Context, ref tipline.Reference, reviewerID int64, now time.Time) (bool, int64, error)
	Escalate(ctx context.Context, ref tipline.Reference, reviewerID int64, toLevel int, now time.Time) error
	AddNote(ctx context.Context, ref tipline.Reference, n tipline.Note) error
	Notes(ctx context.Context, ref tipline.Reference) ([]tipline.Note, error)
	CloseCase(ctx context.Context, ref tipline.Reference, reviewerID int64, outcome tipline.Outcome, now time.Time) error
	ReopenCase(ctx context.Context, ref tipline.Reference, reviewerID int64, now time.Time) error
	Reassign(ctx context.Context, ref tipline.Reference, to int64, actor string, now time.Time) (int64, error)
	Queue(ctx context.Context, reviewerID int64) ([]tipline.CaseSummary, error)

	BlockReporter(ctx context.Context, ref tipline.Reference, reviewerID int64, now time.Time) error
	IsBlocked(ctx context.Context, pseudonyms ...string) (bool, error)
	CasesToWarn(ctx context.Context, warnBefore time.Time) ([]storage.RetentionWarning, error)
	MarkRetentionWarned(ctx context.Context, ref tipline.Reference, now time.Time) error
	DeleteClosedCases(ctx context.Context, cutoff time.Time, limit int) ([]tipline.Reference, error)
	PurgeInbox(ctx context.Context, cutoff time.Time) (int, error)
	PurgeAudit(ctx context.Context, cutoff time.Time) (int, error)
}

// Limiter counts attempts per key across all bot processes.
type Limiter interface {
	Allow(ctx context.Context, key string, limit int, window time.Duration) (bool, error)
}

// Sessions keeps conversations between updates.
type Sessions interface {
	Load(ctx context.Context, chatKey string) ([]byte, error)
	Save(ctx context.Context, chatKey string, data []byte) error
	Delete(ctx context.Context, chatKey string) error
	// Markers remember, without content, that a chat had an unfinished
	// report, so its expiry can be explained.
	Mark(ctx context.Context, name string, ttl time.Duration) error
	Marked(ctx context.Context, name string) (bool, error)
	Unmark(ctx context.Context, name string) error
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
	// PollTimeout is getUpdates' long-poll timeout.
	PollTimeout time.Duration
	// Idle is how often idle workers look for work another process stored.
	Idle      time.Duration
	Pacing    Pacing
	Limits    flows.Limits
	Emergency []flows.EmergencyNumber
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
	// Maintenance is how often retention runs.
	Maintenance time.Duration
	// WebhookURL and WebhookSecret select webhook mode.
	WebhookURL    string
	WebhookSecret string
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// HTTPClient is used for Bot API calls; a client with sane timeouts when nil.
	HTTPClient *http.Client
}

func (c *Config) defaults() {
	if c.APIURL == "" {
		c.APIURL = "https://api.telegram.org"
	}
	if c.Workers <= 0 {
		c.Workers = 8
	}
	if c.Lease <= 0 {
		c.Lease = 2 * time.Minute
	}
	if c.PollTimeout <= 0 {
		c.PollTimeout = 50 * time.Second
	}
	if c.Idle <= 0 {
		c.Idle = 250 * time.Millisecond
	}
	if c.Pacing == (Pacing{}) {
		c.Pacing = DefaultPacing
	}
	if c.Limits == (flows.Limits{}) {
		c.Limits = flows.DefaultLimits
	}
	if c.Emergency == nil {
		c.Emergency = flows.DefaultEmergency
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Location == nil {
		c.Location = time.UTC
	}
	if c.SessionTTL <= 0 {
		c.SessionTTL = 72 * time.Hour
	}
	if c.CodeTries <= 0 {
		c.CodeTries = 5
	}
	if c.Policy == (oncall.Policy{}) {
		c.Policy = oncall.DefaultPolicy()
	}
	if c.ReportsPerHour <= 0 {
		c.ReportsPerHour = 3
	}
	if c.ReportsPerDay <= 0 {
		c.ReportsPerDay = 10
	}
	if c.MessagesPerMinute <= 0 {
		c.MessagesPerMinute = 60
	}
	if c.Retention <= 0 {
		c.Retention = 90 * 24 * time.Hour
	}
	if c.AuditRetention <= 0 {
		c.AuditRetention = 2 * 365 * 24 * time.Hour
	}
	if c.Maintenance <= 0 {
		c.Maintenance = time.Hour
	}
	if c.RouteTick <= 0 {
		c.RouteTick = time.Second
	}
	if c.UnroutedCheck <= 0 {
		c.UnroutedCheck = time.Minute
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: c.PollTimeout + 15*time.Second}
	}
}

// Bot is one bot process. Several may run against the same database.
type Bot struct {
	cfg      Config
	log      *slog.Logger
	store    Store
	sessions Sessions
	limiter  Limiter
	ring     *keys.Ring
	render   renderer
	engine   *flows.Engine
	api      *tgbot.Bot
	send     *sender
	owner    string

	wake      chan struct{}
	fetchWake chan struct{}
	routeWake chan struct{}

	mu       sync.Mutex
	told     map[int64]bool      // updates whose sender was told of a problem on our side
	answered map[string]struct{} // callback queries already answered
	fetchErr map[string]int      // attachment fetch failures, by file
}

// New builds a bot. It does not contact Telegram.
func New(cfg Config, store Store, sessions Sessions, limiter Limiter, ring *keys.Ring, cat *locales.Catalog, log *slog.Logger) (*Bot, error) {
	cfg.defaults()
	if cfg.Token == "" {
		return nil, errors.New("bot: no token")
	}
	b := &Bot{
		cfg:       cfg,
		log:       log.With("component", "bot"),
		store:     store,
		sessions:  sessions,
		limiter:   limiter,
		ring:      ring,
		render:    renderer{cat: cat, signer: ring},
		owner:     newOwnerID(),
		wake:      make(chan struct{}, 1),
		fetchWake: make(chan struct{}, 1),
		routeWake: make(chan struct{}, 1),
		told:      map[int64]bool{},
		answered:  map[string]struct{}{},
		fetchErr:  map[string]int{},
		engine: &flows.Engine{
			NewDraftID:      newDraftID,
			NewReference:    tipline.NewReference,
			NewFollowUpCode: newFollowUpCode,
			Location:        cfg.Location,
			Limits:          cfg.Limits,
			Emergency:       cfg.Emergency,
		},
	}
	api, err := tgbot.New(cfg.Token,
		tgbot.WithServerURL(cfg.APIURL),
		tgbot.WithSkipGetMe(),
		tgbot.WithHTTPClient(cfg.PollTimeout, cfg.HTTPClient),
		tgbot.WithErrorsHandler(func(err error) { b.log.Error("telegram client", "err", err) }),
	)
	if err != nil {
		return nil, fmt.Errorf("bot: %w", err)
	}
	b.api = api
	b.send = &sender{api: api, log: b.log, pace: newPacer(cfg.Pacing), attempts: 6, backoff: 300 * time.Millisecond}
	return b, nil
}

func newOwnerID() string {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("bot: crypto/rand failed: " + err.Error())
	}
	return "bot-" + hex.EncodeToString(b[:])
}

// newFollowUpCode returns 16 uniformly random digits.
func newFollowUpCode() string {
	const digits = 16
	out := make([]byte, 0, digits)
	var b [1]byte
	for len(out) < digits {
		if _, err := rand.Read(b[:]); err != nil {
			panic("bot: crypto/rand failed: " + err.Error())
		}
		if b[0] >= 250 { // 250 = 25*10: no modulo bias
			continue
		}
		out = append(out, '0'+b[0]%10)
	}
	return string(out)
}

func newDraftID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("bot: crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(b[:])
}

// Run processes the inbox until ctx ends, then lets the updates in hand
// finish (each under its own deadline) before it returns.
func (b *Bot) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for i := 0; i < b.cfg.Workers; i++ {
		wg.Go(func() { b.work(ctx) })
	}
	wg.Go(func() { b.fetchLoop(ctx) })
	wg.Go(func() { b.routeLoop(ctx) })
	wg.Go(func() { b.maintenanceLoop(ctx) })
	wg.Wait()
	return nil
}

// notify wakes an idle worker: an update was just stored.
func (b *Bot) notify() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

func (b *Bot) work(ctx context.Context) {
	failing := false
	for ctx.Err() == nil {
		item, ok, err := b.store.InboxClaim(ctx, b.owner, b.cfg.Lease)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if !failing {
				b.log.Error("cannot read the inbox; retrying", "err", err)
				failing = true
			}
			_ = sleep(ctx, time.Second)
			continue
		}
		if failing {
			b.log.Info("inbox readable again")
			failing = false
		}
		if !ok {
			select {
			case <-ctx.Done():
				return
			case <-b.wake:
			case <-time.After(b.cfg.Idle):
			}
			continue
		}
		// An update in hand is finished even when shutdown begins.
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), b.cfg.Lease)
		err = b.process(pctx, item)
		if err != nil {
			b.log.Error("update not processed; it will be retried", "update_id", item.UpdateID, "err", err)
			if rerr := b.store.InboxRelease(pctx, item.UpdateID); rerr != nil {
				b.log.Error("release update", "update_id", item.UpdateID, "err", rerr)
			}
			cancel()
			_ = sleep(ctx, 500*time.Millisecond)
			continue
		}
		cancel()
		b.notify() // the chat's next update may be ready now
	}
}
