package bot

import (
	"github.com/tipline/tipline/internal/claimloop"

	"context"
	"errors"
	"fmt"
	"time"

	tgbot "github.com/go-telegram/bot"
)

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
			if err := claimloop.Sleep(ctx, time.Duration(max(tooMany.RetryAfter, 1))*time.Second); err != nil {
				return err
			}
			continue
		case permanent(err):
			return fmt.Errorf("%s: %w", method, err)
		}
		if err := claimloop.Sleep(ctx, wait); err != nil {
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
