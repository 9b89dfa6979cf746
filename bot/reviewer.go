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

	"github.com/go-telegram/bot/models"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/flows"
	"github.com/tipline/tipline/keys"
	"github.com/tipline/tipline/reply"
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

// reviewerState is a reviewer's conversation: what their next text is
// for, the last update applied, and that update's outbox entries, kept in
// case the process stopped before they were queued (as chatState).
type reviewerState struct {
	Mode string            `json:"mode,omitempty"` // "", "reply", "note"
	Case tipline.Reference `json:"case,omitempty"`
	// Version is the case's version when the reviewer pressed: if the case
	// changes hands before they have typed, what they type is not used.
	Version      string                `json:"version,omitempty"`
	LastUpdateID int64                 `json:"last_update_id,omitempty"`
	Pending      []storage.OutboxEntry `json:"pending,omitempty"`
}

func reviewerSessionKey(chatKey string) string { return "rv:" + chatKey }

// signReviewer signs a reviewer action for one reviewer's Telegram id, for
// any version of the case: such a button only shows the case
// (review.AnyVersion). Buttons that act carry the version (signCase).
func (b *Bot) signReviewer(userID int64, action string) string {
	return b.signCase(userID, action, review.AnyVersion)
}

func (b *Bot) verifyReviewer(userID int64, data string) (string, bool) {
	p, err := verifyReviewerButton(b.ring, userID, data, b.cfg.Now())
	return p.Action, err == nil
}

// signCase signs a reviewer action on a case in the version it has now.
func (b *Bot) signCase(userID int64, action, version string) string {
	return signReviewerButton(b.ring, userID, action, version, b.cfg.Now().Add(reviewerButtonTTL))
}

// reviewerUpdate handles an update from a reviewer, or an invite code,
// queueing what to say in out. handled=false hands the update to the
// reporter's flow.
func (b *Bot) reviewerUpdate(ctx context.Context, item storage.InboxItem, u *models.Update, in incoming, out *batch) (bool, error) {
	if code, ok := inviteCode(in.input); ok {
		rv, err := b.store.RedeemInvite(ctx, InviteHash(code), in.userID, langOf(in.input.LanguageCode), b.cfg.Now())
		switch {
		case err == nil:
			b.log.Info("a reviewer registered", "reviewer", rv.ID)
			b.toReviewer(out, rv, storage.LaneReply, b.rtext(rv, "rv_welcome", map[string]any{"Name": rv.Name}), nil)
			return true, nil
		case errors.Is(err, tipline.ErrNotFound) || errors.Is(err, storage.ErrInvalid):
			// Not a valid invite: the reporter's flow answers as to anyone,
			// unless this is a reviewer (the invite redeemed before a crash).
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
			b.log.Warn("a disabled reviewer pressed a button", "reviewer", rv.ID)
			b.toReviewer(out, rv, storage.LaneReply, b.rtext(rv, "error_button_not_yours", nil), nil)
			return true, nil
		}
		return false, nil
	}
	st, err := b.loadReviewerState(ctx, item.ChatKey)
	if err != nil {
		return false, fmt.Errorf("load reviewer state: %w", err)
	}
	if st.LastUpdateID >= item.UpdateID {
		// Applied already; the process stopped before queueing its messages.
		if st.LastUpdateID == item.UpdateID {
			out.entries = st.Pending
		}
		return true, nil
	}
	next := st
	if err := b.reviewerAct(ctx, item, u, in, rv, &next, out); err != nil {
		return false, err
	}
	next.LastUpdateID = item.UpdateID
	next.Pending = out.entries
	if err := b.saveReviewerState(ctx, item.ChatKey, next); err != nil {
		return false, fmt.Errorf("save reviewer state: %w", err)
	}
	return true, nil
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

// langOf is our language for a Telegram language_code, English when it is
// none of ours.
func langOf(code string) string {
	if l := tipline.MatchLanguage(code); l != "" {
		return l
	}
	return tipline.LangEnglish
}

// reviewerAct carries out what an active reviewer did; st is their state,
// changed in place. Every write is keyed by the update, so doing it again
// after a crash changes nothing.
func (b *Bot) reviewerAct(ctx context.Context, item storage.InboxItem, u *models.Update, in incoming, rv tipline.Reviewer, st *reviewerState, out *batch) error {
	if q := u.CallbackQuery; q != nil {
		press, err := verifyReviewerButton(b.ring, in.userID, q.Data, b.cfg.Now())
		if errors.Is(err, errExpiredButton) {
			b.toReviewer(out, rv, storage.LaneReply, b.rtext(rv, "rv_button_expired", nil), nil)
			return nil
		}
		if err != nil {
			b.log.Warn("a reviewer button did not verify", "reviewer", rv.ID)
			b.toReviewer(out, rv, storage.LaneReply, b.rtext(rv, "error_button_not_yours", nil), nil)
			return nil
		}
		return b.reviewerButton(ctx, item, rv, press, st, out)
	}
	say := func(id string, data map[string]any, rows [][]models.InlineKeyboardButton) {
		b.toReviewer(out, rv, storage.LaneReply, b.rtext(rv, id, data), rows)
	}
	switch in.input.Kind {
	case flows.InputCommand:
		switch in.input.Text {
		case "queue":
			return b.showQueue(ctx, rv, out)
		case "oncall":
			return b.showOncall(ctx, rv, out)
		case "cancel":
			st.Mode, st.Case = "", ""
			say("rv_cancelled", nil, nil)
		default:
			say("rv_help", nil, nil)
		}
		return nil
	case flows.InputText:
		key := "note:" + updateBatchPrefix(item.UpdateID)
		switch st.Mode {
		case "reply":
			typed := *st
			st.Mode, st.Case, st.Version = "", "", ""
			if _, ok, err := b.authorizeTyped(ctx, rv, typed, review.Reply, out); !ok {
				return err
			}
			return b.replyToReporter(ctx, rv, typed.Case, in.input.Text, key, out)
		case "note":
			typed := *st
			ref := st.Case
			st.Mode, st.Case, st.Version = "", "", ""
			c, ok, err := b.authorizeTyped(ctx, rv, typed, review.Note, out)
			if !ok {
				return err
			}
			if err := b.store.AddNote(ctx, ref, tipline.Note{Author: reviewerActor(rv), Kind: "note", Text: in.input.Text, At: b.cfg.Now(), Key: key}); err != nil {
				return fmt.Errorf("add note: %w", err)
			}
			say("rv_note_saved", map[string]any{"Reference": string(ref)}, b.caseButtons(rv, c))
			return nil
		}
	}
	say("rv_help", nil, nil)
	return nil
}

func reviewerActor(rv tipline.Reviewer) string { return "reviewer:" + strconv.FormatInt(rv.ID, 10) }

// reviewerButton runs a verified reviewer action: "ack:REF", "det:REF",
// "esc:REF", "rep:REF", "note:REF", "close:REF", "out:REF:OUTCOME",
// "blk:REF", "reopen:REF", "tko:REF"; only when the reviewer may act on the
// case now (review.Authorize).
func (b *Bot) reviewerButton(ctx context.Context, item storage.InboxItem, rv tipline.Reviewer, press reviewerPress, st *reviewerState, out *batch) error {
	action := press.Action
	say := func(id string, data map[string]any, rows [][]models.InlineKeyboardButton) error {
		b.toReviewer(out, rv, storage.LaneReply, b.rtext(rv, id, data), rows)
		return nil
	}
	verb, rest, _ := strings.Cut(action, ":")
	refStr, arg, _ := strings.Cut(rest, ":")
	ref, err := tipline.ParseReference(refStr)
	if err != nil {
		return say("error_button_not_yours", nil, nil)
	}
	c, err := b.store.Case(ctx, ref)
	if errors.Is(err, tipline.ErrNotFound) {
		return say("rv_case_gone", nil, nil)
	}
	if err != nil {
		return fmt.Errorf("load case: %w", err)
	}
	if d := review.Authorize(actorOf(rv), review.CaseOf(c), review.Action(verb), press.Version); d != review.Allow {
		b.log.Info("a reviewer action on a case was not carried out", "case", ref, "reviewer", rv.ID, "action", verb, "decision", string(d))
		return b.answerDecision(ctx, rv, c, d, out)
	}
	refData := map[string]any{"Reference": string(ref)}
	now := b.cfg.Now()
	switch verb {
	case string(review.TakeOver):
		return b.takeOver(ctx, rv, c, out)
	case "ack":
		first, by, err := b.store.Acknowledge(ctx, ref, rv.ID, now)
		if err != nil {
			return fmt.Errorf("acknowledge: %w", err)
		}
		if !first && by != rv.ID {
			name := b.reviewerName(ctx, by)
			return say("rv_already_taken", map[string]any{"Reference": string(ref), "Name": name}, nil)
		}
		b.log.Info("case acknowledged", "case", ref, "reviewer", rv.ID)
		return b.markTaken(ctx, ref, rv, out)
	case "det":
		return b.sendDetails(ctx, rv, c, out)
	case "esc":
		if err := b.store.Escalate(ctx, ref, rv.ID, 2, now); err != nil {
			return fmt.Errorf("escalate: %w", err)
		}
		b.log.Info("case escalated by a reviewer", "case", ref, "reviewer", rv.ID)
		b.routeSoon()
		return say("rv_escalated", refData, nil)
	case "rep":
		if !c.ContactAllowed || c.ReporterChatID == 0 {
			return say("rv_no_contact", refData, nil)
		}
		st.Mode, st.Case, st.Version = "reply", ref, press.Version
		return say("rv_type_reply", refData, nil)
	case "note":
		st.Mode, st.Case, st.Version = "note", ref, press.Version
		return say("rv_type_note", refData, nil)
	case "close":
		var rows [][]models.InlineKeyboardButton
		for _, o := range tipline.Outcomes {
			rows = append(rows, []models.InlineKeyboardButton{{Text: b.rtext(rv, "outcome_"+string(o), nil), CallbackData: b.signCase(rv.TelegramID, "out:"+string(ref)+":"+string(o), press.Version)}})
		}
		return say("rv_close_how", refData, rows)
	case "out":
		if err := b.store.CloseCase(ctx, ref, rv.ID, tipline.Outcome(arg), now); err != nil {
			return fmt.Errorf("close case: %w", err)
		}
		b.log.Info("case closed", "case", ref, "reviewer", rv.ID, "outcome", arg)
		if c, err = b.store.Case(ctx, ref); err != nil {
			return fmt.Errorf("load case: %w", err)
		}
		return say("rv_closed", map[string]any{"Reference": string(ref), "Outcome": b.rtext(rv, "outcome_"+arg, nil)},
			[][]models.InlineKeyboardButton{{{Text: b.rtext(rv, "rv_button_reopen", nil), CallbackData: b.signCase(rv.TelegramID, "reopen:"+string(ref), review.Version(c))}}})
	case "blk":
		if err := b.store.BlockReporter(ctx, ref, rv.ID, now); err != nil {
			return fmt.Errorf("block reporter: %w", err)
		}
		b.log.Warn("a reporter was blocked by a reviewer", "case", ref, "reviewer", rv.ID)
		return say("rv_blocked", refData, nil)
	case "reopen":
		if err := b.store.ReopenCase(ctx, ref, rv.ID, now); err != nil {
			return fmt.Errorf("reopen case: %w", err)
		}
		b.log.Info("case reopened", "case", ref, "reviewer", rv.ID)
		if c, err = b.store.Case(ctx, ref); err != nil {
			return fmt.Errorf("load case: %w", err)
		}
		return say("rv_reopened", refData, b.caseButtons(rv, c))
	}
	return say("error_button_not_yours", nil, nil)
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

// toReviewer queues a message to a reviewer, protected from forwarding.
func (b *Bot) toReviewer(out *batch, rv tipline.Reviewer, lane storage.Lane, text string, rows [][]models.InlineKeyboardButton) string {
	return out.text(rv.TelegramID, lane, text, rows, true)
}

// loadReviewerState reads a reviewer's state; none is an empty state.
func (b *Bot) loadReviewerState(ctx context.Context, chatKey string) (reviewerState, error) {
	var st reviewerState
	data, err := b.sessions.Load(ctx, reviewerSessionKey(chatKey))
	if errors.Is(err, tipline.ErrNotFound) || errors.Is(err, keys.ErrUndecryptable) {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(data, &st); err != nil {
		b.log.Warn("unreadable reviewer state dropped")
		return reviewerState{}, nil
	}
	return st, nil
}

// dropReviewerPending forgets the messages a reviewer's last update
// queued, once they are in the outbox: they name the chats they go to.
func (b *Bot) dropReviewerPending(ctx context.Context, chatKey string) {
	st, err := b.loadReviewerState(ctx, chatKey)
	if err != nil || st.Pending == nil {
		return
	}
	st.Pending = nil
	if err := b.saveReviewerState(ctx, chatKey, st); err != nil {
		b.log.Warn("could not drop a reviewer's queued messages; the next update does", "err", err)
	}
}

func (b *Bot) saveReviewerState(ctx context.Context, chatKey string, st reviewerState) error {
	data, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return b.sessions.Save(ctx, reviewerSessionKey(chatKey), data)
}

// showQueue lists open cases: unacknowledged first, urgent first, then mine.
func (b *Bot) showQueue(ctx context.Context, rv tipline.Reviewer, out *batch) error {
	list, err := b.store.Queue(ctx, rv.ID)
	if err != nil {
		return fmt.Errorf("queue: %w", err)
	}
	if len(list) == 0 {
		b.toReviewer(out, rv, storage.LaneReply, b.rtext(rv, "rv_queue_empty", nil), nil)
		return nil
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
			"Age":       reply.Elapsed(now.Sub(c.CreatedAt)),
		}))
		rows = append(rows, []models.InlineKeyboardButton{{Text: string(c.Reference), CallbackData: b.signReviewer(rv.TelegramID, "det:"+string(c.Reference))}})
	}
	b.toReviewer(out, rv, storage.LaneReply, b.rtext(rv, "rv_queue_title", nil)+"\n"+strings.Join(lines, "\n"), rows)
	return nil
}

// showOncall says who is on call now.
func (b *Bot) showOncall(ctx context.Context, rv tipline.Reviewer, out *batch) error {
	text, err := b.oncallText(ctx)
	if err != nil {
		return err
	}
	b.toReviewer(out, rv, storage.LaneReply, text, nil)
	return nil
}

// replyToReporter sends a reviewer's words to the reporter, signed only
// "the Tipline team", with a button to answer. The words are saved as a
// note (keyed by the update) in the same step that queues them, so a
// failure to send loses nothing: the outbox keeps trying.
func (b *Bot) replyToReporter(ctx context.Context, rv tipline.Reviewer, ref tipline.Reference, text, key string, out *batch) error {
	c, err := b.store.Case(ctx, ref)
	if err != nil {
		return fmt.Errorf("load case: %w", err)
	}
	refData := map[string]any{"Reference": string(ref)}
	if !c.ContactAllowed || c.ReporterChatID == 0 {
		b.toReviewer(out, rv, storage.LaneReply, b.rtext(rv, "rv_no_contact", refData), nil)
		return nil
	}
	if err := b.store.AddNote(ctx, ref, tipline.Note{Author: reviewerActor(rv), Kind: "to_reporter", Text: text, At: b.cfg.Now(), Key: key}); err != nil {
		return fmt.Errorf("save reply: %w", err)
	}
	lang := c.Lang
	body := b.render.cat.Text(lang, "team_message", map[string]any{"Reference": string(ref), "Text": flows.Quote(text, 3500)})
	rows := [][]models.InlineKeyboardButton{{{
		Text:         b.render.cat.Text(lang, "button_answer_team", nil),
		CallbackData: signButton(b.ring, c.ReporterChatID, "ans:"+string(ref)),
	}}}
	out.text(c.ReporterChatID, storage.LaneReply, body, rows, false)
	b.log.Info("a reviewer wrote to a reporter", "case", ref, "reviewer", rv.ID)
	b.toReviewer(out, rv, storage.LaneReply, b.rtext(rv, "rv_reply_sent", refData), b.caseButtons(rv, c))
	return nil
}
