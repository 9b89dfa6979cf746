package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/go-telegram/bot/models"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/flows"
	"github.com/tipline/tipline/keys"
	"github.com/tipline/tipline/locales/script"
	"github.com/tipline/tipline/outbox"
	"github.com/tipline/tipline/reply"
	"github.com/tipline/tipline/review"
	"github.com/tipline/tipline/storage"
)

// The reviewer's side: registration by invite, notifications, and the
// buttons and commands that work a case. Every reviewer button is signed
// for the reviewer it was sent to, and every use checks, again, that the
// person is an active reviewer (G9).

// reviewerState is a reviewer's conversation: what their next text is
// for (review.State) and the prompt an admin is recording. It is saved
// only when an update changes it.
type reviewerState struct {
	review.State
	// Recording is the prompt an admin is recording (record.go).
	Recording *recording `json:"recording,omitempty"`
}

// reviewerPending is what a reviewer's update did, kept from before its
// commit until just after: the update, its outbox entries and the state it
// left. Tried again (its commit failed, or the process stopped), the
// update queues the same entries instead of acting twice. It is deleted
// once committed, in one step: the entries name the chats they go to.
type reviewerPending struct {
	UpdateID int64                 `json:"update_id"`
	Entries  []storage.OutboxEntry `json:"entries,omitempty"`
	State    reviewerState         `json:"state"`
}

func reviewerSessionKey(chatKey string) string { return "rv:" + chatKey }
func reviewerPendingKey(chatKey string) string { return "rvq:" + chatKey }

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
func (b *Bot) reviewerUpdate(ctx context.Context, item storage.InboxItem, u *models.Update, in incoming, out *outbox.Batch) (bool, error) {
	if code, ok := inviteCode(in); ok {
		rv, err := b.store.RedeemInvite(ctx, tipline.InviteHash(code), in.userID, langOf(in.input.LanguageCode), b.cfg.Now())
		switch {
		case err == nil:
			// The reviewer chooses the language they read, as a reporter
			// does: a Khmer reviewer's Telegram is in English. The welcome
			// follows the choice.
			b.log.Info("a reviewer registered", "reviewer", rv.ID)
			b.queueOuts(out, []review.Out{review.Tell(rv, reviewerLanguagePicker())})
			return true, nil
		case errors.Is(err, tipline.ErrNotFound) || errors.Is(err, tipline.ErrInvalid):
			// Not a valid invite: the reporter's flow answers as to anyone,
			// unless this is a reviewer (the invite redeemed before a crash).
		default:
			return false, fmt.Errorf("redeem invite: %w", err)
		}
	}
	if in.screened != nil && !in.screened.Reviewer {
		return false, nil // screened with its batch: not a reviewer
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
			b.queueOuts(out, []review.Out{review.Tell(rv, review.Say("error_button_not_yours", nil))})
			return true, nil
		}
		return false, nil
	}
	if !rv.Reachable() {
		// They wrote: Telegram reaches them again (G17).
		if err := b.reviewerBack(ctx, rv, out); err != nil {
			return false, err
		}
	}
	st, pend, err := b.loadReviewer(ctx, item.ChatKey)
	if err != nil {
		return false, fmt.Errorf("load reviewer state: %w", err)
	}
	saved, err := json.Marshal(st) // as Redis holds it
	if err != nil {
		return false, fmt.Errorf("load reviewer state: %w", err)
	}
	if pend != nil {
		if pend.UpdateID >= item.UpdateID {
			// Applied already; the commit failed or the process stopped
			// before it.
			if pend.UpdateID == item.UpdateID {
				out.Entries = pend.Entries
				if err := b.saveReviewerState(ctx, item.ChatKey, saved, pend.State); err != nil {
					return false, fmt.Errorf("save reviewer state: %w", err)
				}
			}
			return true, nil
		}
		// An earlier update's, committed but not forgotten: it holds the
		// state that update left.
		st = pend.State
	}
	next := st
	b.commits.leave(item.UpdateID) // a reviewer's action may take its time: the batch goes on
	if err := b.reviewerAct(ctx, item, u, in, rv, &next, out); err != nil {
		return false, err
	}
	// The pending first: should the state's save fail, the update tried
	// again finds it and saves the state then.
	if err := b.saveReviewerPending(ctx, item.ChatKey, reviewerPending{UpdateID: item.UpdateID, Entries: out.Entries, State: next}); err != nil {
		return false, fmt.Errorf("save reviewer state: %w", err)
	}
	if err := b.saveReviewerState(ctx, item.ChatKey, saved, next); err != nil {
		return false, fmt.Errorf("save reviewer state: %w", err)
	}
	return true, nil
}

// inviteCode is the invite code a message carries, if any: "/start CODE"
// or the code typed. A button press never carries one.
func inviteCode(in incoming) (string, bool) {
	switch {
	case in.callbackID != "":
		return "", false
	case in.input.Kind == flows.InputCommand && in.input.Text == "start":
		return tipline.ParseInviteCode(in.input.Arg)
	case in.input.Kind == flows.InputText:
		return tipline.ParseInviteCode(in.input.Text)
	}
	return "", false
}

// mayRedeemInvite tells, from the little intake reads of an update,
// whether inviteCode might find an invite in it: a message whose text
// holds "TLR-", in any case, as it came or cleaned. It may say yes where
// inviteCode finds none, never no where it finds one.
func (u rawUpdate) mayRedeemInvite() bool {
	if u.Message == nil || u.Message.Text == "" {
		return false
	}
	const mark = "TLR-" // tipline.ParseInviteCode's codes begin so
	t := u.Message.Text
	return strings.Contains(strings.ToUpper(t), mark) || strings.Contains(strings.ToUpper(script.Clean(t)), mark)
}

// langOf is our language for a Telegram language_code, English when it is
// none of ours.
func langOf(code string) string {
	if l := tipline.MatchLanguage(code); l != "" {
		return l
	}
	return tipline.LangEnglish
}

// reviewerAct carries out what an active reviewer did, through the review
// desk; st is their state, changed in place. Every write is keyed by the
// update, so doing it again after a crash changes nothing.
func (b *Bot) reviewerAct(ctx context.Context, item storage.InboxItem, u *models.Update, in incoming, rv tipline.Reviewer, st *reviewerState, out *outbox.Batch) error {
	var outs []review.Out
	if in.callbackID != "" {
		// The press is verified once, here, for every reviewer button.
		press, err := verifyReviewerButton(b.ring, in.userID, in.pressData, b.cfg.Now())
		if err == nil && strings.HasPrefix(press.Action, actRecord) {
			return b.recordDo(ctx, press.Action, nil, rv, st, out)
		}
		// Another button (a case's Note, say): a recording is left, and
		// the words that follow are for that.
		st.Recording = nil
		if outs, err = b.pressOuts(ctx, rv, press, err, &st.State); err != nil {
			return err
		}
	} else {
		if handled, err := b.recordMessage(ctx, u, in, rv, st, out); handled || err != nil {
			return err
		}
		var err error
		if outs, err = b.messageOuts(ctx, item, in, rv, &st.State); err != nil {
			return err
		}
	}
	for _, o := range outs {
		if !o.To.Reporter() {
			continue
		}
		if ref, ok := teamMessageCase(o.Message); ok {
			// In a private chat the chat is the user.
			if err := b.awaitAnswer(ctx, o.To.ChatID, ref); err != nil {
				b.log.Warn("could not keep that a case awaits the reporter's answer", "case", ref, "err", err)
			}
		}
	}
	b.queueOuts(out, outs)
	return nil
}

// pressOuts carries out a reviewer's button press, verified (or not: err)
// by the caller, through the desk.
func (b *Bot) pressOuts(ctx context.Context, rv tipline.Reviewer, press reviewerPress, err error, st *review.State) ([]review.Out, error) {
	if errors.Is(err, errExpiredButton) {
		return []review.Out{review.Tell(rv, review.Say("rv_button_expired", nil))}, nil
	}
	if lang, ok := strings.CutPrefix(press.Action, actReviewerLang); ok && err == nil {
		return b.setReviewerLanguage(ctx, rv, lang)
	}
	var p review.Press
	if err == nil {
		p, err = review.ParseAction(press.Action)
	}
	if err != nil {
		b.log.Warn("a reviewer button did not verify", "reviewer", rv.ID)
		return []review.Out{review.Tell(rv, review.Say("error_button_not_yours", nil))}, nil
	}
	return b.desk.Press(ctx, rv, p, press.Version, st)
}

// messageOuts carries out a reviewer's command, text or location through
// the desk.
func (b *Bot) messageOuts(ctx context.Context, item storage.InboxItem, in incoming, rv tipline.Reviewer, st *review.State) ([]review.Out, error) {
	switch in.input.Kind {
	case flows.InputCommand:
		switch review.Command(in.input.Text) {
		case review.CmdFind:
			return b.desk.Find(ctx, rv, in.input.Arg)
		case review.CmdQueue:
			return b.desk.Queue(ctx, rv, in.input.Arg)
		}
		return b.desk.Command(ctx, rv, review.Command(in.input.Text), st)
	case flows.InputLocation:
		if in.input.Location != nil {
			return b.desk.FindNear(ctx, rv, *in.input.Location)
		}
	case flows.InputText:
		return b.desk.Text(ctx, rv, in.input.Text, "note:"+updateBatchPrefix(item.UpdateID), st)
	}
	return b.desk.Command(ctx, rv, review.CmdHelp, st)
}

// actReviewerLang starts the action of a reviewer's language button.
const actReviewerLang = "rvlang:"

// reviewerLanguagePicker asks a new reviewer, in each language, which one
// they read.
func reviewerLanguagePicker() reply.Message {
	var row []reply.Button
	for _, l := range tipline.Languages {
		row = append(row, reply.Button{Label: reply.Text{ID: "language_name_" + l}, Action: actReviewerLang + l})
	}
	return reply.Message{Lines: flows.InEachLanguage("choose_language"), Buttons: [][]reply.Button{row}}
}

// setReviewerLanguage keeps the language a reviewer chose and welcomes
// them in it.
func (b *Bot) setReviewerLanguage(ctx context.Context, rv tipline.Reviewer, lang string) ([]review.Out, error) {
	if !slices.Contains(tipline.Languages, lang) {
		return []review.Out{review.Tell(rv, review.Say("error_button_not_yours", nil))}, nil
	}
	if err := b.store.SetReviewerLang(ctx, rv.ID, lang); err != nil {
		return nil, fmt.Errorf("set reviewer language: %w", err)
	}
	rv.Lang = lang
	return []review.Out{review.Tell(rv, review.Welcome(rv.Name))}, nil
}

// queueOuts renders what review says into outbox entries: in the reader's
// language, a reviewer's buttons signed for them and the case's version, a
// reporter's as a reporter's. It returns the key of each Out's (last) entry.
func (b *Bot) queueOuts(out *outbox.Batch, outs []review.Out) []string {
	keys := make([]string, len(outs))
	for i := 0; i < len(outs); i++ {
		o := outs[i]
		lane := o.Lane
		if n := albumRun(outs[i:]); n >= 2 {
			files := make([]outbox.AlbumFile, n)
			for j, f := range outs[i : i+n] {
				files[j] = outbox.AlbumFile{Kind: f.File.Kind, ID: f.File.FileID, Caption: f.File.Caption}
			}
			out.Album(o.To.ChatID, lane, files)
			i += n - 1
			continue
		}
		if o.File != nil {
			out.File(o.To.ChatID, lane, *o.File)
			continue
		}
		chatID := o.To.ChatID
		sign := func(btn reply.Button) string {
			if o.To.Reporter() {
				return signButton(b.ring, chatID, btn.Action)
			}
			return b.signCase(chatID, btn.Action, btn.Version)
		}
		msgs := b.render.render(o.To.Lang, o.Message, sign)
		if o.Edit != nil {
			m := msgs[0] // an edit is one message: a notification's copy
			out.Edit(chatID, lane, o.Edit.OutboxKey, o.Edit.MessageID, m.text, m.rows())
			continue
		}
		for _, m := range msgs {
			keys[i] = out.Text(chatID, lane, m.text, m.rows(), o.Protect)
		}
	}
	return keys
}

// albumRun counts the photos and videos at the start of outs that can go
// as one album (Telegram's limit: 10): to one chat, on one lane.
func albumRun(outs []review.Out) int {
	media := func(o review.Out) bool {
		return o.File != nil && (o.File.Kind == tipline.AttachPhoto || o.File.Kind == tipline.AttachVideo)
	}
	n := 0
	for n < len(outs) && n < 10 && media(outs[n]) && outs[n].To.ChatID == outs[0].To.ChatID && outs[n].Lane == outs[0].Lane {
		n++
	}
	return n
}

// loadReviewer reads a reviewer's state (none is an empty state) and
// what their last update left pending, if it was not forgotten, in one
// round trip when the sessions can.
func (b *Bot) loadReviewer(ctx context.Context, chatKey string) (reviewerState, *reviewerPending, error) {
	names := []string{reviewerSessionKey(chatKey), reviewerPendingKey(chatKey)}
	data, errs := make([][]byte, len(names)), make([]error, len(names))
	if many, ok := b.sessions.(sessionsLoader); ok {
		var err error
		if data, errs, err = many.LoadMany(ctx, names); err != nil {
			return reviewerState{}, nil, err
		}
	} else {
		for i, n := range names {
			data[i], errs[i] = b.sessions.Load(ctx, n)
		}
	}
	for _, err := range errs {
		if err != nil && !errors.Is(err, tipline.ErrNotFound) && !errors.Is(err, keys.ErrUndecryptable) && !errors.Is(err, storage.ErrUnreadable) {
			return reviewerState{}, nil, err
		}
	}
	var st reviewerState
	if errs[0] == nil && json.Unmarshal(data[0], &st) != nil {
		b.log.Warn("unreadable reviewer state dropped")
		st = reviewerState{}
	}
	var pend *reviewerPending
	if errs[1] == nil && json.Unmarshal(data[1], &pend) != nil {
		b.log.Warn("unreadable reviewer's queued messages dropped")
		pend = nil
	}
	return st, pend, nil
}

// saveReviewerPending keeps what a reviewer's update did until it is
// committed (reviewerPending).
func (b *Bot) saveReviewerPending(ctx context.Context, chatKey string, p reviewerPending) error {
	data, err := json.Marshal(p)
	if err != nil {
		return err
	}
	return b.sessions.Save(ctx, reviewerPendingKey(chatKey), data)
}

// saveReviewerState saves next as a reviewer's state unless it is what
// Redis holds already, saved (as JSON): most updates (a press of "I take
// it") leave it as it was.
func (b *Bot) saveReviewerState(ctx context.Context, chatKey string, saved []byte, next reviewerState) error {
	data, err := json.Marshal(next)
	if err != nil {
		return err
	}
	if bytes.Equal(data, saved) {
		return nil
	}
	return b.sessions.Save(ctx, reviewerSessionKey(chatKey), data)
}

// dropReviewerPending forgets what a reviewer's last update queued, once
// it is committed: the entries name the chats they go to. One delete: the
// state was saved before the commit.
func (b *Bot) dropReviewerPending(ctx context.Context, chatKey string) {
	if err := b.sessions.Delete(ctx, reviewerPendingKey(chatKey)); err != nil {
		b.log.Warn("could not drop a reviewer's queued messages; the next update does", "err", err)
	}
}
