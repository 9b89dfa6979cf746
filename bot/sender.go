package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
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
var DefaultPacing = Pacing{Global: 30, GlobalBurst: 3, PerChat: 1, ChatBurst: 3}

// call runs a Bot API call that is not a message (setting the webhook or
// the commands, fetching a file) until it succeeds, a permanent error
// comes back, or a few attempts fail; it honours retry_after.
func (b *Bot) call(ctx context.Context, method string, fn func(context.Context) error) error {
	wait := 300 * time.Millisecond
	var err error
	for attempt := 1; attempt <= 6; attempt++ {
		err = fn(ctx)
		if err == nil {
			return nil
		}
		var tooMany *tgbot.TooManyRequestsError
		switch {
		case errors.As(err, &tooMany):
			if err := sleep(ctx, time.Duration(max(tooMany.RetryAfter, 1))*time.Second); err != nil {
				return err
			}
			continue
		case permanent(err):
			return fmt.Errorf("%s: %w", method, err)
		}
		if err := sleep(ctx, wait); err != nil {
			return err
		}
		wait = min(wait*2, 3*time.Second)
	}
	return fmt.Errorf("%s: gave up after 6 attempts: %w", method, err)
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
