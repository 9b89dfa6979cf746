package bot

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/tipline/tipline/storage"
)

// allowedUpdates are the update kinds the bot asks Telegram for.
var allowedUpdates = []string{models.AllowedUpdateMessage, models.AllowedUpdateEditedMessage, models.AllowedUpdateCallbackQuery}

// maxWebhookBody caps a webhook request; real updates are a few kilobytes.
const maxWebhookBody = 1 << 20

// errBadUpdate is a request body that is not an update.
var errBadUpdate = errors.New("bot: not a Telegram update")

// inboxItems turns raw updates into inbox rows, keyed by a keyed hash of
// their chat so the inbox never holds a chat id in clear.
func (b *Bot) inboxItems(raws []json.RawMessage) ([]storage.InboxItem, error) {
	items := make([]storage.InboxItem, 0, len(raws))
	now := b.cfg.Now()
	for _, raw := range raws {
		var u models.Update
		if err := json.Unmarshal(raw, &u); err != nil || u.ID <= 0 {
			return nil, errBadUpdate
		}
		items = append(items, storage.InboxItem{
			UpdateID:   u.ID,
			ChatKey:    b.ring.ChatKey(chatOf(&u)),
			Payload:    bytes.Clone(raw),
			ReceivedAt: now,
		})
	}
	return items, nil
}

// storeUpdates writes updates to the inbox, durably, and wakes a worker.
func (b *Bot) storeUpdates(ctx context.Context, raws []json.RawMessage) error {
	items, err := b.inboxItems(raws)
	if err != nil {
		return err
	}
	if _, err := b.store.InboxAdd(ctx, items); err != nil {
		return fmt.Errorf("store updates: %w", err)
	}
	b.notify()
	return nil
}

// Poll takes updates by long polling until ctx ends. A batch is confirmed
// to Telegram (by the next call's offset) only after it is committed to the
// inbox, so a crash at any point loses nothing (G1, G2).
func (b *Bot) Poll(ctx context.Context) error {
	var offset int64
	wait := time.Second
	for ctx.Err() == nil {
		raws, err := b.getUpdates(ctx, offset)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			b.log.Error("getUpdates failed; retrying", "err", err)
			_ = sleep(ctx, wait)
			wait = min(wait*2, 30*time.Second)
			continue
		}
		if len(raws) == 0 {
			wait = time.Second
			continue
		}
		for {
			err := b.storeUpdates(ctx, raws)
			if err == nil {
				break
			}
			b.log.Error("cannot store updates; they stay with Telegram until we can", "err", err)
			if sleep(ctx, wait) != nil {
				return nil
			}
			wait = min(wait*2, 30*time.Second)
		}
		wait = time.Second
		var last struct {
			ID int64 `json:"update_id"`
		}
		if err := json.Unmarshal(raws[len(raws)-1], &last); err != nil {
			return fmt.Errorf("poll: %w", err)
		}
		offset = last.ID + 1
	}
	return nil
}

// getUpdates is our own long poll: go-telegram/bot's confirms a batch
// before its handlers run.
func (b *Bot) getUpdates(ctx context.Context, offset int64) ([]json.RawMessage, error) {
	body, err := json.Marshal(map[string]any{
		"offset":          offset,
		"timeout":         int(b.cfg.PollTimeout / time.Second),
		"limit":           100,
		"allowed_updates": allowedUpdates,
	})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.cfg.APIURL+"/bot"+b.cfg.Token+"/getUpdates", bytes.NewReader(body))
	if err != nil {
		return nil, errors.New("getUpdates: bad API URL")
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := b.cfg.HTTPClient.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // the URL holds the token
		}
		return nil, fmt.Errorf("getUpdates: %w", err)
	}
	defer resp.Body.Close()
	var r struct {
		OK          bool              `json:"ok"`
		Result      []json.RawMessage `json:"result"`
		ErrorCode   int               `json:"error_code"`
		Description string            `json:"description"`
		Parameters  struct {
			RetryAfter int `json:"retry_after"`
		} `json:"parameters"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(&r); err != nil {
		return nil, fmt.Errorf("getUpdates: status %d: undecodable answer", resp.StatusCode)
	}
	if !r.OK {
		if r.Parameters.RetryAfter > 0 {
			_ = sleep(ctx, time.Duration(r.Parameters.RetryAfter)*time.Second)
		}
		return nil, fmt.Errorf("getUpdates: %d %s", r.ErrorCode, r.Description)
	}
	return r.Result, nil
}

// WebhookHandler takes updates pushed by Telegram. It refuses a request
// without the right secret before reading its body (G10), and answers 200
// only once the update is committed to the inbox; any other answer makes
// Telegram deliver it again.
func (b *Bot) WebhookHandler() http.Handler {
	secret := []byte(b.cfg.WebhookSecret)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		got := []byte(r.Header.Get("X-Telegram-Bot-Api-Secret-Token"))
		if len(secret) == 0 || subtle.ConstantTimeCompare(got, secret) != 1 {
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBody))
		if err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		if err := b.storeUpdates(r.Context(), []json.RawMessage{body}); err != nil {
			if errors.Is(err, errBadUpdate) {
				http.Error(w, "bad request", http.StatusBadRequest)
				return
			}
			b.log.Error("webhook update not stored; Telegram will retry", "err", err)
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}

// Setup tells Telegram how to reach the bot: the webhook when configured,
// else long polling (removing any webhook, keeping pending updates), and
// the command menu in each language.
func (b *Bot) Setup(ctx context.Context) error {
	if b.cfg.WebhookURL != "" {
		err := b.send.call(ctx, "setWebhook", 0, func(ctx context.Context) error {
			_, err := b.api.SetWebhook(ctx, &tgbot.SetWebhookParams{
				URL:            b.cfg.WebhookURL,
				SecretToken:    b.cfg.WebhookSecret,
				AllowedUpdates: allowedUpdates,
			})
			return err
		})
		if err != nil {
			return fmt.Errorf("set webhook: %w", err)
		}
	} else {
		err := b.send.call(ctx, "deleteWebhook", 0, func(ctx context.Context) error {
			_, err := b.api.DeleteWebhook(ctx, &tgbot.DeleteWebhookParams{DropPendingUpdates: false})
			return err
		})
		if err != nil {
			return fmt.Errorf("delete webhook: %w", err)
		}
	}
	return b.setCommands(ctx)
}

func (b *Bot) setCommands(ctx context.Context) error {
	names := []string{"start", "mine", "status", "emergency", "language", "privacy", "cancel", "forget", "help"}
	for _, lang := range []string{"", "km", "th", "en"} {
		l := lang
		if l == "" {
			l = "en"
		}
		var cmds []models.BotCommand
		for _, n := range names {
			cmds = append(cmds, models.BotCommand{Command: n, Description: b.render.cat.Text(l, "command_"+n, nil)})
		}
		err := b.send.call(ctx, "setMyCommands", 0, func(ctx context.Context) error {
			_, err := b.api.SetMyCommands(ctx, &tgbot.SetMyCommandsParams{Commands: cmds, LanguageCode: lang})
			return err
		})
		if err != nil {
			return fmt.Errorf("set commands %s: %w", strconv.Quote(lang), err)
		}
	}
	return nil
}
