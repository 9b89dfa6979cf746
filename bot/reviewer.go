package bot

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/flows"
	"github.com/tipline/tipline/review"
	"github.com/tipline/tipline/storage"
)

// The reviewer's side: registration by invite, notifications, and the
// buttons and commands that work a case. Every reviewer button is signed
// for the reviewer it was sent to, and every use checks, again, that the
// person is an active reviewer (G9).

// inviteRE is what an invite code looks like; typed alone it registers too.
var inviteRE = regexp.MustCompile(`^TLR-[A-Z2-7]{16}$`)

// InviteHash is how an invite code is stored.
func InviteHash(code string) []byte {
	h := sha256.Sum256([]byte(strings.ToUpper(strings.TrimSpace(code))))
	return h[:]
}

// reviewerState is a reviewer's conversation: what their next text is for.
type reviewerState struct {
	Mode string            `json:"mode,omitempty"` // "", "reply", "note"
	Case tipline.Reference `json:"case,omitempty"`
	// Version is the case's version when the reviewer pressed: if the case
	// changes hands before they have typed, what they type is not used.
	Version string `json:"version,omitempty"`
}

func reviewerSessionKey(chatKey string) string { return "rv:" + chatKey }

// signReviewer signs a reviewer action for one reviewer's Telegram id, for
// any version of the case: such a button only shows the case
// (review.AnyVersion). Buttons that act carry the version (signCase).
func (b *Bot) signReviewer(userID int64, action string) string {
	return b.signCase(userID, action, review.AnyVersion)
}

// signCase signs a reviewer action on a case in the version it has now.
func (b *Bot) signCase(userID int64, action, version string) string {
	return signReviewerButton(b.ring, userID, action, version, b.cfg.Now().Add(reviewerButtonTTL))
}

func (b *Bot) verifyReviewer(userID int64, data string) (string, bool) {
	p, err := verifyReviewerButton(b.ring, userID, data, b.cfg.Now())
	return p.Action, err == nil
}

// reviewerUpdate handles an update from a reviewer, or an invite code.
// handled=false hands the update to the reporter's flow.
func (b *Bot) reviewerUpdate(ctx context.Context, item storage.InboxItem, u *models.Update, in incoming) (bool, error) {
	if code, ok := inviteCode(in.input); ok {
		rv, err := b.store.RedeemInvite(ctx, InviteHash(code), in.userID, langOf(in.input.LanguageCode), b.cfg.Now())
		switch {
		case err == nil:
			b.log.Info("a reviewer registered", "reviewer", rv.ID)
			return true, b.sendReviewer(ctx, rv, b.rtext(rv, "rv_welcome", map[string]any{"Name": rv.Name}), nil)
		case errors.Is(err, tipline.ErrNotFound) || errors.Is(err, storage.ErrInvalid):
			// Not a valid invite: the reporter's flow answers as to anyone.
			return false, nil
		default:
			return false, fmt.Errorf("redeem invite: %w", err)
		}
	}
	rv, err := b.store.ReviewerByTelegram(ctx, in.userID)
	if errors.Is(err, tipline.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("find reviewer: %w", err)
	}
	if !rv.Active {
		if in.callbackID != "" {
			// A disabled reviewer's buttons stop working at once.
			b.answerCallback(ctx, in.callbackID)
			b.log.Warn("a disabled reviewer pressed a button", "reviewer", rv.ID)
			return true, b.sendReviewer(ctx, rv, b.rtext(rv, "error_button_not_yours", nil), nil)
		}
		return false, nil
	}
	return true, b.reviewerAct(ctx, item, u, in, rv)
}

func inviteCode(in flows.Input) (string, bool) {
	switch {
	case in.Kind == flows.InputCommand && in.Text == "start" && inviteRE.MatchString(strings.ToUpper(in.Arg)):
		return strings.ToUpper(in.Arg), true
	case in.Kind == flows.InputText && inviteRE.MatchString(strings.ToUpper(strings.TrimSpace(in.Text))):
		return strings.ToUpper(strings.TrimSpace(in.Text)), true
	}
	return "", false
}

func langOf(code string) string {
	for _, l := range flows.Languages {
		if strings.HasPrefix(strings.ToLower(code), l) {
			return l
		}
	}
	return flows.LangEnglish
}

// reviewerAct carries out what an active reviewer did.
func (b *Bot) reviewerAct(ctx context.Context, item storage.InboxItem, u *models.Update, in incoming, rv tipline.Reviewer) error {
	st := b.loadReviewerState(ctx, item.ChatKey)
	if q := u.CallbackQuery; q != nil {
		b.answerCallback(ctx, q.ID)
		press, err := verifyReviewerButton(b.ring, in.userID, q.Data, b.cfg.Now())
		if errors.Is(err, errExpiredButton) {
			return b.sendReviewer(ctx, rv, b.rtext(rv, "rv_button_expired", nil), nil)
		}
		if err != nil {
			b.log.Warn("a reviewer button did not verify", "reviewer", rv.ID)
			return b.sendReviewer(ctx, rv, b.rtext(rv, "error_button_not_yours", nil), nil)
		}
		return b.reviewerButton(ctx, item, rv, press, st)
	}
	switch in.input.Kind {
	case flows.InputCommand:
		switch in.input.Text {
		case "queue":
			return b.showQueue(ctx, rv)
		case "oncall":
			return b.showOncall(ctx, rv)
		case "cancel":
			b.saveReviewerState(ctx, item.ChatKey, reviewerState{})
			return b.sendReviewer(ctx, rv, b.rtext(rv, "rv_cancelled", nil), nil)
		default:
			return b.sendReviewer(ctx, rv, b.rtext(rv, "rv_help", nil), nil)
		}
	case flows.InputText:
		switch st.Mode {
		case "reply":
			b.saveReviewerState(ctx, item.ChatKey, reviewerState{})
			if _, ok, err := b.authorizeTyped(ctx, rv, st, review.Reply); !ok {
				return err
			}
			return b.replyToReporter(ctx, rv, st.Case, in.input.Text)
		case "note":
			b.saveReviewerState(ctx, item.ChatKey, reviewerState{})
			c, ok, err := b.authorizeTyped(ctx, rv, st, review.Note)
			if !ok {
				return err
			}
			if err := b.store.AddNote(ctx, st.Case, tipline.Note{Author: reviewerActor(rv), Kind: "note", Text: in.input.Text, At: b.cfg.Now()}); err != nil {
				return fmt.Errorf("add note: %w", err)
			}
			return b.sendReviewer(ctx, rv, b.rtext(rv, "rv_note_saved", map[string]any{"Reference": string(st.Case)}), b.caseButtons(rv, c))
		}
	}
	return b.sendReviewer(ctx, rv, b.rtext(rv, "rv_help", nil), nil)
}

func reviewerActor(rv tipline.Reviewer) string { return "reviewer:" + strconv.FormatInt(rv.ID, 10) }

// reviewerButton runs a verified reviewer action: "ack:REF", "det:REF",
// "esc:REF", "rep:REF", "note:REF", "close:REF", "out:REF:OUTCOME",
// "blk:REF", "reopen:REF", "tko:REF"; only when the reviewer may act on the
// case now (review.Authorize).
func (b *Bot) reviewerButton(ctx context.Context, item storage.InboxItem, rv tipline.Reviewer, press reviewerPress, st reviewerState) error {
	verb, rest, _ := strings.Cut(press.Action, ":")
	refStr, arg, _ := strings.Cut(rest, ":")
	ref, err := tipline.ParseReference(refStr)
	if err != nil {
		return b.sendReviewer(ctx, rv, b.rtext(rv, "error_button_not_yours", nil), nil)
	}
	c, err := b.store.Case(ctx, ref)
	if errors.Is(err, tipline.ErrNotFound) {
		return b.sendReviewer(ctx, rv, b.rtext(rv, "rv_case_gone", nil), nil)
	}
	if err != nil {
		return fmt.Errorf("load case: %w", err)
	}
	if d := review.Authorize(actorOf(rv), review.CaseOf(c), review.Action(verb), press.Version); d != review.Allow {
		b.log.Info("a reviewer action on a case was not carried out", "case", ref, "reviewer", rv.ID, "action", verb, "decision", string(d))
		return b.answerDecision(ctx, rv, c, d)
	}
	now := b.cfg.Now()
	switch verb {
	case string(review.TakeOver):
		return b.takeOver(ctx, rv, c)
	case "ack":
		first, by, err := b.store.Acknowledge(ctx, ref, rv.ID, now)
		if err != nil {
			return fmt.Errorf("acknowledge: %w", err)
		}
		if !first {
			name := b.reviewerName(ctx, by)
			return b.sendReviewer(ctx, rv, b.rtext(rv, "rv_already_taken", map[string]any{"Reference": string(ref), "Name": name}), nil)
		}
		b.log.Info("case acknowledged", "case", ref, "reviewer", rv.ID)
		b.markTaken(ctx, ref, rv)
		return b.notifyReporterStatus(ctx, c, tipline.StatusAcknowledged)
	case "det":
		return b.sendDetails(ctx, rv, c)
	case "esc":
		if err := b.store.Escalate(ctx, ref, rv.ID, 2, now); err != nil {
			return fmt.Errorf("escalate: %w", err)
		}
		b.log.Info("case escalated by a reviewer", "case", ref, "reviewer", rv.ID)
		b.routeSoon()
		return b.sendReviewer(ctx, rv, b.rtext(rv, "rv_escalated", map[string]any{"Reference": string(ref)}), nil)
	case "rep":
		if !c.ContactAllowed || c.ReporterChatID == 0 {
			return b.sendReviewer(ctx, rv, b.rtext(rv, "rv_no_contact", map[string]any{"Reference": string(ref)}), nil)
		}
		b.saveReviewerState(ctx, item.ChatKey, reviewerState{Mode: "reply", Case: ref, Version: press.Version})
		return b.sendReviewer(ctx, rv, b.rtext(rv, "rv_type_reply", map[string]any{"Reference": string(ref)}), nil)
	case "note":
		b.saveReviewerState(ctx, item.ChatKey, reviewerState{Mode: "note", Case: ref, Version: press.Version})
		return b.sendReviewer(ctx, rv, b.rtext(rv, "rv_type_note", map[string]any{"Reference": string(ref)}), nil)
	case "close":
		var rows [][]models.InlineKeyboardButton
		for _, o := range tipline.Outcomes {
			rows = append(rows, []models.InlineKeyboardButton{{Text: b.rtext(rv, "outcome_"+string(o), nil), CallbackData: b.signCase(rv.TelegramID, "out:"+string(ref)+":"+string(o), press.Version)}})
		}
		return b.sendReviewer(ctx, rv, b.rtext(rv, "rv_close_how", map[string]any{"Reference": string(ref)}), rows)
	case "out":
		if err := b.store.CloseCase(ctx, ref, rv.ID, tipline.Outcome(arg), now); err != nil {
			return fmt.Errorf("close case: %w", err)
		}
		b.log.Info("case closed", "case", ref, "reviewer", rv.ID, "outcome", arg)
		_ = b.notifyReporterStatus(ctx, c, tipline.StatusClosed)
		if c, err = b.store.Case(ctx, ref); err != nil {
			return fmt.Errorf("load case: %w", err)
		}
		return b.sendReviewer(ctx, rv, b.rtext(rv, "rv_closed", map[string]any{"Reference": string(ref), "Outcome": b.rtext(rv, "outcome_"+arg, nil)}),
			[][]models.InlineKeyboardButton{{{Text: b.rtext(rv, "rv_button_reopen", nil), CallbackData: b.signCase(rv.TelegramID, "reopen:"+string(ref), review.Version(c))}}})
	case "blk":
		if err := b.store.BlockReporter(ctx, ref, rv.ID, now); err != nil {
			return fmt.Errorf("block reporter: %w", err)
		}
		b.log.Warn("a reporter was blocked by a reviewer", "case", ref, "reviewer", rv.ID)
		return b.sendReviewer(ctx, rv, b.rtext(rv, "rv_blocked", map[string]any{"Reference": string(ref)}), nil)
	case "reopen":
		if err := b.store.ReopenCase(ctx, ref, rv.ID, now); err != nil {
			return fmt.Errorf("reopen case: %w", err)
		}
		b.log.Info("case reopened", "case", ref, "reviewer", rv.ID)
		if c, err = b.store.Case(ctx, ref); err != nil {
			return fmt.Errorf("load case: %w", err)
		}
		return b.sendReviewer(ctx, rv, b.rtext(rv, "rv_reopened", map[string]any{"Reference": string(ref)}), b.caseButtons(rv, c))
	}
	return b.sendReviewer(ctx, rv, b.rtext(rv, "error_button_not_yours", nil), nil)
}

func (b *Bot) reviewerName(ctx context.Context, id int64) string {
	r, err := b.store.Reviewer(ctx, id)
	if err != nil {
		return "?"
	}
	return r.Name
}

// caseButtons are the buttons to work a case, for the reviewer who has it,
// signed for the case's version now.
func (b *Bot) caseButtons(rv tipline.Reviewer, c tipline.Case) [][]models.InlineKeyboardButton {
	version := review.Version(c)
	btn := func(id, action string) models.InlineKeyboardButton {
		return models.InlineKeyboardButton{Text: b.rtext(rv, id, nil), CallbackData: b.signCase(rv.TelegramID, action+":"+string(c.Reference), version)}
	}
	if c.Status == tipline.StatusReceived {
		return [][]models.InlineKeyboardButton{
			{btn("rv_button_ack", "ack")},
			{btn("rv_button_details", "det"), btn("rv_button_escalate", "esc")},
		}
	}
	return [][]models.InlineKeyboardButton{
		{btn("rv_button_details", "det"), btn("rv_button_reply", "rep")},
		{btn("rv_button_note", "note"), btn("rv_button_close", "close")},
		{btn("rv_button_block", "blk")},
	}
}

func (b *Bot) rtext(rv tipline.Reviewer, id string, data map[string]any) string {
	return b.render.cat.Text(rv.Lang, id, data)
}

// sendReviewer sends a reviewer a message, protected from forwarding.
func (b *Bot) sendReviewer(ctx context.Context, rv tipline.Reviewer, text string, rows [][]models.InlineKeyboardButton) error {
	_, err := b.sendProtected(ctx, rv.TelegramID, text, rows)
	return err
}

func (b *Bot) sendProtected(ctx context.Context, chatID int64, text string, rows [][]models.InlineKeyboardButton) (int, error) {
	return b.sendText(ctx, chatID, text, rows, true)
}

// sendText sends one message with optional buttons; protect stops it from
// being forwarded or saved.
func (b *Bot) sendText(ctx context.Context, chatID int64, text string, rows [][]models.InlineKeyboardButton, protect bool) (int, error) {
	params := &tgbot.SendMessageParams{ChatID: chatID, Text: text, ProtectContent: protect}
	if len(rows) > 0 {
		params.ReplyMarkup = &models.InlineKeyboardMarkup{InlineKeyboard: rows}
	}
	var sent *models.Message
	err := b.send.call(ctx, "sendMessage", chatID, func(ctx context.Context) error {
		var err error
		sent, err = b.api.SendMessage(ctx, params)
		return err
	})
	if err != nil {
		return 0, err
	}
	return sent.ID, nil
}

func (b *Bot) loadReviewerState(ctx context.Context, chatKey string) reviewerState {
	var st reviewerState
	data, err := b.sessions.Load(ctx, reviewerSessionKey(chatKey))
	if err != nil {
		return st
	}
	if err := json.Unmarshal(data, &st); err != nil {
		return reviewerState{}
	}
	return st
}

func (b *Bot) saveReviewerState(ctx context.Context, chatKey string, st reviewerState) {
	data, err := json.Marshal(st)
	if err == nil {
		err = b.sessions.Save(ctx, reviewerSessionKey(chatKey), data)
	}
	if err != nil {
		b.log.Warn("save reviewer state", "err", err)
	}
}

// showQueue lists open cases: unacknowledged first, urgent first, then mine.
func (b *Bot) showQueue(ctx context.Context, rv tipline.Reviewer) error {
	list, err := b.store.Queue(ctx, rv.ID)
	if err != nil {
		return fmt.Errorf("queue: %w", err)
	}
	if len(list) == 0 {
		return b.sendReviewer(ctx, rv, b.rtext(rv, "rv_queue_empty", nil), nil)
	}
	var lines []string
	var rows [][]models.InlineKeyboardButton
	now := b.cfg.Now()
	for _, c := range list {
		lines = append(lines, b.rtext(rv, "rv_queue_line", map[string]any{
			"Reference": string(c.Reference),
			"Kind":      b.rtext(rv, "kind_"+string(c.Kind), nil),
			"Urgency":   b.rtext(rv, "rv_urgency_"+string(c.Urgency), nil),
			"Status":    b.rtext(rv, "status_"+string(c.Status), nil),
			"Age":       age(now.Sub(c.CreatedAt)),
		}))
		rows = append(rows, []models.InlineKeyboardButton{{Text: string(c.Reference), CallbackData: b.signReviewer(rv.TelegramID, "det:"+string(c.Reference))}})
	}
	return b.sendReviewer(ctx, rv, b.rtext(rv, "rv_queue_title", nil)+"\n"+strings.Join(lines, "\n"), rows)
}

// showOncall says who is on call now.
func (b *Bot) showOncall(ctx context.Context, rv tipline.Reviewer) error {
	text, err := b.oncallText(ctx)
	if err != nil {
		return err
	}
	return b.sendReviewer(ctx, rv, text, nil)
}

// replyToReporter sends a reviewer's words to the reporter, signed only
// "the Tipline team", with a button to answer.
func (b *Bot) replyToReporter(ctx context.Context, rv tipline.Reviewer, ref tipline.Reference, text string) error {
	c, err := b.store.Case(ctx, ref)
	if err != nil {
		return fmt.Errorf("load case: %w", err)
	}
	if !c.ContactAllowed || c.ReporterChatID == 0 {
		return b.sendReviewer(ctx, rv, b.rtext(rv, "rv_no_contact", map[string]any{"Reference": string(ref)}), nil)
	}
	if err := b.store.AddNote(ctx, ref, tipline.Note{Author: reviewerActor(rv), Kind: "to_reporter", Text: text, At: b.cfg.Now()}); err != nil {
		return fmt.Errorf("save reply: %w", err)
	}
	lang := c.Lang
	body := b.render.cat.Text(lang, "team_message", map[string]any{"Reference": string(ref), "Text": flows.Quote(text, 3500)})
	rows := [][]models.InlineKeyboardButton{{{
		Text:         b.render.cat.Text(lang, "button_answer_team", nil),
		CallbackData: signButton(b.ring, c.ReporterChatID, "ans:"+string(ref)),
	}}}
	if _, err := b.sendText(ctx, c.ReporterChatID, body, rows, false); err != nil {
		return fmt.Errorf("send to reporter: %w", err)
	}
	b.log.Info("a reviewer wrote to a reporter", "case", ref, "reviewer", rv.ID)
	return b.sendReviewer(ctx, rv, b.rtext(rv, "rv_reply_sent", map[string]any{"Reference": string(ref)}), b.caseButtons(rv, c))
}

// notifyReporterStatus is a no-op: a message can put a reporter at risk,
// so status changes are only shown under My reports, when they ask.
func (b *Bot) notifyReporterStatus(context.Context, tipline.Case, tipline.Status) error { return nil }

// age writes how old a case is, short.
func age(d interface{ Minutes() float64 }) string {
	m := int(d.Minutes())
	switch {
	case m < 60:
		return strconv.Itoa(m) + " min"
	case m < 48*60:
		return strconv.Itoa(m/60) + " h"
	default:
		return strconv.Itoa(m/(60*24)) + " d"
	}
}
