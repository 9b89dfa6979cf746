package bot

import (
	"bytes"
	"cmp"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/flows"
	"github.com/tipline/tipline/internal/claimloop"
	"github.com/tipline/tipline/locales"
	"github.com/tipline/tipline/outbox"
	"github.com/tipline/tipline/storage"
)

// allowedUpdates are the update kinds the bot asks Telegram for.
// my_chat_member says when a person blocks or unblocks the bot, or adds it
// to a group (membership.go).
var allowedUpdates = []string{models.AllowedUpdateMessage, models.AllowedUpdateEditedMessage, models.AllowedUpdateCallbackQuery, models.AllowedUpdateMyChatMember}

// maxWebhookBody caps a webhook request; real updates are a few kilobytes.
const maxWebhookBody = 1 << 20

// errBadUpdate is a request body that is not an update.
var errBadUpdate = errors.New("bot: not a Telegram update")

// rawUpdate is the little intake reads of an update: its id, its chat and
// its sender's language. The rest is stored as it came and decoded at
// processing, where an update our client library cannot read is set
// aside, never here. It is the one reading of "which chat is this": the
// inbox orders by it, and decode chooses the same chat (FuzzDecodeUpdate
// holds them to it).
type rawUpdate struct {
	ID            int64       `json:"update_id"`
	Message       *rawMessage `json:"message"`
	EditedMessage *rawMessage `json:"edited_message"`
	CallbackQuery *struct {
		ID      string      `json:"id"`
		From    rawUser     `json:"from"`
		Message *rawMessage `json:"message"`
	} `json:"callback_query"`
	MyChatMember *rawMessage `json:"my_chat_member"`
}

type rawMessage struct {
	Chat struct {
		ID   int64  `json:"id"`
		Type string `json:"type"`
	} `json:"chat"`
	From         rawSender `json:"from"`
	MediaGroupID string    `json:"media_group_id"`
	Text         string    `json:"text"`
}

type rawUser struct {
	ID   int64  `json:"id"`
	Lang string `json:"language_code"`
}

// rawSender is a message's sender, kept as it came and read only for its
// language, when a word is said without a session (privateChat): a sender
// intake cannot read leaves the language unknown rather than turning the
// update away, since ordering does not depend on it.
type rawSender json.RawMessage

func (s *rawSender) UnmarshalJSON(b []byte) error {
	*s = append((*s)[:0], b...)
	return nil
}

// lang is the sender's language, "" when unknown or unreadable.
func (s rawSender) lang() string {
	var u rawUser
	_ = json.Unmarshal(s, &u) // unreadable: no language
	return u.Lang
}

// readUpdate reads the little of an update intake needs; false for bytes
// that are not an update.
func readUpdate(raw []byte) (rawUpdate, bool) {
	var u rawUpdate
	if json.Unmarshal(raw, &u) != nil || u.ID <= 0 {
		return rawUpdate{}, false
	}
	return u, true
}

// chat is the chat the update belongs to, for ordering; 0 for none.
func (u rawUpdate) chat() int64 {
	switch {
	case u.Message != nil:
		return u.Message.Chat.ID
	case u.EditedMessage != nil:
		return u.EditedMessage.Chat.ID
	case u.CallbackQuery != nil:
		if m := u.CallbackQuery.Message; m != nil && m.Chat.ID != 0 {
			return m.Chat.ID
		}
		return u.CallbackQuery.From.ID
	case u.MyChatMember != nil:
		return u.MyChatMember.Chat.ID
	}
	return 0
}

// privateChat is the private chat of a conversation update and its
// sender's language, for a word to the person however the rest of the
// update looks: 0 for a group's update or a membership change.
func (u rawUpdate) privateChat() (int64, string) {
	switch id := u.privateChatID(); {
	case id == 0:
		return 0, ""
	case private(u.Message):
		return id, u.Message.From.lang()
	case private(u.EditedMessage):
		return id, ""
	default:
		return id, u.CallbackQuery.From.Lang
	}
}

// privateChatID is privateChat's chat alone: the sender's language is
// read from the update's bytes only when it is asked for.
func (u rawUpdate) privateChatID() int64 {
	switch {
	case private(u.Message):
		return u.Message.Chat.ID
	case private(u.EditedMessage):
		return u.EditedMessage.Chat.ID
	case u.CallbackQuery != nil:
		// In a private chat the chat is the user.
		return u.CallbackQuery.From.ID
	}
	return 0
}

// private tells a message of a private chat.
func private(m *rawMessage) bool { return m != nil && m.Chat.Type == string(models.ChatTypePrivate) }

// elsewhere tells an update from a group, supergroup or channel that is
// not about the bot's own membership: nothing of it is stored, since no
// conversation runs there (the bot leaves such chats, membership.go).
func (u rawUpdate) elsewhere() bool {
	for _, m := range []*rawMessage{u.Message, u.EditedMessage} {
		if m != nil && m.Chat.Type != "" && m.Chat.Type != string(models.ChatTypePrivate) {
			return true
		}
	}
	if q := u.CallbackQuery; q != nil && q.Message != nil && q.Message.Chat.Type != "" && q.Message.Chat.Type != string(models.ChatTypePrivate) {
		return true
	}
	return false
}

// errElsewhere is an update from a chat the bot does not serve: it is
// confirmed to Telegram and not stored.
var errElsewhere = errors.New("bot: an update from a group or channel")

// inboxItem turns a raw update into an inbox row, keyed by a keyed hash of
// its chat so the inbox never holds a chat id in clear, and without the
// names, usernames, phone numbers and contact cards it carried
// (stripIdentity).
func (b *Bot) inboxItem(raw json.RawMessage) (storage.InboxItem, error) {
	u, ok := readUpdate(raw)
	if !ok {
		return storage.InboxItem{}, errBadUpdate
	}
	if u.elsewhere() {
		return storage.InboxItem{}, errElsewhere
	}
	payload := stripValid(raw) // readUpdate found it JSON
	it := storage.InboxItem{
		UpdateID:   u.ID,
		ChatKey:    b.ring.ChatKey(u.chat()),
		Payload:    payload,
		ReceivedAt: b.cfg.Now(),
	}
	if m := u.Message; m != nil && m.MediaGroupID != "" {
		// A part of an album: held a moment for the rest, so the album is
		// answered once (process, albumContinues).
		it.Group, it.Hold = b.ring.GroupKey(m.Chat.ID, m.MediaGroupID), b.cfg.AlbumWait
	}
	if user := u.privateChatID(); user > 0 {
		// Screened as it is claimed, if intake claims it (prefetchBatch).
		it.Sender = &storage.Sender{TelegramID: user, Pseudonyms: b.ring.Pseudonyms(user)}
	}
	if q := u.CallbackQuery; q != nil && q.ID != "" && len(q.ID) <= 64 {
		// The press is answered first, whatever the inbox holds before it.
		a := outbox.AnswerEntry(q.ID)
		it.Answer = &a
	}
	return it, nil
}

// storeUpdates writes updates to the inbox, durably, and wakes a worker.
// Those ready to be processed at once (the first of a chat with nothing
// waiting, up to intakeDepth per worker) are claimed by the same statement
// and handed to the workers: one commit fewer before an answer.
// Something that is not an update at all (no update id) is skipped: it
// cannot be confirmed to Telegram any other way.
func (b *Bot) storeUpdates(ctx context.Context, raws []json.RawMessage) error {
	items, err := b.inboxItems(raws)
	if err != nil {
		return err
	}
	room, end := b.beginIntake()
	return b.storeItems(ctx, items, room, end)
}

// inboxItems are the inbox rows of a batch of raw updates: an update from
// a group is left out, and so is something that is not an update at all
// (an error when it is all there is).
func (b *Bot) inboxItems(raws []json.RawMessage) ([]storage.InboxItem, error) {
	items := make([]storage.InboxItem, 0, len(raws))
	for _, raw := range raws {
		it, err := b.inboxItem(raw)
		if errors.Is(err, errElsewhere) {
			continue
		}
		if err != nil {
			if len(raws) == 1 {
				return nil, err
			}
			b.log.Error("an update without an update id was skipped")
			continue
		}
		items = append(items, it)
	}
	return items, nil
}

// storeItems stores items, claiming up to room of them for the workers,
// and ends the intake begun with beginIntake (end).
func (b *Bot) storeItems(ctx context.Context, items []storage.InboxItem, room int, end func([]storage.InboxItem)) error {
	added, claimed, err := b.store.InboxAddClaim(ctx, items, b.owner, b.cfg.Lease, room)
	end(claimed)
	if err != nil {
		return fmt.Errorf("store updates: %w", err)
	}
	if added > len(claimed) {
		b.mayClaim() // some wait for their chat's turn, or for a worker
	} else {
		b.notify()
	}
	for _, it := range items {
		if it.Answer != nil {
			b.sender.WakeAnswers() // answers to presses are queued with them
			break
		}
	}
	return nil
}

// takeUpdates is how the poller stores a batch: an update that may be
// processed before it is stored (the only one of its chat in the batch,
// nothing of its chat waiting in the inbox: InboxReady) is handed to the
// workers as it came, and the commit that completes it stores it, done,
// with its messages: one commit for an answer instead of two, and its
// payload never written. The rest are stored as storeUpdates stores them.
// It returns once every update of the batch is in the inbox, done or
// waiting, since only then is the batch confirmed to Telegram (G1): one
// whose processing failed, or that no worker took within freshWait, is
// stored then, to be processed as any other. Only the poller that holds
// the intake lock may use it: the batch's next updates are not taken
// from Telegram before the batch is done, which keeps each chat's order
// (G3).
func (b *Bot) takeUpdates(ctx context.Context, raws []json.RawMessage) error {
	items, err := b.inboxItems(raws)
	if err != nil {
		return err
	}
	room, end := b.beginIntake()
	var fresh []storage.InboxItem
	if room > 0 {
		// When the store cannot tell, every update is stored as it came
		// (and a database that is down refuses that too).
		if ready, err := b.store.InboxReady(ctx, items); err == nil {
			fresh = ready[:min(len(ready), room)]
		}
	}
	if len(fresh) == 0 {
		return b.storeItems(ctx, items, room, end)
	}
	taken := make(map[int64]*storage.OutboxEntry, len(fresh)) // with the press's answer
	for i := range fresh {
		taken[fresh[i].UpdateID] = fresh[i].Answer
		fresh[i].Fresh, fresh[i].Answer = true, nil // its processing answers the press
	}
	rest := slices.DeleteFunc(slices.Clone(items), func(it storage.InboxItem) bool {
		_, ok := taken[it.UpdateID]
		return ok
	})
	var claimed []storage.InboxItem // stored and claimed for the workers
	if len(rest) > 0 {
		done := func(c []storage.InboxItem) { claimed = c }
		if err := b.storeItems(ctx, rest, room-len(fresh), done); err != nil {
			end(nil)
			return err
		}
	}
	toWorkers := append(claimed, fresh...)
	outcomes := b.freshly.expect(toWorkers)
	// The fresh updates are one unit: completed in one transaction,
	// however the workers take them (commit.go).
	b.commits.claimed(slices.Collect(maps.Keys(taken)))
	end(toWorkers)
	b.notify()
	withdraw := time.AfterFunc(freshWait, func() { b.withdrawFresh(taken) })
	defer withdraw.Stop()
	var back []storage.InboxItem
	for i, it := range toWorkers {
		if !it.Fresh {
			continue
		}
		var err error
		select {
		case err = <-outcomes[i]:
		case <-ctx.Done():
			// Nothing of the batch is confirmed: Telegram gives again
			// what was not done, and the inbox knows what was.
			return ctx.Err()
		}
		if err == nil {
			continue
		}
		it.Fresh, it.Answer = false, taken[it.UpdateID]
		if !errors.Is(err, errNotTaken) {
			it.Hold = backoff(1) // tried once already
		}
		back = append(back, it)
	}
	if len(back) > 0 {
		if _, _, err := b.store.InboxAddClaim(ctx, back, b.owner, b.cfg.Lease, 0); err != nil {
			return fmt.Errorf("store updates: %w", err)
		}
		b.mayClaim()
	}
	return nil
}

// Poll takes updates by long polling until ctx ends. One process at a time
// polls (it holds the intake lock); when it dies, another takes over within
// seconds. A batch is confirmed to Telegram (by the next call's offset)
// only after it is committed to the inbox, so a crash at any point loses
// nothing (G1, G2).
func (b *Bot) Poll(ctx context.Context) error {
	told := false
	for ctx.Err() == nil {
		if b.intakeLock != nil {
			ok, err := b.intakeLock.TryLock(ctx)
			if err != nil && ctx.Err() == nil {
				// The database is down: nobody holds the lock and nothing
				// can be stored. Look at what waits at Telegram all the
				// same, so its senders hear that we are slow.
				b.log.Warn("cannot take the intake lock; the database may be down", "err", err)
				b.pollUnlocked(ctx)
				continue
			}
			if err != nil || !ok {
				if !told {
					b.log.Info("another process takes updates in; this one stands by")
					told = true
				}
				_ = claimloop.Sleep(ctx, b.cfg.Heartbeat)
				continue
			}
			b.log.Info("this process takes updates in")
			told = false
		}
		b.pollHeld(ctx)
		if b.intakeLock != nil {
			uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			_ = b.intakeLock.Unlock(uctx)
			cancel()
		}
	}
	return nil
}

// pollHeld polls while this process holds the intake lock. Retries wait a
// few seconds at most, so intake resumes soon after an outage ends.
func (b *Bot) pollHeld(ctx context.Context) {
	var offset int64
	wait := 250 * time.Millisecond
	for ctx.Err() == nil {
		if b.intakeLock != nil {
			if err := b.intakeLock.Held(ctx); err != nil {
				if ctx.Err() == nil {
					b.log.Warn("lost the intake lock; taking it again", "err", err)
				}
				return
			}
		}
		raws, err := b.getUpdates(ctx, offset, b.cfg.PollTimeout)
		var big *updatesTooLarge
		if errors.As(err, &big) {
			// Read one update at a time until the one too large to read is
			// found; it is skipped (confirmed unread), the others kept.
			if b.pollLimit != 1 {
				b.pollLimit = 1
				continue
			}
			if big.first >= offset && big.first > 0 {
				b.log.Error("an update too large to read was skipped", "update_id", big.first)
				offset = big.first + 1
				continue
			}
		}
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if errors.Is(err, errConflict) {
				b.log.Info("another poller is still connected to Telegram; waiting")
			} else {
				b.log.Error("getUpdates failed; retrying", "err", err)
			}
			_ = claimloop.Sleep(ctx, wait)
			wait = min(wait*2, 3*time.Second)
			continue
		}
		wait = 250 * time.Millisecond
		if len(raws) == 0 {
			continue
		}
		if raws = b.storeOrWait(ctx, offset, raws, b.takeUpdates); raws == nil {
			return
		}
		b.pollLimit = 0
		var last struct {
			ID int64 `json:"update_id"`
		}
		for i := len(raws) - 1; i >= 0; i-- {
			if json.Unmarshal(raws[i], &last) == nil && last.ID > 0 {
				break
			}
		}
		if last.ID >= offset {
			offset = last.ID + 1
		}
	}
}

// pollUnlocked takes one short look at the updates waiting at Telegram
// while the intake lock cannot be had (the database is down), and stores
// them once it can, telling their senders meanwhile that we are slow. It
// confirms nothing to Telegram: the poller that holds the lock next takes
// them again, and the inbox ignores what it has.
func (b *Bot) pollUnlocked(ctx context.Context) {
	raws, err := b.getUpdates(ctx, 0, time.Second)
	if err != nil || len(raws) == 0 {
		_ = claimloop.Sleep(ctx, b.cfg.Heartbeat)
		return
	}
	b.storeOrWait(ctx, 0, raws, b.storeUpdates)
}

// storeOrWait stores a batch of updates. While the database refuses it,
// it keeps looking at what waits at Telegram from the same offset (which
// confirms nothing, so nothing is lost) and tells each chat that is
// waiting, once, that its message is safe and will be answered; the batch
// grows with what arrives meanwhile. It returns the batch it stored, or
// nil when ctx ended first.
func (b *Bot) storeOrWait(ctx context.Context, offset int64, raws []json.RawMessage, store func(context.Context, []json.RawMessage) error) []json.RawMessage {
	wait := 250 * time.Millisecond
	failing := false
	for {
		err := store(ctx, raws)
		if err == nil {
			if failing {
				b.log.Info("updates stored again; the database is back")
				b.endUnstored()
			}
			return raws
		}
		if ctx.Err() != nil {
			return nil // stopping: what was not stored stays with Telegram
		}
		if !failing {
			b.log.Error("cannot store updates; they stay with Telegram until we can", "err", err)
			failing = true
		}
		b.tellUnstored(ctx, raws)
		if claimloop.Sleep(ctx, wait) != nil {
			return nil
		}
		wait = min(wait*2, 2*time.Second)
		if now, err := b.getUpdates(ctx, offset, 0); err == nil && len(now) > 0 {
			raws = now
		}
	}
}

// errConflict is Telegram's 409: another getUpdates or a webhook is active.
var errConflict = errors.New("getUpdates: 409 conflict")

// getUpdates is our own long poll: go-telegram/bot's confirms a batch
// before its handlers run.
func (b *Bot) getUpdates(ctx context.Context, offset int64, wait time.Duration) ([]json.RawMessage, error) {
	body, err := json.Marshal(map[string]any{
		"offset":          offset,
		"timeout":         int(wait / time.Second),
		"limit":           cmp.Or(b.pollLimit, 100),
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
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxUpdatesBody+1))
	if err != nil {
		return nil, fmt.Errorf("getUpdates: read: %w", err)
	}
	if len(data) > maxUpdatesBody {
		return nil, &updatesTooLarge{first: firstUpdateID(data)}
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("getUpdates: status %d: undecodable answer", resp.StatusCode)
	}
	if !r.OK {
		if r.Parameters.RetryAfter > 0 {
			_ = claimloop.Sleep(ctx, time.Duration(r.Parameters.RetryAfter)*time.Second)
		}
		if r.ErrorCode == http.StatusConflict {
			return nil, errConflict
		}
		return nil, fmt.Errorf("getUpdates: %d %s", r.ErrorCode, r.Description)
	}
	return b.boundUpdates(r.Result), nil
}

// maxUpdatesBody bounds a getUpdates answer read into memory: a hundred
// real updates (4,096 letters of text each at most) are a small part of it.
const maxUpdatesBody = 16 << 20

// updatesTooLarge is a getUpdates answer over maxUpdatesBody: not read.
// first is the id of its first update when the start of it says (0
// otherwise), so that one update too large to read can be skipped.
type updatesTooLarge struct{ first int64 }

func (e *updatesTooLarge) Error() string {
	return fmt.Sprintf("getUpdates: answer over %d bytes", maxUpdatesBody)
}

var updateIDRE = regexp.MustCompile(`"update_id"\s*:\s*(\d+)`)

// firstUpdateID reads the id of the first update at the start of an answer.
func firstUpdateID(data []byte) int64 {
	m := updateIDRE.FindSubmatch(data[:min(len(data), 64<<10)])
	if m == nil {
		return 0
	}
	id, _ := strconv.ParseInt(string(m[1]), 10, 64)
	return id
}

// boundUpdates replaces an update over maxWebhookBody (the bound of one
// update, as of one webhook request) by its id alone: no real update is
// that large, and one from a broken or hostile API in between must not
// fill the inbox or the memory. It is confirmed and answered by nothing.
func (b *Bot) boundUpdates(raws []json.RawMessage) []json.RawMessage {
	for i, raw := range raws {
		if len(raw) <= maxWebhookBody {
			continue
		}
		var u struct {
			ID int64 `json:"update_id"`
		}
		_ = json.Unmarshal(raw, &u)
		b.log.Warn("an update over the size bound was not kept", "update_id", u.ID, "bytes", len(raw))
		raws[i] = fmt.Appendf(nil, `{"update_id":%d}`, u.ID)
	}
	return raws
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
			b.tellUnstored(r.Context(), []json.RawMessage{body})
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
			return
		}
		b.endUnstored()
		w.WriteHeader(http.StatusOK)
	})
}

// Setup tells Telegram how to reach the bot: the webhook when configured,
// else long polling (removing any webhook, keeping pending updates), and
// the command menu in each language.
func (b *Bot) Setup(ctx context.Context) error {
	if b.cfg.WebhookURL != "" {
		err := b.call(ctx, "setWebhook", func(ctx context.Context) error {
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
		err := b.call(ctx, "deleteWebhook", func(ctx context.Context) error {
			_, err := b.api.DeleteWebhook(ctx, &tgbot.DeleteWebhookParams{DropPendingUpdates: false})
			return err
		})
		if err != nil {
			return fmt.Errorf("delete webhook: %w", err)
		}
	}
	if err := b.learnUsername(ctx); err != nil {
		return fmt.Errorf("get me: %w", err)
	}
	return b.setCommands(ctx)
}

func (b *Bot) setCommands(ctx context.Context) error {
	for _, lang := range []string{"", "km", "th", "en"} {
		cmds := commandList(b.render.cat, lang)
		err := b.call(ctx, "setMyCommands", func(ctx context.Context) error {
			_, err := b.api.SetMyCommands(ctx, &tgbot.SetMyCommandsParams{Commands: cmds, LanguageCode: lang})
			return err
		})
		if err != nil {
			return fmt.Errorf("set commands %s: %w", strconv.Quote(lang), err)
		}
	}
	return nil
}

// commandList is the "/" menu for a Telegram interface language. Telegram
// shows the list for the phone's language, and the default one ("") to
// every other phone: a Khmer reader's, since Telegram has no Khmer
// interface. So the default list is written for any reader: each command
// with its picture first, then its words in Khmer, Thai and English.
func commandList(cat *locales.Catalog, lang string) []models.BotCommand {
	var cmds []models.BotCommand
	for _, n := range flows.Commands {
		desc := cat.Text(lang, "command_"+n, nil)
		if lang == "" {
			words := make([]string, 0, len(tipline.Languages))
			for _, l := range tipline.Languages {
				words = append(words, cat.Text(l, "command_"+n, nil))
			}
			desc = flows.CommandIcons[n] + " " + strings.Join(words, " · ")
		}
		cmds = append(cmds, models.BotCommand{Command: n, Description: desc})
	}
	return cmds
}

// tellUnstored tells the senders of updates we cannot store (the database
// is down) that we are slow and their message is safe: it waits at
// Telegram until we can take it. This is the one message sent outside the
// outbox, since the outbox is in the database that is down. Each waiting
// chat is told once per outage, by this process; a restart may tell them
// again.
func (b *Bot) tellUnstored(ctx context.Context, raws []json.RawMessage) {
	for _, raw := range raws {
		u, ok := readUpdate(raw)
		if !ok {
			continue
		}
		chatID, lang := u.privateChat()
		if chatID <= 0 {
			continue
		}
		b.mu.Lock()
		told := b.toldUnstored[chatID]
		if !told {
			if len(b.toldUnstored) > 10000 {
				clear(b.toldUnstored)
			}
			b.toldUnstored[chatID] = true
		}
		b.mu.Unlock()
		if told {
			continue
		}
		// Redis, where a reporter's language is kept, is another server
		// than the database that is down.
		lctx, lcancel := context.WithTimeout(ctx, time.Second)
		lang = b.readerLanguage(lctx, chatID, lang)
		lcancel()
		text := b.render.render(orEnglish(lang), notice(lang, "error_delayed"), nil)[0].text
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		m, err := b.api.SendMessage(sctx, &tgbot.SendMessageParams{ChatID: chatID, Text: text})
		var tooMany *tgbot.TooManyRequestsError
		if errors.As(err, &tooMany) {
			// Over Telegram's limit: this chat and the rest are told at a
			// later round.
			cancel()
			b.mu.Lock()
			delete(b.toldUnstored, chatID)
			b.mu.Unlock()
			return
		}
		if err != nil {
			b.log.Warn("could not tell a reporter we are slow", "err", err)
		} else if m != nil {
			// Not in the outbox: kept with the chat's messages (in Redis,
			// which is up), so "Clear this chat" deletes it too.
			b.keepGuardedMessage(sctx, b.ring.ChatKey(chatID), messageRef{ID: m.ID, At: b.cfg.Now()})
		}
		cancel()
	}
}

// endUnstored forgets who was told during an outage that has ended, so
// the next outage tells them again.
func (b *Bot) endUnstored() {
	b.mu.Lock()
	clear(b.toldUnstored)
	b.mu.Unlock()
}

// identityFields are the fields of a Telegram update that name a person or
// say how to reach them: names, usernames, phone numbers and contact
// cards, of the sender or of anyone the message quotes, forwards or
// mentions. The bot never uses them, and SECURITY.md promises they are
// never stored, not even sealed.
var identityFields = map[string]bool{
	"first_name":          true,
	"last_name":           true,
	"username":            true,
	"usernames":           true,
	"active_usernames":    true,
	"phone_number":        true,
	"vcard":               true,
	"contact":             true,
	"bio":                 true,
	"sender_user_name":    true,
	"forward_sender_name": true,
	"author_signature":    true,
}

// stripIdentity returns the update raw without identityFields, at any
// depth; every other field is kept as it came (numbers digit for digit,
// keys in their order, a key given twice given twice), so processing reads
// the update as intake read it. It is the one place an update loses them:
// intake strips each update before the inbox seals it, so neither the
// inbox nor the dead letters (a copy of an inbox row) ever hold them.
//
// It copies the bytes once, leaving out each identity field with its
// value, rather than decoding the update into maps and encoding it again:
// intake does this for every update.
func stripIdentity(raw []byte) ([]byte, error) {
	if !json.Valid(raw) {
		return nil, errors.New("strip update: not JSON")
	}
	return stripValid(raw), nil
}

// stripValid is stripIdentity of bytes known to be JSON.
func stripValid(raw []byte) []byte {
	s := stripper{in: raw, out: make([]byte, 0, len(raw))}
	s.value()
	return s.out
}

// stripper copies valid JSON from in to out, compact, without
// identityFields.
type stripper struct {
	in, out []byte
	i       int
}

func (s *stripper) space() {
	for s.i < len(s.in) {
		switch s.in[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *stripper) value() {
	s.space()
	switch s.in[s.i] {
	case '{':
		s.object()
	case '[':
		s.i++
		s.out = append(s.out, '[')
		for n := 0; ; n++ {
			s.space()
			if s.in[s.i] == ']' {
				s.i++
				break
			}
			if n > 0 {
				s.i++ // ','
				s.out = append(s.out, ',')
			}
			s.value()
		}
		s.out = append(s.out, ']')
	case '"':
		s.out = appendJSONString(s.out, s.str())
	default: // a number, true, false or null
		start := s.i
		for s.i < len(s.in) && !strings.ContainsRune(",]} \t\n\r", rune(s.in[s.i])) {
			s.i++
		}
		s.out = append(s.out, s.in[start:s.i]...)
	}
}

func (s *stripper) object() {
	s.i++
	s.out = append(s.out, '{')
	kept := 0
	for n := 0; ; n++ {
		s.space()
		if s.in[s.i] == '}' {
			s.i++
			break
		}
		if n > 0 {
			s.i++ // ','
			s.space()
		}
		key := s.str()
		s.space()
		s.i++ // ':'
		mark := len(s.out)
		if kept > 0 {
			s.out = append(s.out, ',')
		}
		s.out = appendJSONString(s.out, key)
		s.out = append(s.out, ':')
		s.value()
		if identityKey(key) {
			s.out = s.out[:mark] // left out, with its value
			continue
		}
		kept++
	}
	s.out = append(s.out, '}')
}

// str returns the string at the cursor, quotes and escapes as they came.
func (s *stripper) str() []byte {
	start := s.i
	s.i++
	for s.in[s.i] != '"' {
		if s.in[s.i] == '\\' {
			s.i++
		}
		s.i++
	}
	s.i++
	return s.in[start:s.i]
}

// appendJSONString appends a string token as it came, unless it holds
// bytes that are not UTF-8: those are written as the decoder reads them
// (U+FFFD), as the map round trip did before.
func appendJSONString(out, tok []byte) []byte {
	if utf8.Valid(tok) {
		return append(out, tok...)
	}
	var v string
	_ = json.Unmarshal(tok, &v) // valid JSON: cannot fail
	b, _ := json.Marshal(v)
	return append(out, b...)
}

// identityKey tells whether a key token names an identity field. The
// decoder matches names regardless of case (and of Unicode's simple case
// folding), so any spelling it would read as one is left out too.
func identityKey(tok []byte) bool {
	inner := tok[1 : len(tok)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		if identityFields[string(inner)] { // no copy made
			return true
		}
		if !bytes.ContainsFunc(inner, func(r rune) bool { return (r < 'a' || r > 'z') && r != '_' && (r < '0' || r > '9') }) {
			return false // already as written in identityFields, and not one
		}
	}
	var name string
	if json.Unmarshal(tok, &name) != nil {
		return false
	}
	for f := range identityFields {
		if strings.EqualFold(f, name) {
			return true
		}
	}
	return false
}

// intaken keeps the updates intake claimed for this process as it stored
// them (InboxAddClaim), until a worker takes them instead of claiming.
type intaken struct {
	mu      sync.Mutex
	items   claimloop.Held[storage.InboxItem]
	storing int        // stores under way that may claim
	closed  bool       // the workers stopped: intake claims no more
	stored  *sync.Cond // a store under way ended (on mu)
}

// intakeDepth is how many updates per worker intake may claim and keep
// waiting for the workers. A poll in a surge brings a batch of new chats
// at once: what intake leaves unclaimed costs a claim of its own (a
// transaction) and a wait for it; 27% of the updates did in
// BenchmarkThroughput when intake claimed one per worker. One that waits
// too long (the workers stood still) is given back (takeIntaken), and
// those of a process that dies are freed as its other claims are.
const intakeDepth = 4

// beginIntake is said before a store: it returns how many updates the
// store may claim for the workers (intakeDepth for each worker, less
// those still waiting for one; none once the workers stopped), and end,
// to be called after the store with what it claimed (nothing when it
// failed), which gives those to the workers.
func (b *Bot) beginIntake() (room int, end func([]storage.InboxItem)) {
	b.intaken.mu.Lock()
	defer b.intaken.mu.Unlock()
	if b.intaken.closed {
		return 0, func([]storage.InboxItem) {}
	}
	b.intaken.storing++
	return max(0, intakeDepth*b.cfg.Workers-b.intaken.items.Len()), b.endIntake
}

// endIntake ends a store begun with beginIntake.
func (b *Bot) endIntake(items []storage.InboxItem) {
	now := time.Now()
	b.intaken.mu.Lock()
	defer b.intaken.mu.Unlock()
	b.intaken.items.Add(now, items...)
	b.intaken.storing--
	if b.intaken.stored != nil {
		b.intaken.stored.Broadcast()
	}
}

// closeIntake says the workers stopped: it waits for the stores under way
// (a few seconds at most: a webhook's store may hang on a database that
// is down; what it claims is then freed when the process leaves) and
// returns every update claimed for the workers, to be finished as the
// updates in hand are. Intake claims nothing after it.
func (b *Bot) closeIntake() []storage.InboxItem {
	b.intaken.mu.Lock()
	defer b.intaken.mu.Unlock()
	b.intaken.closed = true
	if b.intaken.stored == nil {
		b.intaken.stored = sync.NewCond(&b.intaken.mu)
	}
	waited := false
	t := time.AfterFunc(closeIntakeWait, func() {
		b.intaken.mu.Lock()
		defer b.intaken.mu.Unlock()
		waited = true
		b.intaken.stored.Broadcast()
	})
	defer t.Stop()
	for b.intaken.storing > 0 && !waited {
		b.intaken.stored.Wait()
	}
	return b.intaken.items.All()
}

// takeIntaken takes up to n updates claimed at intake, oldest first. One
// that waited more than half a lease (the workers stood still) is given
// back, not processed: its claim may have lapsed, and another process
// may process it.
func (b *Bot) takeIntaken(ctx context.Context, n int) []storage.InboxItem {
	b.intaken.mu.Lock()
	out, stale := b.intaken.items.Take(n, b.cfg.Lease/2, time.Now())
	b.intaken.mu.Unlock()
	for _, it := range stale {
		if it.Fresh {
			b.commits.leave(it.UpdateID)
			b.freshly.resolve(it.UpdateID, errNotTaken) // intake stores it
			continue
		}
		err := b.store.InboxRelease(ctx, it.UpdateID, b.owner, 0)
		if err != nil && !errors.Is(err, storage.ErrNotHolder) {
			// Its claim lapses by itself when the lease ends.
			b.log.Warn("could not give back an update held too long; it is processed when its claim ends", "update_id", it.UpdateID, "err", err)
		}
	}
	if len(stale) > 0 {
		b.mayClaim()
	}
	return out
}

// closeIntakeWait bounds how long a stopping process waits for the stores
// under way before it finishes what intake claimed.
const closeIntakeWait = 5 * time.Second

// freshWait is how long an update intake hands to the workers before it
// is stored (takeUpdates) may wait for one to take it: then it is stored
// as any other, so a batch is not held back by busy workers.
const freshWait = 2 * time.Second

// errNotTaken is the outcome of a fresh update no worker took in time.
var errNotTaken = errors.New("bot: no worker took the update in time")

// freshly keeps, by update id, where the outcome of each fresh update
// (processed before it is stored, takeUpdates) goes: nil once its
// completion committed it, else why it was not processed.
type freshly struct {
	mu       sync.Mutex
	outcomes map[int64]chan error
}

// expect registers the fresh ones among items, before any worker can
// take them; the outcome of items[i] comes on the i-th channel (nil for
// one not fresh).
func (f *freshly) expect(items []storage.InboxItem) []chan error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.outcomes == nil {
		f.outcomes = map[int64]chan error{}
	}
	out := make([]chan error, len(items))
	for i, it := range items {
		if it.Fresh {
			out[i] = make(chan error, 1)
			f.outcomes[it.UpdateID] = out[i]
		}
	}
	return out
}

// resolve gives a fresh update's outcome, once.
func (f *freshly) resolve(updateID int64, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if ch, ok := f.outcomes[updateID]; ok {
		delete(f.outcomes, updateID)
		ch <- err
	}
}

// withdrawFresh takes back from the workers' queue the fresh updates of
// ids that no worker took yet: intake stores them.
func (b *Bot) withdrawFresh(ids map[int64]*storage.OutboxEntry) {
	b.intaken.mu.Lock()
	back := b.intaken.items.Remove(func(it storage.InboxItem) bool {
		_, ok := ids[it.UpdateID]
		return ok && it.Fresh
	})
	b.intaken.mu.Unlock()
	for _, it := range back {
		b.commits.leave(it.UpdateID) // its unit goes on without it
		b.freshly.resolve(it.UpdateID, errNotTaken)
	}
}
