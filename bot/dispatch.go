package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
)

// The dispatcher sends what processing queued in the outbox. It claims, in
// each chat, the first pending entry of each lane that no earlier entry of
// a lane as low holds back (so a chat's messages of one lane keep their
// order, across processes, and an urgent one never waits behind files),
// lower lanes first, and sends each within Telegram's
// limits: one bucket per chat and one for the whole bot, both shared by
// every process through Redis. A chat whose bucket is empty gives its
// entry back with a time to wait: no sender sleeps on one chat's behalf.
// When Telegram fails, nothing is lost: the dispatcher stops claiming,
// asks Telegram every half second whether it is back, and drains in order
// once it is (G11).

// Throttle paces sends across processes (redis.Throttle).
type Throttle interface {
	Take(ctx context.Context, buckets ...storage.Bucket) (time.Duration, int, error)
	Hold(ctx context.Context, b storage.Bucket, d time.Duration) error
}

// outcome is what became of one try at sending an entry.
type outcome int

const (
	sentOK       outcome = iota // Telegram took it
	refused                     // Telegram refused it for good (400, 403)
	gone                        // refused for good because the chat cannot be reached (403, 400 chat not found)
	notSent                     // it never reached Telegram: try again
	failed                      // Telegram answered with a failure of its own (5xx): try again, a bounded number of times
	unknown                     // it went out and no answer came back
	slowDown                    // 429: wait retry_after
	unauthorized                // the token or the URL is wrong: wait for the operator
)

// maxSendTries bounds the tries of an entry that keeps failing (5xx) or
// whose fate stays unknown: it then goes to the dead letters, so that one
// message Telegram cannot take is not tried for ever. With retryBackoff's
// waits it is tried for about a quarter of an hour.
const maxSendTries = 10

// retryBackoff is the wait before try attempts+1 of an entry that failed:
// doubling from a second, capped at two minutes, so a failing entry does
// not come back at once and hold its chat's lane or the senders.
func retryBackoff(attempts int) time.Duration {
	return min(time.Second<<min(attempts, 10), 2*time.Minute)
}

// dispatchLoop runs the dispatcher until ctx ends; sends in flight are
// given a moment to finish, and whatever is left is free for another
// process at once (Leave, in Run).
func (b *Bot) dispatchLoop(ctx context.Context, first, last tipline.Lane, senders int, wake chan struct{}) {
	sendCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	var wg sync.WaitGroup
	abandoned := false
	claimLoop[storage.OutboxEntry]{
		what:  "outbox",
		hands: senders,
		claim: func(ctx context.Context, n int) ([]storage.OutboxEntry, error) {
			return b.store.OutboxClaimLanes(ctx, b.owner, b.cfg.Lease, n, first, last)
		},
		handle: func(e storage.OutboxEntry) { b.dispatchOne(sendCtx, e) },
		before: func(ctx context.Context) (again, stop bool) {
			if !b.telegramDown.Load() {
				return false, false
			}
			if b.draining.Load() {
				// Stopping: the outbox keeps what Telegram did not take.
				abandoned = true
				return false, true
			}
			b.probeTelegram(ctx)
			return true, false
		},
		drained: func(inHand int) bool { return b.draining.Load() && inHand == 0 },
		wake:    wake,
		idle:    b.cfg.DispatchIdle,
		log:     b.log,
	}.run(ctx, &wg)
	if abandoned {
		return
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		cancel() // Telegram is slow: give the rest back now
		<-done
	}
}

// signal wakes whoever waits on ch, without blocking.
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// buckets are the limits an entry is sent within: its chat's and the bot's.
func (b *Bot) buckets(e storage.OutboxEntry) []storage.Bucket {
	return []storage.Bucket{
		{Key: "chat:" + e.ChatKey, Rate: b.cfg.Pacing.PerChat, Burst: b.cfg.Pacing.ChatBurst},
		{Key: "global", Rate: b.cfg.Pacing.Global, Burst: b.cfg.Pacing.GlobalBurst},
	}
}

// take takes a token from each bucket through the shared throttle, or the
// process's own while the shared one cannot be reached.
func (b *Bot) take(ctx context.Context, buckets []storage.Bucket) (time.Duration, int) {
	wait, short, err := b.throttle.Take(ctx, buckets...)
	if err == nil {
		if b.throttleFailing.Swap(false) {
			b.log.Info("shared rate limits reachable again")
		}
		return wait, short
	}
	if !b.throttleFailing.Swap(true) {
		b.log.Warn("shared rate limits unreachable; pacing this process alone", "err", err)
	}
	wait, short, _ = b.localThrottle.Take(ctx, buckets...)
	return wait, short
}

func (b *Bot) hold(ctx context.Context, bk storage.Bucket, d time.Duration) {
	if err := b.throttle.Hold(ctx, bk, d); err != nil {
		_ = b.localThrottle.Hold(ctx, bk, d)
	}
}

// dispatchOne sends one claimed entry and records what became of it.
func (b *Bot) dispatchOne(ctx context.Context, e storage.OutboxEntry) {
	var p payload
	if err := json.Unmarshal(e.Payload, &p); err != nil {
		b.settle(ctx, e, refused, 0, 0, "unreadable payload")
		return
	}
	if e.Method == methodEdit && e.EditOfMessageID == 0 && p.MessageID == 0 {
		// The message to edit was never sent: nothing to change.
		b.settle(ctx, e, sentOK, 0, 0, "")
		return
	}
	if e.Lane != tipline.LaneCallback {
		buckets := b.buckets(e)
		for {
			wait, short := b.take(ctx, buckets)
			if wait <= 0 {
				break
			}
			if short == 0 {
				// The chat must wait: give the entry back, hold no sender.
				b.settle(ctx, e, notSent, 0, wait, "")
				return
			}
			if sleep(ctx, wait) != nil {
				b.settle(ctx, e, notSent, 0, 0, "")
				return
			}
		}
	}
	msgID, res, retryAfter, reason := b.callTelegram(ctx, e, p)
	if b.obs != nil && (res == notSent || res == failed || res == unknown || res == slowDown) {
		b.obs.Retried(int(e.Lane))
	}
	if res == slowDown {
		for _, bk := range b.buckets(e) {
			b.hold(ctx, bk, retryAfter)
		}
		b.log.Warn("telegram asked us to slow down", "retry_after", retryAfter, "lane", e.Lane)
		if b.obs != nil {
			b.obs.RateLimited(int(e.Lane))
		}
	}
	b.settle(ctx, e, res, msgID, retryAfter, reason)
}

// settle records the outcome of a try. A failure to record it (the
// database is down) is logged: the claim lapses when this process is
// silent or its lease ends, and the entry is tried again then.
func (b *Bot) settle(ctx context.Context, e storage.OutboxEntry, res outcome, msgID int, wait time.Duration, reason string) {
	switch res {
	case sentOK:
		if b.obs != nil {
			b.obs.Sent(int(e.Lane), true)
		}
	case refused, gone:
		b.log.Warn("telegram refused an outgoing message; set aside", "reason", reason, "lane", e.Lane, "method", e.Method)
		if b.obs != nil {
			b.obs.Sent(int(e.Lane), false)
		}
	case unknown:
		if !e.RetryUnknown && e.Attempts > 0 {
			b.log.Warn("an outgoing message may not have arrived; not sent again", "lane", e.Lane)
		}
	}
	if (res == failed || (res == unknown && e.RetryUnknown)) && e.Attempts+1 >= maxSendTries {
		b.log.Error("an outgoing message failed again and again; set aside", "tries", e.Attempts+1, "lane", e.Lane, "method", e.Method)
		res, reason = refused, fmt.Sprintf("failed %d times", e.Attempts+1)
	}
	if err := b.settleRecord(ctx, e, res, msgID, wait, reason); err != nil {
		// The database is down. The outcome is kept here and recorded by
		// the heartbeat once it is back, so the chat does not wait out the
		// claim, and a message that went out is not sent again.
		b.log.Error("could not record an outgoing message's outcome; it will be recorded when the database is back", "err", err)
		b.later(func(ctx context.Context) error { return b.settleRecord(ctx, e, res, msgID, wait, reason) })
	}
	if res == gone {
		if err := b.chatGone(ctx, e.ChatID); err != nil {
			b.log.Error("could not mark an unreachable chat; it will be when the database is back", "err", err)
			b.later(func(ctx context.Context) error { return b.chatGone(ctx, e.ChatID) })
		}
	}
}

// settleRecord writes an outcome to the outbox. A reporter's message whose
// fate is unknown is tried once more at most: a connection reset before
// Telegram read it would otherwise lose it, and an answer lost after it
// was delivered doubles it only once. A claim no longer ours is no error.
func (b *Bot) settleRecord(ctx context.Context, e storage.OutboxEntry, res outcome, msgID int, wait time.Duration, reason string) error {
	var err error
	switch res {
	case sentOK:
		err = b.recordSent(ctx, e.ID, msgID) // with other senders' (sentlog.go)
	case refused, gone:
		err = b.store.OutboxDead(ctx, e.ID, b.owner, reason)
	case unknown:
		// Every try counts: a reviewer's entry (RetryUnknown) ends in the
		// dead letters after maxSendTries (settle), a reporter's is sent at
		// most twice.
		if e.RetryUnknown || e.Attempts == 0 {
			err = b.store.OutboxRetry(ctx, e.ID, b.owner, retryBackoff(e.Attempts), true)
		} else {
			err = b.store.OutboxSent(ctx, e.ID, b.owner, 0)
		}
	case failed:
		err = b.store.OutboxRetry(ctx, e.ID, b.owner, retryBackoff(e.Attempts), true)
	default:
		err = b.store.OutboxRetry(ctx, e.ID, b.owner, wait, false)
	}
	if errors.Is(err, storage.ErrNotHolder) {
		return nil
	}
	return err
}

// callTelegram makes the Bot API call an entry stands for.
func (b *Bot) callTelegram(ctx context.Context, e storage.OutboxEntry, p payload) (int, outcome, time.Duration, string) {
	var (
		msg *models.Message
		err error
	)
	var markup models.ReplyMarkup
	if len(p.Rows) > 0 {
		markup = &models.InlineKeyboardMarkup{InlineKeyboard: p.Rows}
	}
	switch e.Method {
	case methodSend:
		msg, err = b.api.SendMessage(ctx, &tgbot.SendMessageParams{ChatID: e.ChatID, Text: p.Text, ProtectContent: p.Protect, ReplyMarkup: markup})
	case methodEdit:
		id := p.MessageID
		if id == 0 {
			id = e.EditOfMessageID
		}
		_, err = b.api.EditMessageText(ctx, &tgbot.EditMessageTextParams{ChatID: e.ChatID, MessageID: id, Text: p.Text, ReplyMarkup: markup})
		if notModified(err) {
			err = nil
		}
	case methodAnswer:
		_, err = b.api.AnswerCallbackQuery(ctx, &tgbot.AnswerCallbackQueryParams{CallbackQueryID: p.CallbackID})
	case methodFile:
		file := &models.InputFileString{Data: p.FileID}
		switch p.FileKind {
		case "voice":
			// A prompt the team recorded carries its question as caption,
			// with the question's buttons (voices.go); a reporter's voice
			// note re-sent to a reviewer, the words sent with it.
			caption := p.Caption
			if p.Text != "" {
				caption = p.Text
			}
			msg, err = b.api.SendVoice(ctx, &tgbot.SendVoiceParams{ChatID: e.ChatID, Voice: file, Caption: caption, ReplyMarkup: markup, ProtectContent: p.Protect})
		case "video":
			msg, err = b.api.SendVideo(ctx, &tgbot.SendVideoParams{ChatID: e.ChatID, Video: file, Caption: p.Caption, ProtectContent: p.Protect})
		default:
			msg, err = b.api.SendPhoto(ctx, &tgbot.SendPhotoParams{ChatID: e.ChatID, Photo: file, Caption: p.Caption, ProtectContent: p.Protect})
		}
	case methodDelete:
		err = b.deleteAll(ctx, e, p)
	case methodLeave:
		_, err = b.api.LeaveChat(ctx, &tgbot.LeaveChatParams{ChatID: e.ChatID})
	case methodAlbum:
		media := make([]models.InputMedia, len(p.Files))
		for i, f := range p.Files {
			if f.Kind == "video" {
				media[i] = &models.InputMediaVideo{Media: f.ID, Caption: f.Caption}
			} else {
				media[i] = &models.InputMediaPhoto{Media: f.ID, Caption: f.Caption}
			}
		}
		var msgs []*models.Message
		msgs, err = b.api.SendMediaGroup(ctx, &tgbot.SendMediaGroupParams{ChatID: e.ChatID, Media: media, ProtectContent: p.Protect})
		if len(msgs) > 0 {
			msg = msgs[0]
		}
	default:
		return 0, refused, 0, "unknown method"
	}
	res, retryAfter, reason := b.classify(err)
	if res == sentOK && msg != nil {
		return msg.ID, res, 0, ""
	}
	return 0, res, retryAfter, reason
}

// deleteAll deletes the messages of a delete entry, 100 at a time
// (deleteMessages' limit); messages too old to delete are skipped by
// Telegram itself.
func (b *Bot) deleteAll(ctx context.Context, e storage.OutboxEntry, p payload) error {
	ids := p.MessageIDs
	if p.Clear {
		sent, err := b.store.OutboxSentMessages(ctx, e.ChatKey, deleteWindow)
		if err != nil {
			return errors.Join(errNotSent, err)
		}
		ids = append(ids, sent...)
	}
	seen := map[int]bool{}
	uniq := ids[:0:0]
	for _, id := range ids {
		if id != 0 && !seen[id] {
			seen[id] = true
			uniq = append(uniq, id)
		}
	}
	for len(uniq) > 0 {
		part := uniq[:min(100, len(uniq))]
		uniq = uniq[len(part):]
		if _, err := b.api.DeleteMessages(ctx, &tgbot.DeleteMessagesParams{ChatID: e.ChatID, MessageIDs: part}); err != nil {
			return err
		}
	}
	return nil
}

// errNotSent marks a failure on our side before anything reached Telegram.
var errNotSent = errors.New("bot: not sent")

// classify tells what an error from the Bot API client means for the entry.
func (b *Bot) classify(err error) (outcome, time.Duration, string) {
	if err == nil {
		return sentOK, 0, ""
	}
	var (
		tooMany *tgbot.TooManyRequestsError
		opErr   *net.OpError
		urlErr  *url.Error // the request failed on its way (http.Client.Do)
		lost    answerLostError
	)
	switch {
	case errors.As(err, &tooMany):
		d := time.Duration(tooMany.RetryAfter) * time.Second
		if d <= 0 {
			d = time.Second
		}
		return slowDown, d, ""
	case errors.Is(err, errNotSent):
		return notSent, time.Second, ""
	case errors.Is(err, tgbot.ErrorForbidden):
		return gone, 0, "forbidden (the user blocked the bot)"
	case errors.Is(err, tgbot.ErrorBadRequest) && chatNotFound(err):
		return gone, 0, "bad request: " + badRequestReason(err)
	case errors.Is(err, tgbot.ErrorBadRequest):
		return refused, 0, "bad request: " + badRequestReason(err)
	case errors.Is(err, tgbot.ErrorUnauthorized), errors.Is(err, tgbot.ErrorNotFound):
		if !b.telegramDown.Swap(true) {
			b.log.Error("telegram does not accept the bot's token or URL (TELEGRAM_BOT_TOKEN, TELEGRAM_API_URL); messages wait")
		}
		return unauthorized, time.Second, ""
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded) && !errors.As(err, &urlErr):
		return notSent, 0, ""
	case errors.As(err, &opErr) && opErr.Op == "dial":
		b.markTelegramDown()
		return notSent, 0, ""
	case errors.As(err, &urlErr), errors.As(err, &lost):
		// The request may have reached Telegram: a lost answer.
		b.markTelegramDown()
		return unknown, 0, ""
	default:
		// Telegram answered with a failure of its own (5xx), or something
		// that is not its answer (a proxy's page): it did not take it.
		// Tried again after a back-off, a bounded number of times.
		b.markTelegramDown()
		return failed, 0, ""
	}
}

// chatNotFound tells whether a 400 says the chat itself is out of reach
// (deleted account, a chat id Telegram does not know), rather than that
// one message was wrong.
func chatNotFound(err error) bool {
	s := strings.ToLower(err.Error())
	return strings.Contains(s, "chat not found") || strings.Contains(s, "user is deactivated") ||
		strings.Contains(s, "peer_id_invalid") || strings.Contains(s, "user not found")
}

// badRequestReason keeps the part of Telegram's description that names
// the problem; it never holds content.
func badRequestReason(err error) string {
	s := err.Error()
	if i := strings.Index(s, "Bad Request: "); i >= 0 {
		s = s[i+len("Bad Request: "):]
	}
	if len(s) > 80 {
		s = s[:80]
	}
	return s
}

func (b *Bot) markTelegramDown() {
	if !b.telegramDown.Swap(true) {
		b.log.Warn("telegram is not answering; outgoing messages wait in the outbox")
	}
}

// probeTelegram asks Telegram every half second whether it is back; the
// dispatcher drains once it is.
func (b *Bot) probeTelegram(ctx context.Context) {
	for ctx.Err() == nil {
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := b.api.GetMe(pctx)
		cancel()
		if err == nil {
			b.telegramDown.Store(false)
			b.log.Info("telegram answers again; sending what waited")
			return
		}
		if sleep(ctx, b.cfg.ProbeEvery) != nil {
			return
		}
	}
}
