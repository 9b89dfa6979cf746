package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/flows"
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

	sess, err := b.loadSession(ctx, item.ChatKey)
	if err != nil {
		b.tellProblemOnce(ctx, item.UpdateID, in)
		return fmt.Errorf("load session: %w", err)
	}
	if sess.LastUpdateID >= item.UpdateID {
		// Applied already; the process stopped before marking it done.
		return b.done(ctx, item.UpdateID)
	}

	res := b.engine.Step(sess, in.input)
	if err := b.runEffects(ctx, &sess, &res, in); err != nil {
		if errors.Is(err, errNotSaved) {
			// The reporter was told and keeps the draft; the update is done.
			return b.done(ctx, item.UpdateID)
		}
		return err
	}

	if in.callbackID != "" {
		b.answerCallback(ctx, in.callbackID)
		if in.input.Kind == flows.InputButton && in.pressedMessageID != 0 {
			b.clearButtons(ctx, in.chatID, in.pressedMessageID)
		}
	}
	if err := b.reply(ctx, in.chatID, in.userID, res.Session.Lang, res.Replies); err != nil {
		return err
	}
	res.Session.LastUpdateID = item.UpdateID
	if err := b.saveSession(ctx, item.ChatKey, res.Session); err != nil {
		return fmt.Errorf("save session: %w", err)
	}
	return b.done(ctx, item.UpdateID)
}

// errNotSaved means an effect failed, the reporter was told, and the
// session stays as it was.
var errNotSaved = errors.New("bot: effect not saved")

// runEffects carries out a step's effects before anyone hears of them (G1).
func (b *Bot) runEffects(ctx context.Context, sess *flows.Session, res *flows.Result, in incoming) error {
	for attempt := 0; ; attempt++ {
		err := b.applyEffects(ctx, res.Effects)
		if err == nil {
			return nil
		}
		if errors.Is(err, storage.ErrReferenceTaken) && attempt < 3 && sess.Draft != nil {
			// A new reference for this draft, and the same step again.
			d := *sess.Draft
			d.Reference = tipline.NewReference()
			sess.Draft = &d
			*res = b.engine.Step(*sess, in.input)
			continue
		}
		b.log.Error("could not store a report; the reporter was asked to try again", "err", err)
		lang := sess.Lang
		if lang == "" {
			lang = flows.LangEnglish
		}
		msgs := []flows.Reply{{Lines: []flows.Text{{ID: "error_save_failed"}}}, b.engine.Prompt(*sess)}
		if in.callbackID != "" {
			b.answerCallback(ctx, in.callbackID)
		}
		if rerr := b.reply(ctx, in.chatID, in.userID, lang, msgs); rerr != nil {
			return fmt.Errorf("tell save failure: %w", rerr)
		}
		return errNotSaved
	}
}

func (b *Bot) applyEffects(ctx context.Context, effects []flows.Effect) error {
	for _, eff := range effects {
		switch e := eff.(type) {
		case flows.SubmitCase:
			ref, created, err := b.store.SubmitCase(ctx, e.Case)
			if err != nil {
				return fmt.Errorf("submit case: %w", err)
			}
			if created {
				b.log.Info("case received", "case", ref, "kind", e.Case.Kind, "urgency", e.Case.Urgency,
					"attachments", len(e.Case.Attachments))
				b.fetchSoon()
			}
		default:
			return fmt.Errorf("unknown effect %T", eff)
		}
	}
	return nil
}

func (b *Bot) loadSession(ctx context.Context, chatKey string) (flows.Session, error) {
	var s flows.Session
	data, err := b.sessions.Load(ctx, chatKey)
	if errors.Is(err, tipline.ErrNotFound) {
		return s, nil
	}
	if err != nil {
		return s, err
	}
	if err := json.Unmarshal(data, &s); err != nil {
		// A session we cannot read is a lost session, not a crash.
		b.log.Error("unreadable session dropped", "chat", chatKey)
		return flows.Session{}, nil
	}
	return s, nil
}

func (b *Bot) saveSession(ctx context.Context, chatKey string, s flows.Session) error {
	data, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return b.sessions.Save(ctx, chatKey, data)
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
	_ = b.reply(ctx, in.chatID, in.userID, lang, []flows.Reply{{Lines: []flows.Text{{ID: "error_internal"}}}})
}

// reply sends a step's messages in order.
func (b *Bot) reply(ctx context.Context, chatID, userID int64, lang string, replies []flows.Reply) error {
	if lang == "" {
		lang = flows.LangEnglish
	}
	for _, rep := range replies {
		for _, m := range b.render.render(lang, userID, rep) {
			params := &tgbot.SendMessageParams{ChatID: chatID, Text: m.text}
			if m.markup != nil {
				params.ReplyMarkup = m.markup
			}
			err := b.send.call(ctx, "sendMessage", chatID, func(ctx context.Context) error {
				_, err := b.api.SendMessage(ctx, params)
				return err
			})
			if errors.Is(err, tgbot.ErrorForbidden) {
				// The reporter blocked the bot: nothing more can reach them.
				b.log.Warn("reporter's chat closed to the bot", "chat", b.ring.ChatKey(chatID))
				return nil
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
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
