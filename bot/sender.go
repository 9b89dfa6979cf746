package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	tgbot "github.com/go-telegram/bot"
)

// Pacing holds Telegram's rate limits as we honour them: about 30 messages a
// second overall and about one a second in a chat, with a small burst.
type Pacing struct {
	Global      float64 // messages per second, all chats
	GlobalBurst int
	PerChat     float64 // messages per second in one chat
	ChatBurst   int
}

// DefaultPacing follows Telegram's published limits.
var DefaultPacing = Pacing{Global: 30, GlobalBurst: 30, PerChat: 1, ChatBurst: 5}

// sender sends through the Bot API client: it waits its turn under the
// limits, honours 429 retry_after, and retries transient failures, so that a
// burst is delayed, never dropped (G11).
type sender struct {
	api      *tgbot.Bot
	log      *slog.Logger
	pace     *pacer
	attempts int
	backoff  time.Duration
}

// call runs one Bot API call for a chat (0 for none) until it succeeds, a
// permanent error comes back, or the attempts run out.
func (s *sender) call(ctx context.Context, method string, chatID int64, fn func(context.Context) error) error {
	wait := s.backoff
	var err error
	for attempt := 1; attempt <= s.attempts; attempt++ {
		if err := s.pace.wait(ctx, chatID); err != nil {
			return err
		}
		err = fn(ctx)
		if err == nil {
			return nil
		}
		var tooMany *tgbot.TooManyRequestsError
		switch {
		case errors.As(err, &tooMany):
			d := time.Duration(tooMany.RetryAfter) * time.Second
			if d <= 0 {
				d = time.Second
			}
			s.log.Warn("telegram asked us to slow down", "method", method, "retry_after", d)
			s.pace.hold(chatID, d)
			continue
		case permanent(err):
			return fmt.Errorf("%s: %w", method, err)
		}
		s.log.Warn("telegram call failed, retrying", "method", method, "attempt", attempt, "err", err)
		if err := sleep(ctx, wait); err != nil {
			return err
		}
		wait = min(wait*2, 10*time.Second)
	}
	return fmt.Errorf("%s: gave up after %d attempts: %w", method, s.attempts, err)
}

// permanent tells errors that another try would not fix.
func permanent(err error) bool {
	return errors.Is(err, tgbot.ErrorBadRequest) || errors.Is(err, tgbot.ErrorForbidden) ||
		errors.Is(err, tgbot.ErrorUnauthorized) || errors.Is(err, tgbot.ErrorNotFound) ||
		errors.Is(err, context.Canceled)
}

// notModified is Telegram's answer to an edit that changes nothing.
func notModified(err error) bool {
	return err != nil && strings.Contains(err.Error(), "message is not modified")
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// pacer is a token bucket overall and one per chat.
type pacer struct {
	cfg    Pacing
	mu     sync.Mutex
	global bucket
	chats  map[int64]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
	until  time.Time // held back by a 429
}

func newPacer(cfg Pacing) *pacer {
	return &pacer{cfg: cfg, global: bucket{tokens: float64(cfg.GlobalBurst)}, chats: map[int64]*bucket{}}
}

// wait blocks until a message to chatID may go out.
func (p *pacer) wait(ctx context.Context, chatID int64) error {
	for {
		d := p.reserve(chatID, time.Now())
		if d <= 0 {
			return nil
		}
		if err := sleep(ctx, d); err != nil {
			return err
		}
	}
}

// reserve takes a token from both buckets, or says how long to wait.
func (p *pacer) reserve(chatID int64, now time.Time) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	g := &p.global
	g.refill(now, p.cfg.Global, p.cfg.GlobalBurst)
	var c *bucket
	if chatID != 0 {
		c = p.chats[chatID]
		if c == nil {
			c = &bucket{tokens: float64(p.cfg.ChatBurst), last: now}
			p.chats[chatID] = c
			if len(p.chats) > 10000 {
				p.forgetIdle(now)
			}
		}
		c.refill(now, p.cfg.PerChat, p.cfg.ChatBurst)
	}
	var d time.Duration
	d = max(d, g.delay(now, p.cfg.Global))
	if c != nil {
		d = max(d, c.delay(now, p.cfg.PerChat))
	}
	if d > 0 {
		return d
	}
	g.tokens--
	if c != nil {
		c.tokens--
	}
	return 0
}

// hold stops a chat (or everything, for chat 0) for d after a 429.
func (p *pacer) hold(chatID int64, d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	until := time.Now().Add(d)
	if c := p.chats[chatID]; c != nil && chatID != 0 {
		c.until = until
		return
	}
	p.global.until = until
}

func (p *pacer) forgetIdle(now time.Time) {
	for id, c := range p.chats {
		if now.Sub(c.last) > time.Minute {
			delete(p.chats, id)
		}
	}
}

func (b *bucket) refill(now time.Time, rate float64, burst int) {
	if !b.last.IsZero() {
		b.tokens += now.Sub(b.last).Seconds() * rate
	}
	b.tokens = min(b.tokens, float64(burst))
	b.last = now
}

func (b *bucket) delay(now time.Time, rate float64) time.Duration {
	if now.Before(b.until) {
		return b.until.Sub(now)
	}
	if b.tokens >= 1 {
		return 0
	}
	return time.Duration((1 - b.tokens) / rate * float64(time.Second))
}
