package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	tgbot "github.com/go-telegram/bot"
)

// telegramSetup is how far the bot got in telling Telegram how to reach
// it (the webhook, or long polling, and the command menu). `serve` starts
// while Telegram cannot be reached and keeps trying; /readyz says why it
// is not ready meanwhile.
type telegramSetup struct {
	mu     sync.Mutex
	since  time.Time // when the first try failed; zero once set up
	reason string    // what /readyz says while waiting
}

// setupRetryMax caps the wait between tries, so the bot answers within
// seconds of Telegram's return.
const setupRetryMax = 5 * time.Second

// waiting records that a try failed.
func (s *telegramSetup) waiting(log *slog.Logger, err error, token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.since.IsZero() {
		s.since = time.Now()
		log.Warn("cannot reach Telegram; the bot keeps trying and answers once it can", "err", telegramReason(err, token))
	}
	s.reason = "waiting for Telegram since " + s.since.UTC().Format(time.RFC3339) + ": " + telegramReason(err, token)
}

// retry tries again, with back-off, until setup succeeds or ctx ends; it
// gives an error only when Telegram refuses the token or the URL.
func (s *telegramSetup) retry(ctx context.Context, log *slog.Logger, setup func(context.Context) error, token string) error {
	wait := 500 * time.Millisecond
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		wait = min(wait*2, setupRetryMax)
		err := setup(ctx)
		switch {
		case err == nil:
			s.mu.Lock()
			s.since, s.reason = time.Time{}, ""
			s.mu.Unlock()
			log.Info("Telegram answers: the bot is set up")
			return nil
		case ctx.Err() != nil:
			return nil
		case setupRefused(err):
			return fmt.Errorf("talk to Telegram (TELEGRAM_BOT_TOKEN, TELEGRAM_API_URL): %s", telegramReason(err, token))
		}
		s.waiting(log, err, token)
	}
}

// check is /readyz's: an error naming why while Telegram is not set up.
func (s *telegramSetup) check(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.since.IsZero() {
		return nil
	}
	return readyReason(s.reason)
}

// setupRefused tells a Telegram that refuses the bot (a wrong token or
// URL) from one that does not answer: another try would not help.
func setupRefused(err error) bool {
	return errors.Is(err, tgbot.ErrorUnauthorized) || errors.Is(err, tgbot.ErrorNotFound)
}

// telegramReason is an error from the Bot API client without the request
// URL, which holds the token.
func telegramReason(err error, token string) string {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	s := err.Error()
	if token != "" {
		s = strings.ReplaceAll(s, token, "<token>")
	}
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// readyReason is a /readyz failure whose words may be shown.
type readyReason string

func (r readyReason) Error() string { return string(r) }
