package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/flows"
	"github.com/tipline/tipline/keys"
	"github.com/tipline/tipline/storage"
)

// process handles one update from the inbox. It returns an error only when
// the update should be tried again later; anything the reporter did wrong
// is answered and the update is done.
func (b *Bot) process(ctx context.Context, item storage.InboxItem) error {
	var u models.Update
	if err := json.Unmarshal(item.Payload, &u); err != nil {
		b.log.Error("undecodable update dropped", "update_id", item.UpdateID)
		return b.done(ctx, item.UpdateID)
	}
	in, ok := decode(&u, b.ring, b.cfg.Now())
	if !ok || !in.private {
		// Not something we serve (a group, a channel); never answer there.
		if in.callbackID != "" {
			b.answerCallback(ctx, in.callbackID)
		}
		return b.done(ctx, item.UpdateID)
	}
	in.input.Reporter = b.ring.Pseudonym(in.userID)

	if handled, err := b.reviewerUpdate(ctx, item, &u, in); err != nil {
		return err
	} else if handled {
		return b.done(ctx, item.UpdateID)
	}
	if stop, err := b.guard(ctx, in); err != nil {
		b.tellProblemOnce(ctx, item.UpdateID, in)
		return err
	} else if stop {
		return b.done(ctx, item.UpdateID)
	}

	sess, expired, err := b.loadSession(ctx, item.ChatKey)
	if err != nil {
		b.tellProblemOnce(ctx, item.UpdateID, in)
		return fmt.Errorf("load session: %w", err)
	}
	if sess.LastUpdateID >= item.UpdateID {
		// Applied already; the process stopped before marking it done.
		return b.done(ctx, item.UpdateID)
	}
	in.input.DraftExpired = expired
	if !expired && sess.State == flows.StateNew {
		// No session: a new chat, or one whose conversation was lost (G5).
		seen, err := b.store.InboxChatSeen(ctx, item.ChatKey, item.UpdateID)
		if err != nil {
			return fmt.Errorf("load session: %w", err)
		}
		in.input.SessionLost = seen
	}
	if m := u.Message; m != nil {
		sess.Messages = append(sess.Messages, flows.MessageRef{ID: m.ID, At: time.Unix(int64(m.Date), 0)})
	}

	res := stepResult{Result: b.engine.Step(sess, in.input)}
	if err := b.runEffects(ctx, item, &sess, &res, in); err != nil {
		if errors.Is(err, errNotSaved) {
			// The reporter was told and keeps the draft; the update is done.
			return b.done(ctx, item.UpdateID)
		}
		return err
	}

	if in.callbackID != "" {
		b.answerCallback(ctx, in.callbackID)
		if in.input.Kind == flows.InputButton && in.pressedMessageID != 0 && !res.Cleared {
			b.clearButtons(ctx, in.chatID, in.pressedMessageID)
		}
	}
	sent, err := b.reply(ctx, in.chatID, in.userID, res.Session.Lang, res.Replies)
	if err != nil {
		return err
	}
	now := b.cfg.Now()
	for _, id := range sent {
		res.Session.Messages = append(res.Session.Messages, flows.MessageRef{ID: id, At: now})
	}
	res.Session.Messages = recentMessages(res.Session.Messages, now)
	res.Session.LastUpdateID = item.UpdateID
	if err := b.saveSession(ctx, item.ChatKey, res.Session); err != nil {
		return fmt.Errorf("save session: %w", err)
	}
	return b.done(ctx, item.UpdateID)
}

// deleteWindow is how long bots may delete messages in private chats.
const deleteWindow = 48 * time.Hour

// recentMessages keeps the messages that can still be deleted, at most 1000.
func recentMessages(ms []flows.MessageRef, now time.Time) []flows.MessageRef {
	out := ms[:0]
	for _, m := range ms {
		if now.Sub(m.At) < deleteWindow {
			out = append(out, m)
		}
	}
	if len(out) > 1000 {
		out = out[len(out)-1000:]
	}
	return out
}

// errLimited means a reporter sent more reports than the limits allow.
var errLimited = errors.New("bot: over the report limit")

// reportAllowed counts a report against the reporter's hourly and daily
// limits, shared by every bot process.
func (b *Bot) reportAllowed(ctx context.Context, reporter string) (bool, error) {
	ok, err := b.limiter.Allow(ctx, "reports-hour:"+reporter, b.cfg.ReportsPerHour, time.Hour)
	if err != nil || !ok {
		return ok, err
	}
	return b.limiter.Allow(ctx, "reports-day:"+reporter, b.cfg.ReportsPerDay, 24*time.Hour)
}

// guard stops a blocked reporter, who gets a neutral answer and learns
// nothing, and a flood of messages, answered kindly at most once a minute.
// stop=true means the update is answered and done.
func (b *Bot) guard(ctx context.Context, in incoming) (bool, error) {
	who := in.input.Reporter
	// Every pseudonym of the key ring: a block made before a key rotation
	// holds until "tipline rekey" has moved it.
	blocked, err := b.store.IsBlocked(ctx, b.ring.Pseudonyms(in.userID)...)
	if err != nil {
		return false, fmt.Errorf("check block: %w", err)
	}
	lang := langOf(in.input.LanguageCode)
	if blocked {
		if in.callbackID != "" {
			b.answerCallback(ctx, in.callbackID)
		}
		b.log.Info("a message from a blocked reporter was dropped", "reporter", who)
		_, err := b.reply(ctx, in.chatID, in.userID, lang, []flows.Reply{{Lines: []flows.Text{{ID: "blocked_neutral"}}}})
		return true, err
	}
	ok, err := b.limiter.Allow(ctx, "messages:"+who, b.cfg.MessagesPerMinute, time.Minute)
	if err != nil {
		return false, fmt.Errorf("rate limit: %w", err)
	}
	if ok {
		return false, nil
	}
	if in.callbackID != "" {
		b.answerCallback(ctx, in.callbackID)
	}
	b.log.Warn("a reporter is over the message limit", "reporter", who)
	if tell, err := b.limiter.Allow(ctx, "messages-told:"+who, 1, time.Minute); err == nil && tell {
		_, err := b.reply(ctx, in.chatID, in.userID, lang, []flows.Reply{{Lines: []flows.Text{{ID: "error_slow_down"}}}})
		return true, err
	}
	return true, nil
}

// errNotSaved means an effect failed, the reporter was told, and the
// session stays as it was.
var errNotSaved = errors.New("bot: effect not saved")

// stepResult is a flow step's result and what the bot did with it.
type stepResult struct {
	flows.Result
	// Cleared says the chat's messages were deleted.
	Cleared bool
}

// runEffects carries out a step's effects before anyone hears of them (G1).
// Effects that look something up answer with a new input, which is
// stepped in turn.
func (b *Bot) runEffects(ctx context.Context, item storage.InboxItem, sess *flows.Session, res *stepResult, in incoming) error {
	for attempt := 0; ; attempt++ {
		feedback, err := b.applyEffects(ctx, item, res, in)
		if err == nil {
			if feedback == nil || attempt > 3 {
				return nil
			}
			next := b.engine.Step(res.Session, *feedback)
			res.Replies = append(res.Replies, next.Replies...)
			res.Session, res.Effects = next.Session, next.Effects
			continue
		}
		if errors.Is(err, storage.ErrReferenceTaken) && attempt < 3 && sess.Draft != nil {
			// A new reference for this draft, and the same step again.
			d := *sess.Draft
			d.Reference = tipline.NewReference()
			sess.Draft = &d
			res.Result = b.engine.Step(*sess, in.input)
			continue
		}
		why := "error_save_failed"
		if errors.Is(err, errLimited) {
			why = "error_report_limit"
			b.log.Warn("a reporter is over the report limit; the draft is kept", "reporter", in.input.Reporter)
		} else if errors.Is(err, storage.ErrAdditionLimit) {
			why = "error_add_limit" // nothing stored, and the reporter is told
			b.log.Warn("a case is over the day's limit of additions", "err", err)
		} else {
			b.log.Error("could not store a step; the reporter was asked to try again", "err", err)
		}
		lang := sess.Lang
		if lang == "" {
			lang = flows.LangEnglish
		}
		msgs := []flows.Reply{{Lines: []flows.Text{{ID: why}}}, b.engine.Prompt(*sess)}
		if in.callbackID != "" {
			b.answerCallback(ctx, in.callbackID)
		}
		if _, rerr := b.reply(ctx, in.chatID, in.userID, lang, msgs); rerr != nil {
			return fmt.Errorf("tell save failure: %w", rerr)
		}
		return errNotSaved
	}
}

// applyEffects runs the effects of one step, in order. It returns the input
// that answers a look-up, if any.
func (b *Bot) applyEffects(ctx context.Context, item storage.InboxItem, res *stepResult, in incoming) (*flows.Input, error) {
	var feedback *flows.Input
	effects := res.Effects
	res.Effects = nil
	for _, eff := range effects {
		switch e := eff.(type) {
		case flows.SubmitCase:
			c := e.Case
			if ok, err := b.reportAllowed(ctx, c.Reporter); err != nil {
				return nil, err
			} else if !ok {
				return nil, errLimited
			}
			c.FollowUpHash = b.ring.FollowUpHash(e.FollowUpCode)
			ref, created, err := b.store.SubmitCase(ctx, c)
			if err != nil {
				return nil, fmt.Errorf("submit case: %w", err)
			}
			if created {
				b.log.Info("case received", "case", ref, "kind", c.Kind, "urgency", c.Urgency,
					"attachments", len(c.Attachments))
				b.fetchSoon()
				b.routeSoon()
			}
		case flows.AddToCase:
			if err := b.store.AddToCaseOnce(ctx, e.Reference, "update:"+strconv.FormatInt(item.UpdateID, 10), e.Addition); err != nil {
				return nil, fmt.Errorf("add to case: %w", err)
			}
			b.log.Info("information added to a case", "case", e.Reference, "attachments", len(e.Addition.Attachments))
			b.fetchSoon()
			b.notifyAssigned(ctx, e.Reference, e.Addition)
		case flows.LoadMyCases:
			list, err := b.store.CasesByReporter(ctx, b.ring.Pseudonyms(in.userID)...)
			if err != nil {
				return nil, fmt.Errorf("list cases: %w", err)
			}
			feedback = &flows.Input{Kind: flows.InputCases, Cases: list, Reporter: e.Reporter, Now: in.input.Now, ChatID: in.chatID}
		case flows.OpenByCode:
			fb, err := b.openByCode(ctx, e, in)
			if err != nil {
				return nil, err
			}
			feedback = fb
		case flows.Forget:
			n, err := b.store.Forget(ctx, b.ring.Pseudonyms(in.userID)...)
			if err != nil {
				return nil, fmt.Errorf("forget reporter: %w", err)
			}
			if err := b.sessions.Unmark(ctx, draftMarker(item.ChatKey)); err != nil {
				return nil, fmt.Errorf("forget reporter: %w", err)
			}
			b.log.Info("a reporter was forgotten", "cases_unlinked", n)
		case flows.WithdrawContact:
			err := b.store.WithdrawContact(ctx, e.Reference, b.ring.Pseudonyms(in.userID)...)
			if err != nil && !errors.Is(err, tipline.ErrNotFound) {
				return nil, fmt.Errorf("withdraw contact: %w", err)
			}
			b.log.Info("a reporter withdrew contact", "case", e.Reference)
		case flows.ClearChat:
			b.clearChat(ctx, in.chatID, res.Session.Messages, in.pressedMessageID)
			res.Session.Messages = nil
			res.Cleared = true
		default:
			return nil, fmt.Errorf("unknown effect %T", eff)
		}
	}
	return feedback, nil
}

// openByCode looks a follow-up code up, within the limit of tries.
func (b *Bot) openByCode(ctx context.Context, e flows.OpenByCode, in incoming) (*flows.Input, error) {
	fb := &flows.Input{Kind: flows.InputCodeResult, Reporter: e.Reporter, Now: in.input.Now, ChatID: in.chatID}
	ok, err := b.limiter.Allow(ctx, "code:"+e.Reporter, b.cfg.CodeTries, time.Hour)
	if err != nil {
		return nil, fmt.Errorf("limit code tries: %w", err)
	}
	if !ok {
		b.log.Warn("follow-up code tries over the limit", "reporter", e.Reporter)
		fb.CodeResult = flows.CodeLimited
		return fb, nil
	}
	for _, h := range b.ring.FollowUpHashes(e.Code) {
		ref, err := b.store.CaseByFollowUp(ctx, h)
		if errors.Is(err, tipline.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("open by code: %w", err)
		}
		c, err := b.store.Case(ctx, ref)
		if err != nil {
			return nil, fmt.Errorf("open by code: %w", err)
		}
		// No pseudonym beside the reference: the line would link the
		// reporter to the case, and outlive /forget and the case.
		b.log.Info("a case was opened with its follow-up code", "case", ref)
		fb.CodeResult = flows.CodeOpened
		fb.Cases = []tipline.CaseSummary{{Reference: c.Reference, Kind: c.Kind, Urgency: c.Urgency, Status: c.Status, CreatedAt: c.CreatedAt}}
		return fb, nil
	}
	b.log.Info("a wrong follow-up code was tried", "reporter", e.Reporter)
	fb.CodeResult = flows.CodeWrong
	return fb, nil
}

// clearChat deletes the chat's messages that can still be deleted, both
// sides, in batches of 100 (deleteMessages' limit).
func (b *Bot) clearChat(ctx context.Context, chatID int64, ms []flows.MessageRef, pressed int) {
	now := b.cfg.Now()
	seen := map[int]bool{}
	var ids []int
	for _, m := range ms {
		if now.Sub(m.At) < deleteWindow && !seen[m.ID] {
			seen[m.ID] = true
			ids = append(ids, m.ID)
		}
	}
	if pressed != 0 && !seen[pressed] {
		ids = append(ids, pressed)
	}
	for len(ids) > 0 {
		batch := ids[:min(100, len(ids))]
		ids = ids[len(batch):]
		err := b.send.call(ctx, "deleteMessages", chatID, func(ctx context.Context) error {
			_, err := b.api.DeleteMessages(ctx, &tgbot.DeleteMessagesParams{ChatID: chatID, MessageIDs: batch})
			return err
		})
		if err != nil {
			b.log.Warn("clear chat: some messages could not be deleted", "err", err)
		}
	}
}

// draftMarker names the marker that says a chat has an unfinished report.
func draftMarker(chatKey string) string { return "draft:" + chatKey }

// loadSession returns the chat's session, and whether an unfinished report
// of this chat expired (the session is gone but its marker is not).
func (b *Bot) loadSession(ctx context.Context, chatKey string) (flows.Session, bool, error) {
	var s flows.Session
	data, err := b.sessions.Load(ctx, chatKey)
	if errors.Is(err, tipline.ErrNotFound) {
		expired, err := b.sessions.Marked(ctx, draftMarker(chatKey))
		if err != nil {
			return s, false, err
		}
		if expired {
			if err := b.sessions.Unmark(ctx, draftMarker(chatKey)); err != nil {
				return s, false, err
			}
		}
		return s, expired, nil
	}
	if errors.Is(err, keys.ErrUndecryptable) {
		// Sealed under a key we no longer have: a lost session (G5).
		b.log.Error("undecryptable session dropped", "chat", chatKey)
		return s, false, nil
	}
	if err != nil {
		return s, false, err
	}
	if err := json.Unmarshal(data, &s); err != nil {
		// A session we cannot read is a lost session, not a crash.
		b.log.Error("unreadable session dropped", "chat", chatKey)
		return flows.Session{}, false, nil
	}
	return s, false, nil
}

// saveSession stores the session, and the marker that lets an expired
// unfinished report be explained (a month longer than the session).
func (b *Bot) saveSession(ctx context.Context, chatKey string, s flows.Session) error {
	data, err := json.Marshal(s)
	if err != nil {
		return err
	}
	if err := b.sessions.Save(ctx, chatKey, data); err != nil {
		return err
	}
	if s.Draft != nil {
		return b.sessions.Mark(ctx, draftMarker(chatKey), b.cfg.SessionTTL+30*24*time.Hour)
	}
	return b.sessions.Unmark(ctx, draftMarker(chatKey))
}

func (b *Bot) done(ctx context.Context, updateID int64) error {
	if err := b.store.InboxDone(ctx, updateID); err != nil {
		return fmt.Errorf("mark update done: %w", err)
	}
	b.mu.Lock()
	delete(b.told, updateID)
	b.mu.Unlock()
	return nil
}

// tellProblemOnce tells a reporter, once per update, that we have a problem
// on our side and will answer; the update stays in the inbox.
func (b *Bot) tellProblemOnce(ctx context.Context, updateID int64, in incoming) {
	b.mu.Lock()
	told := b.told[updateID]
	b.told[updateID] = true
	b.mu.Unlock()
	if told {
		return
	}
	lang := flows.LangEnglish
	for _, l := range flows.Languages {
		if in.input.LanguageCode == l {
			lang = l
		}
	}
	if in.callbackID != "" {
		b.answerCallback(ctx, in.callbackID)
	}
	if _, err := b.reply(ctx, in.chatID, in.userID, lang, []flows.Reply{{Lines: []flows.Text{{ID: "error_internal"}}}}); err != nil {
		b.log.Warn("could not tell the reporter of a problem", "err", err)
	}
}

// reply sends a step's messages in order and returns their ids.
func (b *Bot) reply(ctx context.Context, chatID, userID int64, lang string, replies []flows.Reply) ([]int, error) {
	if lang == "" {
		lang = flows.LangEnglish
	}
	var ids []int
	for _, rep := range replies {
		for _, m := range b.render.render(lang, userID, rep) {
			var rows [][]models.InlineKeyboardButton
			if m.markup != nil {
				rows = m.markup.InlineKeyboard
			}
			id, err := b.sendText(ctx, chatID, m.text, rows, false)
			if errors.Is(err, tgbot.ErrorForbidden) {
				// The reporter blocked the bot: nothing more can reach them.
				b.log.Warn("reporter's chat closed to the bot", "chat", b.ring.ChatKey(chatID))
				return ids, nil
			}
			if err != nil {
				return ids, err
			}
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// answerCallback stops the button's spinner, once. A failure is only
// logged: the query may be too old, and the reply still goes out.
func (b *Bot) answerCallback(ctx context.Context, id string) {
	b.mu.Lock()
	if _, done := b.answered[id]; done {
		b.mu.Unlock()
		return
	}
	if len(b.answered) > 10000 {
		clear(b.answered) // ids are only repeated within moments of each other
	}
	b.answered[id] = struct{}{}
	b.mu.Unlock()
	err := b.send.call(ctx, "answerCallbackQuery", 0, func(ctx context.Context) error {
		_, err := b.api.AnswerCallbackQuery(ctx, &tgbot.AnswerCallbackQueryParams{CallbackQueryID: id})
		return err
	})
	if err != nil {
		b.log.Warn("answer callback", "err", err)
	}
}

// clearButtons removes the keyboard from a message once one of its buttons
// was used, so old questions cannot be answered twice by mistake.
func (b *Bot) clearButtons(ctx context.Context, chatID int64, messageID int) {
	err := b.send.call(ctx, "editMessageReplyMarkup", chatID, func(ctx context.Context) error {
		_, err := b.api.EditMessageReplyMarkup(ctx, &tgbot.EditMessageReplyMarkupParams{ChatID: chatID, MessageID: messageID})
		return err
	})
	if err != nil && !notModified(err) {
		b.log.Warn("clear buttons", "err", err)
	}
}
