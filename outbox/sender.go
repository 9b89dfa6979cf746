// Package outbox sends what the bot queued: the dispatcher that claims the
// outbox's entries and sends each within Telegram's limits, the record of
// what was sent, and the Batch that queues them. It is courier's sender
// for Tipline: it knows Telegram's methods and limits, and nothing of
// conversations, cases or reviewers, so it imports neither flows nor
// review nor bot.
//
// It is a top-level package rather than bot/outbox because it is not a
// part of the bot but a layer under it: it needs only storage and the
// Telegram client, and the bot is its user (bot.New builds a Sender from
// the store and the throttles cmd/tipline gives it; processing, routing
// and retention queue through Batch). A chat that is gone is the bot's
// business: the Sender tells it through Hooks.
package outbox

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/internal/claimloop"
	"github.com/tipline/tipline/storage"
)

// Store is what the Sender needs of the outbox table: claim, record the
// outcome of a try, and find what was sent to a chat to clear it.
type Store interface {
	OutboxClaimLanes(ctx context.Context, owner string, lease time.Duration, limit int, first, last tipline.Lane) ([]storage.OutboxEntry, error)
	OutboxSent(ctx context.Context, id int64, owner string, messageID int) error
	OutboxSentMany(ctx context.Context, owner string, sent []storage.Sent) ([]int64, error)
	OutboxRetry(ctx context.Context, id int64, owner string, wait time.Duration, failed bool) error
	OutboxDead(ctx context.Context, id int64, owner string, reason string) error
	OutboxSentMessages(ctx context.Context, chatKey string, window time.Duration) ([]int, error)
}

// Throttle paces sends across processes (redis.Throttle; memory.Throttle
// for one process).
type Throttle interface {
	// TakeEach takes, for each set in turn, a token from every bucket of
	// the set, all or none, in one call: what a claimed batch of entries
	// needs, one round trip for the batch.
	TakeEach(ctx context.Context, sets [][]storage.Bucket) ([]storage.Taken, error)
	// Hold makes a bucket give nothing for d (Telegram's retry_after).
	Hold(ctx context.Context, b storage.Bucket, d time.Duration) error
}

// Telegram is the part of the Bot API the Sender calls (*tgbot.Bot).
type Telegram interface {
	SendMessage(ctx context.Context, p *tgbot.SendMessageParams) (*models.Message, error)
	EditMessageText(ctx context.Context, p *tgbot.EditMessageTextParams) (*models.Message, error)
	AnswerCallbackQuery(ctx context.Context, p *tgbot.AnswerCallbackQueryParams) (bool, error)
	SendVoice(ctx context.Context, p *tgbot.SendVoiceParams) (*models.Message, error)
	SendVideo(ctx context.Context, p *tgbot.SendVideoParams) (*models.Message, error)
	SendPhoto(ctx context.Context, p *tgbot.SendPhotoParams) (*models.Message, error)
	SendMediaGroup(ctx context.Context, p *tgbot.SendMediaGroupParams) ([]*models.Message, error)
	DeleteMessages(ctx context.Context, p *tgbot.DeleteMessagesParams) (bool, error)
	LeaveChat(ctx context.Context, p *tgbot.LeaveChatParams) (bool, error)
	GetMe(ctx context.Context) (*models.User, error)
}

// Observer counts what the Sender does, for metrics: counts only, never
// content. A nil Observer counts nothing.
type Observer interface {
	// Sent counts a message Telegram took (ok) or refused for good.
	Sent(lane int, ok bool)
	// RateLimited counts a 429; Retried a try that failed and waits.
	RateLimited(lane int)
	Retried(lane int)
}

// Hooks are what the Sender tells its bot.
type Hooks interface {
	// ChatGone says Telegram will not reach a chat (403: blocked or
	// deleted; 400: chat not found): a reviewer's is marked unreachable.
	ChatGone(ctx context.Context, chatID int64) error
	// Later keeps a write that failed while the database was down, for
	// the bot's heartbeat to do once it is back.
	Later(write func(context.Context) error)
}

// Config is the Sender's part of the configuration.
type Config struct {
	// Owner names this process in the outbox's claims; Lease is how long
	// a claim is ours.
	Owner string
	Lease time.Duration
	// Senders is how many messages are in flight at once, AnswerSenders
	// how many answers to button presses besides them.
	Senders       int
	AnswerSenders int
	// Idle is how often an idle dispatcher looks for messages another
	// process queued; ProbeEvery how often a Telegram that failed is asked
	// whether it is back.
	Idle       time.Duration
	ProbeEvery time.Duration
	Pacing     Pacing
}

// Parts are the Sender's collaborators.
type Parts struct {
	Store    Store
	Throttle Throttle
	// Fallback paces sending from this process alone while Throttle
	// cannot be reached: a Redis outage slows sending, never stops it.
	Fallback Throttle
	Telegram Telegram
	Hooks    Hooks
	Observer Observer // nil counts nothing
	Log      *slog.Logger
}

// Sender is the outbox's dispatcher for one process. Several processes
// share the outbox: each claims entries of its own.
type Sender struct {
	cfg      Config
	store    Store
	throttle Throttle
	fallback Throttle
	api      Telegram
	poster   messagePoster // api, when it posts a message as stored (Direct); nil otherwise
	hooks    Hooks
	obs      Observer
	log      *slog.Logger

	outWake    chan struct{} // an outgoing message was queued
	answerWake chan struct{} // an answer to a button press was queued

	telegramDown    atomic.Bool
	throttleFailing atomic.Bool
	// draining says the bot's workers stopped: the dispatchers send what
	// is ready, then return.
	draining atomic.Bool

	handed handed // entries claimed by a commit in this process (Hand)
	// look says, per loop, that the outbox may hold an entry ready for it
	// that no hand-off brought (something was queued or settled); with
	// none, a loop claims only every Idle, for other processes' entries.
	look     [2]atomic.Bool
	lastLook [2]atomic.Int64 // when each loop last claimed from the outbox (UnixNano)
	sentLog  sentLog         // sent entries waiting to be recorded together
	reserved reserved        // tokens taken for claimed entries, one call a batch
	held     holds           // buckets held after a 429, in this process
}

// New builds a Sender. It does not contact Telegram.
func New(cfg Config, p Parts) (*Sender, error) {
	if p.Store == nil || p.Throttle == nil || p.Fallback == nil || p.Telegram == nil || p.Hooks == nil || p.Log == nil {
		return nil, errors.New("outbox: a part is missing")
	}
	if cfg.Owner == "" || cfg.Lease <= 0 || cfg.Senders <= 0 || cfg.AnswerSenders <= 0 || cfg.Idle <= 0 || cfg.ProbeEvery <= 0 || cfg.Pacing == (Pacing{}) {
		return nil, errors.New("outbox: config incomplete")
	}
	poster, _ := p.Telegram.(messagePoster)
	return &Sender{
		cfg: cfg, store: p.Store, throttle: p.Throttle, fallback: p.Fallback, api: p.Telegram, poster: poster,
		hooks: p.Hooks, obs: p.Observer, log: p.Log.With("component", "outbox"),
		outWake: make(chan struct{}, 1), answerWake: make(chan struct{}, 1),
	}, nil
}

// Run sends until ctx ends, or until Drain was called and nothing ready is
// left. Answers to button presses have senders of their own: a spinner
// stops at once, whatever messages wait for their turn.
func (s *Sender) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() {
		s.dispatchLoop(ctx, tipline.LaneCallback, tipline.LaneCallback, s.cfg.AnswerSenders, s.answerWake)
	})
	wg.Go(func() { s.dispatchLoop(ctx, tipline.LaneUrgent, tipline.LaneBulk, s.cfg.Senders, s.outWake) })
	wg.Wait()
}

// Drain says nothing more will be queued: Run returns once what is ready
// is sent (or at once while Telegram is down: the outbox keeps it).
func (s *Sender) Drain() {
	s.draining.Store(true)
	s.Wake()
}

// Wake wakes the dispatchers: messages were just queued.
func (s *Sender) Wake() {
	s.lookFor(true, true)
}

// WakeFor wakes the dispatchers of the lanes entries were queued on, so
// the other does not look at the outbox for nothing.
func (s *Sender) WakeFor(entries []storage.OutboxEntry) {
	var answers, others bool
	for _, e := range entries {
		if e.Lane == tipline.LaneCallback {
			answers = true
		} else {
			others = true
		}
	}
	s.lookFor(answers, others)
}

// WakeAnswers wakes the dispatcher of answers to button presses only.
func (s *Sender) WakeAnswers() { s.lookFor(true, false) }

// lookFor has the dispatchers of answers, of the other lanes or of both
// claim from the outbox at their next turn, and wakes them.
func (s *Sender) lookFor(answers, others bool) {
	if answers {
		s.look[answerLoop].Store(true)
		claimloop.Signal(s.answerWake)
	}
	if others {
		s.look[otherLoop].Store(true)
		claimloop.Signal(s.outWake)
	}
}

// The dispatchers' loops: answers to button presses, and the other lanes.
const (
	answerLoop = iota
	otherLoop
)

// sentLog records sent entries in batches, as a database does group
// commits: a sender hands its entry over and waits for the outcome; the
// sender that finds no write in flight writes every entry handed over
// meanwhile in one statement, again until none is left. An entry is
// recorded (or not) before its sender goes on, as with one write each; the
// entries simply share their round trip and commit.
type sentLog struct {
	mu      sync.Mutex
	pending []sentWait
	busy    bool
}

type sentWait struct {
	sent storage.Sent
	done chan error
}

// recordSent records that entry id went out as message msgID (0 for
// none). It gives storage.ErrNotHolder when the entry is no longer ours.
func (s *Sender) recordSent(ctx context.Context, id int64, msgID int) error {
	w := sentWait{sent: storage.Sent{ID: id, MessageID: msgID}, done: make(chan error, 1)}
	l := &s.sentLog
	l.mu.Lock()
	l.pending = append(l.pending, w)
	if l.busy {
		l.mu.Unlock()
		return <-w.done // the writer in flight delivers it, whatever happens
	}
	l.busy = true
	for len(l.pending) > 0 {
		batch := l.pending
		l.pending = nil
		l.mu.Unlock()
		sent := make([]storage.Sent, len(batch))
		for i, w := range batch {
			sent[i] = w.sent
		}
		notHeld, err := s.store.OutboxSentMany(ctx, s.cfg.Owner, sent)
		for _, w := range batch {
			switch {
			case err != nil:
				w.done <- err
			case slices.Contains(notHeld, w.sent.ID):
				w.done <- storage.ErrNotHolder
			default:
				w.done <- nil
			}
		}
		l.mu.Lock()
	}
	l.busy = false
	l.mu.Unlock()
	return <-w.done
}

// handed keeps the entries this process claimed and has not sent yet:
// those a commit claimed for it as it queued them (the bot's
// InboxCompleteHand), and those a dispatcher claimed from the outbox
// beyond what its hands could take, until a dispatcher takes them. Each
// lane's loop has its own queue, in the outbox claim's order (lower lanes
// first, then oldest first), whichever way an entry came: a handed entry
// never goes before an older one claimed from the outbox, nor a reply
// before an urgent notification.
type handed struct {
	mu      sync.Mutex
	answers claimloop.Held[storage.OutboxEntry] // LaneCallback, in order (before)
	others  claimloop.Held[storage.OutboxEntry]
	// lone holds the ids of handed entries that nothing queued with them
	// waits behind in their chat: once sent, no claim need look for what
	// follows them (their chat's next entry, if another process queued
	// one, is found by the idle claim).
	lone map[int64]bool
}

// before is the outbox claim's order: lower lanes first, then by id (the
// order entries were queued in).
func before(a, b storage.OutboxEntry) int {
	if a.Lane != b.Lane {
		return int(a.Lane) - int(b.Lane)
	}
	return cmp.Compare(a.ID, b.ID)
}

// alone tells, once, whether id was handed with nothing queued behind it.
func (h *handed) alone(id int64) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	ok := h.lone[id]
	delete(h.lone, id)
	return ok
}

// Hand gives the dispatchers the entries this process claimed for
// Config.Lease as it queued them (handed), to send as if they had claimed
// them themselves, and wakes them; queued is all that was queued with
// them. Each handed entry must have been ready to claim: the first
// pending entry of its chat and lane, nothing earlier held back, no edit.
// Where queued holds more than was handed, the dispatchers also claim
// from the outbox: now, and again once a handed entry of the chat is sent.
func (s *Sender) Hand(handed, queued []storage.OutboxEntry) {
	now := time.Now()
	given := make(map[string]bool, len(handed))
	for _, e := range handed {
		given[e.Key] = true
	}
	behind := map[string]bool{} // chats with an entry not handed
	var answers, others bool    // loops to claim from the outbox
	for _, e := range queued {
		if !given[e.Key] {
			behind[e.ChatKey] = true
			answers = answers || e.Lane == tipline.LaneCallback
			others = others || e.Lane != tipline.LaneCallback
		}
	}
	s.handed.mu.Lock()
	if s.handed.lone == nil {
		s.handed.lone = map[int64]bool{}
	}
	for _, e := range handed {
		if !behind[e.ChatKey] {
			s.handed.lone[e.ID] = true
		}
		if e.Lane == tipline.LaneCallback {
			s.handed.answers.Insert(now, before, e)
		} else {
			s.handed.others.Insert(now, before, e)
		}
	}
	s.handed.mu.Unlock()
	s.lookFor(answers, others)
	for _, e := range handed {
		if e.Lane == tipline.LaneCallback {
			claimloop.Signal(s.answerWake)
		} else {
			claimloop.Signal(s.outWake)
		}
	}
}

// takeHanded takes up to n handed entries of the lanes a loop sends
// (answers or the others). An entry handed more than half a lease ago
// (its dispatcher stood still: Telegram was down) is given back, not
// sent: its claim may have lapsed, and another process may send it.
func (s *Sender) takeHanded(ctx context.Context, answers bool, n int) []storage.OutboxEntry {
	s.handed.mu.Lock()
	q := &s.handed.others
	if answers {
		q = &s.handed.answers
	}
	out, stale := q.Take(n, s.cfg.Lease/2, time.Now())
	s.handed.mu.Unlock()
	for _, e := range stale {
		s.handed.alone(e.ID)
		s.lookFor(true, true)
		err := s.store.OutboxRetry(ctx, e.ID, s.cfg.Owner, 0, false)
		if err != nil && !errors.Is(err, storage.ErrNotHolder) {
			// The claim lapses by itself when the lease ends.
			s.log.Warn("could not give back a message held too long; it goes out when its claim ends", "err", err)
		}
	}
	return out
}
