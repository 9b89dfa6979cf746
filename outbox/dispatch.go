package outbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/internal/claimloop"
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

// DeleteWindow is how long bots may delete messages in private chats.
const DeleteWindow = 48 * time.Hour

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
// process at once (Leave, in the bot's Run).
func (s *Sender) dispatchLoop(ctx context.Context, first, last tipline.Lane, senders int, wake chan struct{}) {
	sendCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	var wg sync.WaitGroup
	abandoned := false
	// drained: a claim that began once the bot's workers had stopped found
	// nothing, in the outbox or handed over (one that began before may
	// have missed what their last commits queued).
	drained := false
	claimloop.Loop[storage.OutboxEntry]{
		What:  "outbox",
		Hands: senders,
		Claim: func(ctx context.Context, n int) ([]storage.OutboxEntry, error) {
			stopping := s.draining.Load()
			es, err := s.claim(ctx, n, first, last)
			drained = stopping && err == nil && len(es) == 0
			return es, err
		},
		Claimed: s.reserve,
		Handle:  func(e storage.OutboxEntry, _ func()) { s.dispatchOne(sendCtx, e) },
		Before: func(ctx context.Context) (again, stop bool) {
			if !s.telegramDown.Load() {
				return false, false
			}
			if s.draining.Load() {
				// Stopping: the outbox keeps what Telegram did not take.
				abandoned = true
				return false, true
			}
			s.probeTelegram(ctx)
			return true, false
		},
		Drained: func(inHand int) bool { return drained && inHand == 0 },
		Wake:    wake,
		Idle:    s.cfg.Idle,
		Log:     s.log,
	}.Run(ctx, &wg)
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

// claim gives a loop up to n entries to send, in the outbox claim's order
// (lower lanes first, then oldest first) across what a commit here
// claimed as it queued them (Hand) and what waits in the outbox: a claim
// from the outbox when something may be ready there (look), or when the
// idle time has passed since the last (other processes' entries, waits
// that ended), or at shutdown (nothing is left behind). What that claim
// brings beyond the n first joins the handed entries (handed), so an
// urgent notification or an entry given back after its chat's wait is not
// left behind a stream of fresh replies handed over, and a handed reply
// does not go before an older one queued in the outbox.
func (s *Sender) claim(ctx context.Context, n int, first, last tipline.Lane) ([]storage.OutboxEntry, error) {
	loop := otherLoop
	if first == tipline.LaneCallback {
		loop = answerLoop
	}
	q := &s.handed.others
	if loop == answerLoop {
		q = &s.handed.answers
	}
	every := s.cfg.Idle
	s.handed.mu.Lock()
	if q.Len() > 0 {
		every = max(every, busyLook) // in full flow, what waits here comes first
	}
	s.handed.mu.Unlock()
	since := time.Duration(time.Now().UnixNano() - s.lastLook[loop].Load())
	if s.look[loop].Swap(false) || since >= every || s.draining.Load() {
		s.lastLook[loop].Store(time.Now().UnixNano())
		es, err := s.store.OutboxClaimLanes(ctx, s.cfg.Owner, s.cfg.Lease, n, first, last)
		s.handed.mu.Lock()
		q.Insert(time.Now(), before, es...)
		// More may be ready: look again at the next turn, unless enough
		// waits here already (a hand-off in full flow); then the idle
		// claim and the next wake bring the rest.
		more := err != nil || (len(es) == n && q.Len() < 2*n)
		s.handed.mu.Unlock()
		if more {
			s.look[loop].Store(true)
		}
		if err != nil {
			if es := s.takeHanded(ctx, loop == answerLoop, n); len(es) > 0 {
				return es, nil // the outbox is read again at the next turn
			}
			return nil, err
		}
	}
	return s.takeHanded(ctx, loop == answerLoop, n), nil
}

// busyLook is how often a dispatcher with handed entries waiting reads
// the outbox for what no hand-off or wake told it of (other processes'
// entries): the idle time, but not so often that a loaded dispatcher
// claims once a send.
const busyLook = time.Second

// buckets are the limits an entry is sent within: its chat's and the bot's.
// The bot's token may be reserved ahead of time (ahead): the sender then
// waits for it, with no second call to the throttle.
func (s *Sender) buckets(e storage.OutboxEntry) []storage.Bucket {
	return []storage.Bucket{
		{Key: "chat:" + e.ChatKey, Rate: s.cfg.Pacing.PerChat, Burst: s.cfg.Pacing.ChatBurst},
		{Key: "global", Rate: s.cfg.Pacing.Global, Burst: s.cfg.Pacing.GlobalBurst, Ahead: s.ahead()},
	}
}

// ahead is how far ahead a sender reserves its turn at the bot's bucket.
// Senders that all waited for the same next token and asked again each
// time it came made about eight throttle calls a message at 30 a second
// (751 for 90 messages); with reservations one call serves a claimed
// batch (83). Turns are reserved in the claims' order, so the sends
// follow it as far as reservations reach: an entry whose turn lies
// beyond sleeps and asks again, behind all that was claimed meanwhile.
// They reach as far as a claimed entry can wait for its turn, a quarter
// of its lease (the claim still holds when the turn comes): only the
// entries in the hands of the bot's processes are ever ahead of one, a
// fraction of a second's sending. A chat's token is never reserved: a
// chat that must wait gives its entry back.
func (s *Sender) ahead() time.Duration { return s.cfg.Lease / 4 }

// takeEach takes a token from each bucket of each set through the shared
// throttle, or the process's own while the shared one cannot be reached.
func (s *Sender) takeEach(ctx context.Context, sets [][]storage.Bucket) []storage.Taken {
	taken, err := s.throttle.TakeEach(ctx, sets)
	if err == nil {
		if s.throttleFailing.Swap(false) {
			s.log.Info("shared rate limits reachable again")
		}
		return taken
	}
	if !s.throttleFailing.Swap(true) {
		s.log.Warn("shared rate limits unreachable; pacing this process alone", "err", err)
	}
	taken, err = s.fallback.TakeEach(ctx, sets)
	if err != nil {
		// Only a bucket with no rate, or a stopping process: wait, send nothing.
		taken = make([]storage.Taken, len(sets))
		for i := range taken {
			taken[i] = storage.Taken{Wait: time.Second}
		}
	}
	return taken
}

// reserved keeps what one takeEach took for the entries a dispatcher
// claimed, until each entry's sender comes for it: one throttle call for
// the batch instead of one a message. An entry whose turn did not come
// (its chat or the bot must wait) takes again on its own after the wait.
type reserved struct {
	mu    sync.Mutex
	taken map[int64]storage.Taken
}

// reserve takes, in one call, a token for each claimed entry that is
// paced (every lane but answers to button presses), in claim order.
func (s *Sender) reserve(ctx context.Context, entries []storage.OutboxEntry) {
	var (
		ids  []int64
		sets [][]storage.Bucket
	)
	for _, e := range entries {
		if e.Lane != tipline.LaneCallback {
			ids = append(ids, e.ID)
			sets = append(sets, s.buckets(e))
		}
	}
	if len(sets) == 0 {
		return
	}
	taken := s.takeEach(ctx, sets)
	s.reserved.mu.Lock()
	defer s.reserved.mu.Unlock()
	if s.reserved.taken == nil {
		s.reserved.taken = map[int64]storage.Taken{}
	}
	for i, id := range ids {
		s.reserved.taken[id] = taken[i]
	}
}

// reservation gives an entry what reserve took for it, once.
func (s *Sender) reservation(id int64) (storage.Taken, bool) {
	s.reserved.mu.Lock()
	defer s.reserved.mu.Unlock()
	tk, ok := s.reserved.taken[id]
	delete(s.reserved.taken, id)
	return tk, ok
}

func (s *Sender) hold(ctx context.Context, bk storage.Bucket, d time.Duration) {
	s.held.hold(bk.Key, time.Now().Add(d))
	if err := s.throttle.Hold(ctx, bk, d); err != nil {
		_ = s.fallback.Hold(ctx, bk, d)
	}
}

// holds keeps, in this process, until when each bucket was held after a
// 429: a token reserved before the 429 came is not used while it runs.
type holds struct {
	mu    sync.Mutex
	until map[string]time.Time
}

func (h *holds) hold(key string, until time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.until == nil {
		h.until = map[string]time.Time{}
	}
	if until.After(h.until[key]) {
		h.until[key] = until
	}
	for k, t := range h.until {
		if t.Before(time.Now()) {
			delete(h.until, k) // few: one a 429
		}
	}
}

// left is how long the longest hold of buckets still runs (0: none).
func (h *holds) left(buckets []storage.Bucket) time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	var d time.Duration
	for _, b := range buckets {
		d = max(d, time.Until(h.until[b.Key]))
	}
	return d
}

// messagePoster posts a text message or its edit with the body made
// already (Direct.PostMessage).
type messagePoster interface {
	PostMessage(ctx context.Context, method string, body json.RawMessage) (int, error)
}

// storedMessage is a text message's payload with its text and buttons as
// the JSON they were stored as: what a message is sent with, put into the
// call's body as it is. Decoding the buttons and encoding them again was
// most of what sending a message cost the bot beside the call itself.
type storedMessage struct {
	Text      json.RawMessage `json:"t"`
	Rows      json.RawMessage `json:"k"`
	Protect   bool            `json:"p"`
	MessageID int             `json:"m"`
}

// body is the Bot API call that sends the message to chatID, or edits
// message messageID there: the fields, in the order, the client library's
// parameters give them (SendMessageParams, EditMessageTextParams).
func (m storedMessage) body(chatID int64, messageID int) json.RawMessage {
	b := make([]byte, 0, 64+len(m.Text)+len(m.Rows))
	b = append(b, `{"chat_id":`...)
	b = strconv.AppendInt(b, chatID, 10)
	if messageID != 0 {
		b = append(b, `,"message_id":`...)
		b = strconv.AppendInt(b, int64(messageID), 10)
	}
	b = append(b, `,"text":`...)
	if len(m.Text) == 0 {
		b = append(b, `""`...)
	} else {
		b = append(b, m.Text...)
	}
	if m.Protect && messageID == 0 {
		b = append(b, `,"protect_content":true`...)
	}
	if rows := string(m.Rows); rows != "" && rows != "null" && rows != "[]" {
		b = append(b, `,"reply_markup":{"inline_keyboard":`...)
		b = append(b, m.Rows...)
		b = append(b, '}')
	}
	return append(b, '}')
}

// readPayload reads an entry's payload: a text message or its edit, when
// Telegram is one that takes its body made (Direct), as stored (its text
// and buttons left as JSON); anything else whole.
func (s *Sender) readPayload(e storage.OutboxEntry) (Payload, *storedMessage, error) {
	var p Payload
	if s.poster != nil && (e.Method == MethodSend || e.Method == MethodEdit) {
		var m storedMessage
		if err := json.Unmarshal(e.Payload, &m); err != nil {
			return p, nil, err
		}
		p.MessageID = m.MessageID
		return p, &m, nil
	}
	err := json.Unmarshal(e.Payload, &p)
	return p, nil, err
}

// dispatchOne sends one claimed entry and records what became of it.
func (s *Sender) dispatchOne(ctx context.Context, e storage.OutboxEntry) {
	tk, pre := s.reservation(e.ID) // taken whatever becomes of the entry
	p, stored, err := s.readPayload(e)
	if err != nil {
		s.settle(ctx, e, refused, 0, 0, "unreadable payload")
		return
	}
	if e.Method == MethodEdit && e.EditOfMessageID == 0 && p.MessageID == 0 {
		// The message to edit was never sent: nothing to change.
		s.settle(ctx, e, sentOK, 0, 0, "")
		return
	}
	if e.Lane != tipline.LaneCallback {
		buckets := s.buckets(e)
		for {
			if !pre {
				tk = s.takeEach(ctx, [][]storage.Bucket{buckets})[0]
			}
			pre = false
			wait, short := tk.Wait, tk.Short
			if wait <= 0 {
				// Taken: wait for a reserved turn, unless a 429 came
				// meanwhile; then the entry goes back until it ends.
				if claimloop.Sleep(ctx, tk.Due) != nil {
					s.settle(ctx, e, notSent, 0, 0, "")
					return
				}
				if left := s.held.left(buckets); left > 0 {
					s.settle(ctx, e, notSent, 0, left, "")
					return
				}
				break
			}
			if short == 0 {
				// The chat must wait: give the entry back, hold no sender.
				s.settle(ctx, e, notSent, 0, wait, "")
				return
			}
			if claimloop.Sleep(ctx, wait) != nil {
				s.settle(ctx, e, notSent, 0, 0, "")
				return
			}
		}
	}
	msgID, res, retryAfter, reason := s.callTelegram(ctx, e, p, stored)
	if s.obs != nil && (res == notSent || res == failed || res == unknown || res == slowDown) {
		s.obs.Retried(int(e.Lane))
	}
	if res == slowDown {
		for _, bk := range s.buckets(e) {
			s.hold(ctx, bk, retryAfter)
		}
		s.log.Warn("telegram asked us to slow down", "retry_after", retryAfter, "lane", e.Lane)
		if s.obs != nil {
			s.obs.RateLimited(int(e.Lane))
		}
	}
	s.settle(ctx, e, res, msgID, retryAfter, reason)
}

// settle records the outcome of a try. A failure to record it (the
// database is down) is logged: the claim lapses when this process is
// silent or its lease ends, and the entry is tried again then.
func (s *Sender) settle(ctx context.Context, e storage.OutboxEntry, res outcome, msgID int, wait time.Duration, reason string) {
	switch res {
	case sentOK:
		if s.obs != nil {
			s.obs.Sent(int(e.Lane), true)
		}
	case refused, gone:
		s.log.Warn("telegram refused an outgoing message; set aside", "reason", reason, "lane", e.Lane, "method", e.Method)
		if s.obs != nil {
			s.obs.Sent(int(e.Lane), false)
		}
	case unknown:
		if !e.RetryUnknown && e.Attempts > 0 {
			s.log.Warn("an outgoing message may not have arrived; not sent again", "lane", e.Lane)
		}
	}
	if (res == failed || (res == unknown && e.RetryUnknown)) && e.Attempts+1 >= maxSendTries {
		s.log.Error("an outgoing message failed again and again; set aside", "tries", e.Attempts+1, "lane", e.Lane, "method", e.Method)
		res, reason = refused, fmt.Sprintf("failed %d times", e.Attempts+1)
	}
	if !s.handed.alone(e.ID) || (res != sentOK && res != refused && res != gone) {
		// Its chat's next entry may be ready now, or it is to be tried
		// again: the dispatchers look at the outbox.
		defer s.lookFor(true, true)
	}
	if (res == notSent || res == slowDown) && wait > 0 {
		// Given back until its wait ends: look for it then, so it goes
		// out in its place, not at the next idle claim.
		answers := e.Lane == tipline.LaneCallback
		time.AfterFunc(wait, func() { s.lookFor(answers, !answers) })
	}
	if err := s.settleRecord(ctx, e, res, msgID, wait, reason); err != nil {
		// The database is down. The outcome is kept here and recorded by
		// the bot's heartbeat once it is back (Hooks.Later), so the chat does not wait out the
		// claim, and a message that went out is not sent again.
		s.log.Error("could not record an outgoing message's outcome; it will be recorded when the database is back", "err", err)
		s.hooks.Later(func(ctx context.Context) error { return s.settleRecord(ctx, e, res, msgID, wait, reason) })
	}
	if res == gone {
		if err := s.hooks.ChatGone(ctx, e.ChatID); err != nil {
			s.log.Error("could not mark an unreachable chat; it will be when the database is back", "err", err)
			s.hooks.Later(func(ctx context.Context) error { return s.hooks.ChatGone(ctx, e.ChatID) })
		}
	}
}

// settleRecord writes an outcome to the outbox. A reporter's message whose
// fate is unknown is tried once more at most: a connection reset before
// Telegram read it would otherwise lose it, and an answer lost after it
// was delivered doubles it only once. A claim no longer ours is no error.
func (s *Sender) settleRecord(ctx context.Context, e storage.OutboxEntry, res outcome, msgID int, wait time.Duration, reason string) error {
	var err error
	switch res {
	case sentOK:
		err = s.recordSent(ctx, e.ID, msgID) // with other senders' (sender.go)
	case refused, gone:
		err = s.store.OutboxDead(ctx, e.ID, s.cfg.Owner, reason)
	case unknown:
		// Every try counts: a reviewer's entry (RetryUnknown) ends in the
		// dead letters after maxSendTries (settle), a reporter's is sent at
		// most twice.
		if e.RetryUnknown || e.Attempts == 0 {
			err = s.store.OutboxRetry(ctx, e.ID, s.cfg.Owner, retryBackoff(e.Attempts), true)
		} else {
			err = s.store.OutboxSent(ctx, e.ID, s.cfg.Owner, 0)
		}
	case failed:
		err = s.store.OutboxRetry(ctx, e.ID, s.cfg.Owner, retryBackoff(e.Attempts), true)
	default:
		err = s.store.OutboxRetry(ctx, e.ID, s.cfg.Owner, wait, false)
	}
	if errors.Is(err, storage.ErrNotHolder) {
		return nil
	}
	return err
}

// callTelegram makes the Bot API call an entry stands for; stored, when
// not nil, is a text message or its edit as stored, posted as it is.
func (s *Sender) callTelegram(ctx context.Context, e storage.OutboxEntry, p Payload, stored *storedMessage) (int, outcome, time.Duration, string) {
	var (
		msg *models.Message
		err error
	)
	if stored != nil {
		msg, err = s.postStored(ctx, e, p, stored)
	} else {
		var known bool
		if msg, known, err = s.callAPI(ctx, e, p); !known {
			return 0, refused, 0, "unknown method"
		}
	}
	v := classify(err)
	s.noteVerdict(v)
	if v.res == sentOK && msg != nil {
		return msg.ID, v.res, 0, ""
	}
	return 0, v.res, v.wait, v.reason
}

// editOf is the message an edit changes.
func editOf(e storage.OutboxEntry, p Payload) int {
	if p.MessageID != 0 {
		return p.MessageID
	}
	return e.EditOfMessageID
}

// postStored sends a text message, or its edit, as stored.
func (s *Sender) postStored(ctx context.Context, e storage.OutboxEntry, p Payload, m *storedMessage) (*models.Message, error) {
	if e.Method == MethodEdit {
		_, err := s.poster.PostMessage(ctx, "editMessageText", m.body(e.ChatID, editOf(e, p)))
		if notModified(err) {
			err = nil
		}
		return nil, err
	}
	id, err := s.poster.PostMessage(ctx, "sendMessage", m.body(e.ChatID, 0))
	if err != nil {
		return nil, err
	}
	return &models.Message{ID: id}, nil
}

// callAPI makes the call an entry stands for through the client
// library's parameters; known is false for a method no entry may carry.
func (s *Sender) callAPI(ctx context.Context, e storage.OutboxEntry, p Payload) (msg *models.Message, known bool, err error) {
	var markup models.ReplyMarkup
	if len(p.Rows) > 0 {
		markup = &models.InlineKeyboardMarkup{InlineKeyboard: p.Rows}
	}
	switch e.Method {
	case MethodSend:
		msg, err = s.api.SendMessage(ctx, &tgbot.SendMessageParams{ChatID: e.ChatID, Text: p.Text, ProtectContent: p.Protect, ReplyMarkup: markup})
	case MethodEdit:
		_, err = s.api.EditMessageText(ctx, &tgbot.EditMessageTextParams{ChatID: e.ChatID, MessageID: editOf(e, p), Text: p.Text, ReplyMarkup: markup})
		if notModified(err) {
			err = nil
		}
	case MethodAnswer:
		_, err = s.api.AnswerCallbackQuery(ctx, &tgbot.AnswerCallbackQueryParams{CallbackQueryID: p.CallbackID})
	case MethodFile:
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
			msg, err = s.api.SendVoice(ctx, &tgbot.SendVoiceParams{ChatID: e.ChatID, Voice: file, Caption: caption, ReplyMarkup: markup, ProtectContent: p.Protect})
		case "video":
			msg, err = s.api.SendVideo(ctx, &tgbot.SendVideoParams{ChatID: e.ChatID, Video: file, Caption: p.Caption, ProtectContent: p.Protect})
		default:
			msg, err = s.api.SendPhoto(ctx, &tgbot.SendPhotoParams{ChatID: e.ChatID, Photo: file, Caption: p.Caption, ProtectContent: p.Protect})
		}
	case MethodDelete:
		err = s.deleteAll(ctx, e, p)
	case MethodLeave:
		_, err = s.api.LeaveChat(ctx, &tgbot.LeaveChatParams{ChatID: e.ChatID})
	case MethodAlbum:
		media := make([]models.InputMedia, len(p.Files))
		for i, f := range p.Files {
			if f.Kind == "video" {
				media[i] = &models.InputMediaVideo{Media: f.ID, Caption: f.Caption}
			} else {
				media[i] = &models.InputMediaPhoto{Media: f.ID, Caption: f.Caption}
			}
		}
		var msgs []*models.Message
		msgs, err = s.api.SendMediaGroup(ctx, &tgbot.SendMediaGroupParams{ChatID: e.ChatID, Media: media, ProtectContent: p.Protect})
		if len(msgs) > 0 {
			msg = msgs[0]
		}
	default:
		return nil, false, nil
	}
	return msg, true, err
}

// deleteAll deletes the messages of a delete entry, 100 at a time
// (deleteMessages' limit); messages too old to delete are skipped by
// Telegram itself.
func (s *Sender) deleteAll(ctx context.Context, e storage.OutboxEntry, p Payload) error {
	ids := p.MessageIDs
	if p.Clear {
		sent, err := s.store.OutboxSentMessages(ctx, e.ChatKey, DeleteWindow)
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
		if _, err := s.api.DeleteMessages(ctx, &tgbot.DeleteMessagesParams{ChatID: e.ChatID, MessageIDs: part}); err != nil {
			return err
		}
	}
	return nil
}

// errNotSent marks a failure on our side before anything reached Telegram.
var errNotSent = errors.New("outbox: not sent")

// verdict is what an error from the Bot API client means for an entry,
// and whether it says Telegram itself is failing.
type verdict struct {
	res    outcome
	wait   time.Duration // retry_after, or how long before trying again
	reason string        // why Telegram refused it, without content
	// down says Telegram itself fails (no answer, a 5xx): the dispatcher
	// stops claiming until it answers again (probeTelegram).
	down bool
}

// classify tells what an error from the Bot API client means for the
// entry, by the errors' types (and, for a 400, Telegram's description).
// It changes nothing: noteVerdict acts on what it says.
func classify(err error) verdict {
	if err == nil {
		return verdict{res: sentOK}
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
		return verdict{res: slowDown, wait: d}
	case errors.Is(err, errNotSent):
		return verdict{res: notSent, wait: time.Second}
	case errors.Is(err, tgbot.ErrorForbidden):
		return verdict{res: gone, reason: "forbidden (the user blocked the bot)"}
	case errors.Is(err, tgbot.ErrorBadRequest) && chatNotFound(err):
		return verdict{res: gone, reason: "bad request: " + badRequestReason(err)}
	case errors.Is(err, tgbot.ErrorBadRequest):
		return verdict{res: refused, reason: "bad request: " + badRequestReason(err)}
	case errors.Is(err, tgbot.ErrorUnauthorized), errors.Is(err, tgbot.ErrorNotFound):
		return verdict{res: unauthorized, wait: time.Second, down: true}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded) && !errors.As(err, &urlErr):
		return verdict{res: notSent}
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return verdict{res: notSent, down: true}
	case errors.As(err, &urlErr), errors.As(err, &lost):
		// The request may have reached Telegram: a lost answer.
		return verdict{res: unknown, down: true}
	default:
		// Telegram answered with a failure of its own (5xx), or something
		// that is not its answer (a proxy's page): it did not take it.
		// Tried again after a back-off, a bounded number of times.
		return verdict{res: failed, down: true}
	}
}

// noteVerdict marks Telegram down when a verdict says it fails, and says
// so once per outage.
func (s *Sender) noteVerdict(v verdict) {
	if !v.down || s.telegramDown.Swap(true) {
		return
	}
	if v.res == unauthorized {
		s.log.Error("telegram does not accept the bot's token or URL (TELEGRAM_BOT_TOKEN, TELEGRAM_API_URL); messages wait")
		return
	}
	s.log.Warn("telegram is not answering; outgoing messages wait in the outbox")
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

// probeTelegram asks Telegram every half second whether it is back; the
// dispatcher drains once it is.
func (s *Sender) probeTelegram(ctx context.Context) {
	for ctx.Err() == nil {
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := s.api.GetMe(pctx)
		cancel()
		if err == nil {
			s.telegramDown.Store(false)
			s.log.Info("telegram answers again; sending what waited")
			return
		}
		if claimloop.Sleep(ctx, s.cfg.ProbeEvery) != nil {
			return
		}
	}
}

// notModified is Telegram's answer to an edit that changes nothing.
func notModified(err error) bool {
	return err != nil && strings.Contains(err.Error(), "message is not modified")
}

// answerLostError is an error reading Telegram's answer to a request that
// was sent: Telegram may have acted on it, and the answer did not come
// back. The client library wraps it (%w), so classify tells it by type
// instead of by the library's wording.
type answerLostError struct{ err error }

func (e answerLostError) Error() string { return "reading Telegram's answer: " + e.err.Error() }
func (e answerLostError) Unwrap() error { return e.err }

// markLostAnswers wraps a transport so that a failure while reading an
// answer's body is an answerLostError.
type markLostAnswers struct{ base http.RoundTripper }

func (m markLostAnswers) RoundTrip(req *http.Request) (*http.Response, error) {
	req, err := whole(req)
	if err != nil {
		return nil, err
	}
	resp, err := m.base.RoundTrip(req)
	if err == nil {
		resp.Body = answerBody{resp.Body}
	}
	return resp, err
}

type answerBody struct{ io.ReadCloser }

func (b answerBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		err = answerLostError{err}
	}
	return n, err
}

// smallBody is how much of a request's body whole reads before sending:
// every form but a file's fits.
const smallBody = 64 << 10

// whole sends a small request in one piece. The client library streams
// every request's form through a pipe, and net/http sends a body of
// unknown length in chunks, one write (and one TCP segment) per field:
// ten or more for a message. Read whole, a message goes with its length in
// one write. A body larger than smallBody (a file) streams as before, after
// what was read.
func whole(req *http.Request) (*http.Request, error) {
	if req.Body == nil || req.ContentLength > 0 || req.Body == http.NoBody {
		return req, nil
	}
	buf, err := io.ReadAll(io.LimitReader(req.Body, smallBody+1))
	if err != nil {
		_ = req.Body.Close()
		return nil, err
	}
	if len(buf) <= smallBody {
		_ = req.Body.Close()
		r := req.Clone(req.Context())
		r.Body = io.NopCloser(bytes.NewReader(buf))
		r.ContentLength = int64(len(buf))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf)), nil }
		return r, nil
	}
	r := req.Clone(req.Context())
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(buf), req.Body), req.Body}
	return r, nil
}

// WithLostAnswers is c sending through markLostAnswers (and whole); c
// itself is left as it was.
func WithLostAnswers(c *http.Client) *http.Client {
	base := c.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	marked := *c
	marked.Transport = markLostAnswers{base}
	return &marked
}
