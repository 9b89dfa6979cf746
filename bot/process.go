package bot

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/flows"
	"github.com/tipline/tipline/keys"
	"github.com/tipline/tipline/locales/script"
	"github.com/tipline/tipline/outbox"
	"github.com/tipline/tipline/reply"
	"github.com/tipline/tipline/storage"
)

// chatState is what the bot keeps of a reporter's chat between updates:
// the conversation, the last update applied to it, the reporter's own
// recent messages (for "Clear this chat"; the bot's own are in the outbox),
// and the outbox entries of the last update, in case the process stopped
// before they were queued.
type chatState struct {
	Flow         flows.Session `json:"flow"`
	LastUpdateID int64         `json:"last_update_id,omitempty"`
	Messages     chatMessages  `json:"msgs,omitempty"`
	// Older are messages an earlier version saved, as objects: read,
	// moved to Messages as the session is loaded (takeOlder).
	Older   []messageRef          `json:"messages,omitempty"`
	Pending []storage.OutboxEntry `json:"pending,omitempty"`
}

// messageRef is one message of the chat, with when it was sent (bots may
// delete messages for 48 hours).
type messageRef struct {
	ID int       `json:"id"`
	At time.Time `json:"at"`
}

// process handles one update from the inbox: it steps the conversation,
// carries out the step's effects, and queues what to say in the outbox in
// the transaction that marks the update done. It never calls Telegram. It
// returns an error only when the update should be tried again later;
// anything the reporter did wrong is answered and the update is done.
func (b *Bot) process(ctx context.Context, item storage.InboxItem) error {
	if item.Sealed {
		return b.setAside(ctx, item, "sealed under a retired key")
	}
	var u models.Update
	if err := json.Unmarshal(item.Payload, &u); err != nil {
		return b.setAside(ctx, item, "undecodable")
	}
	if u.MyChatMember != nil {
		return b.memberUpdate(ctx, item, u.MyChatMember)
	}
	out := b.newBatch(updateBatchPrefix(item.UpdateID))
	in, ok := decodeUnverified(&u, b.cfg.Now())
	// The press is answered first: the spinner stops whatever follows.
	out.Answer(in.callbackID)
	if !ok || !in.private {
		// Not something we serve (a group, a channel); never answer there.
		return b.complete(ctx, item, out.Entries)
	}
	in.input.Reporter = b.ring.Pseudonym(in.userID)
	if s, ok := b.screening(item.UpdateID, in.userID); ok {
		in.screened = &s
	}
	if r, ok := b.reporterReadFor(item.UpdateID, in.userID); ok {
		in.read = &r
	}

	if handled, err := b.reviewerUpdate(ctx, item, &u, in, out); err != nil {
		return err
	} else if handled {
		if err := b.complete(ctx, item, out.Entries); err != nil {
			return err
		}
		b.dropReviewerPending(ctx, item.ChatKey)
		return nil
	}
	// Not a reviewer's: a press is now checked as a reporter's button.
	in.verifyPress(b.ring)
	if stop, err := b.guard(ctx, in, out); err != nil {
		return err
	} else if stop {
		if m := u.Message; m != nil {
			b.keepGuardedMessage(ctx, item.ChatKey, messageRef{ID: m.ID, At: time.Unix(int64(m.Date), 0)})
		}
		return b.complete(ctx, item, out.Entries)
	}

	st, missing, err := b.loadSession(ctx, item.ChatKey)
	if err != nil {
		return fmt.Errorf("load session: %w", err)
	}
	if st.LastUpdateID >= item.UpdateID {
		// Applied already; the process stopped before queueing its replies.
		var pending []storage.OutboxEntry
		if st.LastUpdateID == item.UpdateID {
			pending = withChat(st.Pending, item.ChatKey, in.chatID)
		}
		return b.complete(ctx, item, pending)
	}
	sess := st.Flow
	fresh := sess.State == flows.StateNew
	// What the step needs of the chat's and the reporter's markers, in
	// one round trip: with no session, whether an unfinished report of
	// this chat expired (its marker outlives it).
	need := reporterNeeds{lang: sess.Lang == "", listen: fresh, awaiting: in.input.Kind == flows.InputText}
	if missing {
		need.draftOf = item.ChatKey
	}
	var known map[string]string
	if in.read != nil {
		known = in.read.marks
	}
	marked, err := b.readReporter(ctx, in.userID, need, known)
	if err != nil {
		if missing {
			return fmt.Errorf("load session: %w", err)
		}
		b.log.Warn("could not read what is kept for a reporter", "err", err)
	}
	expired := marked.draftExpired
	if expired {
		if err := b.sessions.Unmark(ctx, draftMarker(item.ChatKey)); err != nil {
			return fmt.Errorf("load session: %w", err)
		}
	}
	if sess.Lang == "" {
		sess.Lang = marked.lang
	}
	if fresh {
		sess.Listen = marked.listen
	}
	in.input.DraftExpired = expired
	if in.input.Kind == flows.InputText {
		in.input.Awaiting = marked.awaiting
	}
	if !expired && sess.State == flows.StateNew {
		// No session: a new chat, or one whose conversation was lost (G5),
		// as the claim found the inbox.
		in.input.SessionLost = item.ChatSeen
	}
	if m := u.Message; m != nil {
		st.Messages = append(st.Messages, messageRef{ID: m.ID, At: time.Unix(int64(m.Date), 0)})
	}

	more, err := b.albumContinues(ctx, item, &u)
	if err != nil {
		return err
	}
	res := stepResult{Result: b.engine.Step(sess, in.input)}
	if len(res.Effects) > 0 {
		// A step that stores a report or looks something up takes its
		// time: the rest of its batch is completed without it.
		b.commits.leave(item.UpdateID)
	}
	if err := b.runEffects(ctx, item, &sess, &res, in, out, &st); err != nil {
		if errors.Is(err, errNotSaved) {
			// The reporter was told and keeps the draft; the update is done.
			return b.complete(ctx, item, out.Entries)
		}
		return err
	}
	// Markers written with the session, in its round trip.
	var marks []storage.Mark
	if l := res.Session.Lang; l != "" && !res.Forgot && (l != sess.Lang || fresh) {
		// Chosen now, or read again by a new conversation: kept (again)
		// for the paths that have no session.
		marks = append(marks, b.languageMark(in.userID, l))
	}
	if more {
		// Every part is stored; only the album's last part answers, with
		// the count of what was received. The reviewer who has the case
		// gets every file, and the word that the reporter added once.
		res.Replies, out.Entries = nil, filesOnly(out.Entries)
	}
	lane := tipline.LaneReply
	if res.Urgent {
		lane = tipline.LaneUrgent
	}
	marks = append(marks, b.listeningMarks(in.userID, sess, res)...)
	b.replyHeard(ctx, out, lane, in.chatID, in.userID, res.Session, res.Replies)
	st.Flow = res.Session
	st.Messages = recentMessages(st.Messages, b.cfg.Now())
	st.LastUpdateID = item.UpdateID
	st.Pending = withoutChat(out.Entries, item.ChatKey)
	save, err := b.sessionSave(item.ChatKey, st, marks...)
	if err != nil {
		if errors.Is(err, storage.ErrSessionTooLarge) {
			return b.sessionFull(ctx, item, in, sess.Lang)
		}
		return fmt.Errorf("save session: %w", err)
	}
	// Saved with the group the update is committed in, just before it.
	return b.completeSaving(ctx, item, out.Entries, &save)
}

// sessionFull ends an update whose new session would be over the size
// bound: the session saved before stays, the reporter is told this message
// was not kept, and the update is done, so it is never tried again in a
// loop. The flows keep sessions far below the bound; reaching it means a
// bug or an attack, so it is logged (without the chat).
func (b *Bot) sessionFull(ctx context.Context, item storage.InboxItem, in incoming, lang string) error {
	b.log.Warn("session over the size limit: update not kept", "update", item.UpdateID)
	out := b.newBatch(updateBatchPrefix(item.UpdateID))
	out.Answer(in.callbackID)
	b.reply(out, in.chatID, in.userID, lang, []reply.Message{{Lines: []reply.Text{{ID: "error_session_full"}}}})
	return b.complete(ctx, item, out.Entries)
}

// albumContinues tells whether u is a part of an album whose next part is
// already in the inbox: such a part is stored without an answer, and the
// last part answers for the whole album. The parts were held AlbumWait
// after they arrived (intake), so an album Telegram delivers within that
// time is complete by then.
func (b *Bot) albumContinues(ctx context.Context, item storage.InboxItem, u *models.Update) (bool, error) {
	m := u.Message
	if m == nil || m.MediaGroupID == "" {
		return false, nil
	}
	found, next, err := b.store.InboxNextInChat(ctx, item.ChatKey, item.UpdateID)
	if err != nil {
		return false, fmt.Errorf("album: %w", err)
	}
	return found && next == b.ring.GroupKey(m.Chat.ID, m.MediaGroupID), nil
}

// filesOnly keeps the files among entries (an album's part for the
// reviewer who has the case), dropping what is said.
func filesOnly(entries []storage.OutboxEntry) []storage.OutboxEntry {
	var out []storage.OutboxEntry
	for _, e := range entries {
		if e.Method == outbox.MethodFile {
			out = append(out, e)
		}
	}
	return out
}

// withoutChat copies a step's entries for the session without the chat id
// of the chat itself: the session then names no reporter, and the id comes
// back from the update when the step is replayed (withChat).
func withoutChat(entries []storage.OutboxEntry, chatKey string) []storage.OutboxEntry {
	out := slices.Clone(entries)
	for i := range out {
		if out[i].ChatKey == chatKey {
			out[i].ChatID = 0
		}
	}
	return out
}

// withChat puts the chat id back into replayed entries for the chat.
func withChat(entries []storage.OutboxEntry, chatKey string, chatID int64) []storage.OutboxEntry {
	out := slices.Clone(entries)
	for i := range out {
		if out[i].ChatKey == chatKey {
			out[i].ChatID = chatID
		}
	}
	return out
}

// complete marks an update done and queues its outgoing messages, at once,
// in one commit with the updates other workers complete meanwhile
// (commit.go), whose dispatcher is handed what is ready and woken. An
// update processed before it was stored (Fresh) is stored done by that
// commit.
func (b *Bot) complete(ctx context.Context, item storage.InboxItem, entries []storage.OutboxEntry) error {
	return b.completeSaving(ctx, item, entries, nil)
}

// completeSaving is complete with the step's session saved first, in one
// round trip with the sessions of the group it is committed in.
func (b *Bot) completeSaving(ctx context.Context, item storage.InboxItem, entries []storage.OutboxEntry, save *storage.SessionSave) error {
	c := storage.Completion{UpdateID: item.UpdateID, Entries: entries}
	if item.Fresh {
		c.Fresh = &storage.FreshUpdate{ChatKey: item.ChatKey, ReceivedAt: item.ReceivedAt}
	}
	if err := b.commits.complete(ctx, b.store, b.owner, c, save); err != nil {
		return fmt.Errorf("complete update: %w", err)
	}
	return nil
}

// setAside moves an update that cannot be processed to the dead letters,
// so its chat moves on, and tells its sender once, kindly, when the chat
// is known.
func (b *Bot) setAside(ctx context.Context, item storage.InboxItem, reason string) error {
	if err := b.store.InboxDead(ctx, item.UpdateID, b.owner, reason); err != nil {
		return fmt.Errorf("set update aside: %w", err)
	}
	if b.obs != nil {
		b.obs.DeadLettered()
	}
	b.log.Error("update set aside as a dead letter; see 'tipline inbox dead'", "update_id", item.UpdateID, "reason", reason)
	chatID, lang := privateChatOf(item.Payload)
	if chatID <= 0 { // not a private chat, or not known
		return nil
	}
	out := b.newBatch("dead:" + strconv.FormatInt(item.UpdateID, 10))
	lang = b.readerLanguage(ctx, chatID, lang) // in a private chat the chat is the user
	b.reply(out, chatID, chatID, lang, []reply.Message{notice(lang, "error_set_aside")})
	if err := b.store.OutboxAdd(ctx, out.Entries); err != nil {
		b.log.Warn("could not tell a reporter their message was set aside", "err", err)
	} else {
		b.sender.WakeFor(out.Entries)
	}
	return nil
}

// tellDelayed tells a reporter, once per update, that we are slow and
// will answer; the update stays in the inbox and is retried. The outbox
// key makes it once, across retries and processes.
func (b *Bot) tellDelayed(ctx context.Context, item storage.InboxItem) {
	chatID, lang := privateChatOf(item.Payload)
	if chatID <= 0 || item.Attempts != 2 {
		// The first failure is often a blip; the second is worth a word.
		return
	}
	out := b.newBatch("slow:" + strconv.FormatInt(item.UpdateID, 10))
	lang = b.readerLanguage(ctx, chatID, lang)
	b.reply(out, chatID, chatID, lang, []reply.Message{notice(lang, "error_delayed")})
	if err := b.store.OutboxAdd(ctx, out.Entries); err != nil {
		b.log.Warn("could not tell a reporter we are slow", "err", err)
	} else {
		b.sender.Wake()
	}
}

// privateChatOf is rawUpdate.privateChat of stored bytes: 0 for bytes
// that are not an update.
func privateChatOf(raw []byte) (int64, string) {
	u, _ := readUpdate(raw)
	return u.privateChat()
}

// keepGuardedMessage records a message the guard answered (a flood, or a
// blocked reporter's) in the chat's session, if it has one, so that "Clear
// this chat" deletes it too. It does not read the session as an update
// does: an expired draft's marker stays for the next update to explain.
// Best effort: the message was answered either way.
func (b *Bot) keepGuardedMessage(ctx context.Context, chatKey string, m messageRef) {
	data, err := b.sessions.Load(ctx, chatKey)
	if err != nil {
		return // no session: nothing to clear later either
	}
	var st chatState
	if json.Unmarshal(data, &st) != nil {
		return
	}
	st.takeOlder()
	st.Messages = recentMessages(append(st.Messages, m), b.cfg.Now())
	if err := b.saveSession(ctx, chatKey, st); err != nil {
		b.log.Warn("could not keep a message the guard answered, for Clear this chat", "err", err)
	}
}

// recentMessages keeps the messages that can still be deleted, at most 1000.
func recentMessages(ms chatMessages, now time.Time) chatMessages {
	out := ms[:0]
	for _, m := range ms {
		if now.Sub(m.At) < outbox.DeleteWindow {
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

// guard stops a blocked reporter, who gets a neutral, honest answer ("this
// chat cannot take reports now") with the emergency numbers, and a flood of
// messages, answered kindly at most once a minute. A request for the
// emergency numbers is answered with them in both cases.
// stop=true means the update is answered and done.
func (b *Bot) guard(ctx context.Context, in incoming, out *outbox.Batch) (bool, error) {
	who := in.input.Reporter
	// Every pseudonym of the key ring: a block made before a key rotation
	// holds until "tipline rekey" has moved it.
	blocked, err := b.blocked(ctx, in)
	if err != nil {
		return false, err
	}
	// Read only when something is said: most updates pass.
	readerLang := func() string { return b.readerLanguage(ctx, in.userID, in.input.LanguageCode) }
	if blocked {
		lang := readerLang()
		// Nothing is kept, so nothing is said to be received; the
		// emergency numbers are always given (/emergency most of all).
		b.log.Info("a message from a blocked reporter was dropped")
		intro := "blocked_neutral"
		if flows.AsksForEmergency(in.input) {
			intro = "emergency_intro"
		}
		b.reply(out, in.chatID, in.userID, lang, []reply.Message{b.engine.EmergencyReply(intro, lang)})
		return true, nil
	}
	ok, err := b.messageAllowed(ctx, in)
	if err != nil {
		return false, fmt.Errorf("rate limit: %w", err)
	}
	if ok {
		return false, nil
	}
	b.log.Warn("a reporter is over the message limit", "reporter", who)
	lang := readerLang()
	if flows.AsksForEmergency(in.input) {
		// Still answered, within a bound of its own.
		if again, err := b.limiter.Allow(ctx, "emergency:"+who, 6, time.Minute); err == nil && again {
			b.reply(out, in.chatID, in.userID, lang, []reply.Message{b.engine.EmergencyReply("emergency_intro", lang)})
			return true, nil
		}
	}
	if tell, err := b.limiter.Allow(ctx, "messages-told:"+who, 1, time.Minute); err == nil && tell {
		b.reply(out, in.chatID, in.userID, lang, []reply.Message{notice(lang, "error_slow_down")})
	}
	return true, nil
}

// messageCheck is the limiter's call for a message from the reporter
// who: at most MessagesPerMinute a minute.
func (b *Bot) messageCheck(who string) storage.Check {
	return storage.Check{Key: "messages:" + who, Limit: b.cfg.MessagesPerMinute, Window: time.Minute}
}

// messageAllowed counts the update against its reporter's message limit,
// as counted with its batch if it was.
func (b *Bot) messageAllowed(ctx context.Context, in incoming) (bool, error) {
	if in.read != nil && in.read.counted {
		return in.read.allowed, nil
	}
	c := b.messageCheck(in.input.Reporter)
	return b.limiter.Allow(ctx, c.Key, c.Limit, c.Window)
}

// blocked tells whether the sender is blocked, as screened with their
// batch if they were.
func (b *Bot) blocked(ctx context.Context, in incoming) (bool, error) {
	if in.screened != nil {
		return in.screened.Blocked, nil
	}
	blocked, err := b.store.IsBlocked(ctx, b.ring.Pseudonyms(in.userID)...)
	if err != nil {
		return false, fmt.Errorf("check block: %w", err)
	}
	return blocked, nil
}

// errNotSaved means an effect failed, the reporter was told, and the
// session stays as it was.
var errNotSaved = errors.New("bot: effect not saved")

// stepResult is a flow step's result and what the bot did with it.
type stepResult struct {
	flows.Result
	// Cleared says the chat's messages were deleted.
	Cleared bool
	// Urgent says the step submitted an urgent case: its replies go on
	// the urgent lane, ahead of ordinary replies to other chats.
	Urgent bool
	// Forgot says the reporter was forgotten: their language is not kept
	// again by this step.
	Forgot bool
}

// runEffects carries out a step's effects before anyone hears of them (G1).
// Effects that look something up answer with a new input, which is
// stepped in turn.
func (b *Bot) runEffects(ctx context.Context, item storage.InboxItem, sess *flows.Session, res *stepResult, in incoming, out *outbox.Batch, st *chatState) error {
	for attempt := 0; ; attempt++ {
		pending := res.Effects
		feedback, err := b.applyEffects(ctx, item, res, in, out, st)
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
		why := failedMessage(pending, err)
		if errors.Is(err, errLimited) {
			why = "error_report_limit"
			b.log.Warn("a reporter is over the report limit; the draft is kept", "reporter", in.input.Reporter)
		} else if errors.Is(err, storage.ErrAdditionLimit) {
			why = "error_add_limit" // nothing stored, and the reporter is told
			b.log.Warn("a case is over the day's limit of additions", "err", err)
		} else if why == "error_case_gone" {
			b.log.Warn("a reporter added to a case that is gone", "err", err)
		} else {
			b.log.Error("could not store a step; the reporter was asked to try again", "err", err)
		}
		lang := sess.Lang
		if lang == "" {
			lang = tipline.LangEnglish
		}
		msgs := flows.Join([]reply.Message{{Lines: []reply.Text{{ID: why}}}, b.engine.Prompt(*sess)}) // one message
		b.reply(out, in.chatID, in.userID, lang, msgs)
		return errNotSaved
	}
}

// failedMessage is what to tell a reporter when a step's effects failed,
// for what they were doing: only a report has a Send button to press
// again; an addition must be sent again; a case deleted under retention
// will never take one, however often they try.
func failedMessage(effects []flows.Effect, err error) string {
	for _, eff := range effects {
		switch eff.(type) {
		case flows.SubmitCase:
			return "error_save_failed"
		case flows.AddToCase:
			if errors.Is(err, tipline.ErrNotFound) {
				return "error_case_gone"
			}
			return "error_add_failed"
		}
	}
	return "error_try_again"
}

// caseWithChat fills in the reporter's chat id, the team's way back, only
// when the reporter allows contact (G7): flows never sees it.
func caseWithChat(c tipline.NewCase, chatID int64) tipline.NewCase {
	c.ReporterChatID = 0
	if c.ContactAllowed {
		c.ReporterChatID = chatID
	}
	return c
}

// applyEffects runs the effects of one step, in order. It returns the input
// that answers a look-up, if any.
func (b *Bot) applyEffects(ctx context.Context, item storage.InboxItem, res *stepResult, in incoming, out *outbox.Batch, st *chatState) (*flows.Input, error) {
	var feedback *flows.Input
	effects := res.Effects
	res.Effects = nil
	for _, eff := range effects {
		switch e := eff.(type) {
		case flows.SubmitCase:
			c := caseWithChat(e.Case, in.chatID)
			res.Urgent = res.Urgent || c.Urgency == tipline.UrgencyUrgent
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
				b.RouteSoon()
			}
		case flows.AddToCase:
			if err := b.markCodeHolder(ctx, &e, in.userID); err != nil {
				return nil, err
			}
			res, err := b.store.AddToCaseTracked(ctx, e.Reference, "update:"+strconv.FormatInt(item.UpdateID, 10), e.Addition)
			if err != nil {
				return nil, fmt.Errorf("add to case: %w", err)
			}
			// A duplicate's additions went to the older case it repeats:
			// that case's reviewer is the one to tell.
			b.log.Info("information added to a case", "case", res.Reference, "given_to", e.Reference,
				"attachments", len(e.Addition.Attachments), "case_closed", res.Closed)
			b.fetchSoon()
			if err := b.notifyAssigned(ctx, res.Reference, e.Addition, out); err != nil {
				return nil, err
			}
			if err := b.answered(ctx, in.userID, e.Reference); err != nil {
				b.log.Warn("could not drop a case from those awaiting the reporter's answer", "case", e.Reference, "err", err)
			}
		case flows.LoadMyCases:
			list, err := b.store.CasesByReporter(ctx, b.ring.Pseudonyms(in.userID)...)
			if err != nil {
				return nil, fmt.Errorf("list cases: %w", err)
			}
			feedback = &flows.Input{Kind: flows.InputCases, Cases: list, Reporter: e.Reporter, Now: in.input.Now}
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
			if err := b.forgetLanguage(ctx, in.userID); err != nil {
				return nil, fmt.Errorf("forget reporter: %w", err)
			}
			if err := b.setAwaiting(ctx, in.userID, nil); err != nil {
				return nil, fmt.Errorf("forget reporter: %w", err)
			}
			if err := b.forgetListening(ctx, in.userID); err != nil {
				return nil, fmt.Errorf("forget reporter: %w", err)
			}
			// Their updates set aside hold their words: they go too.
			dead, err := b.store.InboxDropDeadOfChat(ctx, item.ChatKey)
			if err != nil {
				return nil, fmt.Errorf("forget reporter: %w", err)
			}
			res.Forgot = true
			b.log.Info("a reporter was forgotten", "cases_unlinked", n, "dead_letters_dropped", dead)
		case flows.WithdrawContact:
			err := b.store.WithdrawContact(ctx, e.Reference, b.ring.Pseudonyms(in.userID)...)
			if err != nil && !errors.Is(err, tipline.ErrNotFound) {
				return nil, fmt.Errorf("withdraw contact: %w", err)
			}
			b.log.Info("a reporter withdrew contact", "case", e.Reference)
		case flows.ClearChat:
			b.clearChat(out, in.chatID, st.Messages, in.pressedMessageID)
			st.Messages = nil
			res.Cleared = true
		default:
			return nil, fmt.Errorf("unknown effect %T", eff)
		}
	}
	return feedback, nil
}

// openByCode looks a follow-up code up, within the limit of tries.
func (b *Bot) openByCode(ctx context.Context, e flows.OpenByCode, in incoming) (*flows.Input, error) {
	fb := &flows.Input{Kind: flows.InputCodeResult, Reporter: e.Reporter, Now: in.input.Now}
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

// clearChat queues the deletion of the chat's messages that can still be
// deleted: the reporter's, and (at send time) every one the bot sent.
func (b *Bot) clearChat(out *outbox.Batch, chatID int64, ms chatMessages, pressed int) {
	now := b.cfg.Now()
	var ids []int
	for _, m := range ms {
		if now.Sub(m.At) < outbox.DeleteWindow {
			ids = append(ids, m.ID)
		}
	}
	if pressed != 0 {
		ids = append(ids, pressed)
	}
	out.Clear(chatID, ids)
}

// draftMarker names the marker that says a chat has an unfinished report.
func draftMarker(chatKey string) string { return "draft:" + chatKey }

// loadSession returns the chat's state, and whether it had none stored
// (then the caller asks whether its unfinished report expired: the
// session is gone but its draft marker is not).
func (b *Bot) loadSession(ctx context.Context, chatKey string) (chatState, bool, error) {
	var s chatState
	data, err := b.sessionData(ctx, chatKey) // loaded with its batch, if it was (prefetchSessions, bot.go)
	if errors.Is(err, tipline.ErrNotFound) {
		return s, true, nil
	}
	if errors.Is(err, keys.ErrUndecryptable) || errors.Is(err, storage.ErrUnreadable) {
		// Sealed under a key we no longer have, or overwritten by something
		// that is not a session: a lost session (G5). It is dropped, so the
		// reporter is told once (the flow's SessionLost) and starts afresh.
		b.log.Error("unreadable session dropped", "chat", chatKey, "err", err)
		if err := b.sessions.Delete(ctx, chatKey); err != nil {
			return s, false, err
		}
		return s, false, nil
	}
	if err != nil {
		return s, false, err
	}
	if err := json.Unmarshal(data, &s); err != nil {
		// A session we cannot read is a lost session, not a crash.
		b.log.Error("unreadable session dropped", "chat", chatKey)
		return chatState{}, false, nil
	}
	s.takeOlder()
	return s, false, nil
}

// saveSession stores the chat's state, and the marker that lets an expired
// unfinished report be explained (a month longer than the session), with
// the other markers of the step, in one round trip.
func (b *Bot) saveSession(ctx context.Context, chatKey string, s chatState, marks ...storage.Mark) error {
	save, err := b.sessionSave(chatKey, s, marks...)
	if err != nil {
		return err
	}
	return b.sessions.SaveMarked(ctx, save.ChatKey, save.Data, save.Marks...)
}

// sessionSave is what saveSession writes: the session, its draft marker
// and marks. A session over the bound gives storage.ErrSessionTooLarge.
func (b *Bot) sessionSave(chatKey string, s chatState, marks ...storage.Mark) (storage.SessionSave, error) {
	data, err := json.Marshal(s)
	if err != nil {
		return storage.SessionSave{}, err
	}
	if len(data) > storage.MaxSessionBytes {
		return storage.SessionSave{}, fmt.Errorf("%d bytes: %w", len(data), storage.ErrSessionTooLarge)
	}
	draft := storage.Mark{Name: draftMarker(chatKey)} // TTL 0: no draft to explain
	if s.Flow.Draft != nil {
		draft.TTL = b.cfg.SessionTTL + 30*24*time.Hour
	}
	return storage.SessionSave{ChatKey: chatKey, Data: data, Marks: append([]storage.Mark{draft}, marks...)}, nil
}

// reply queues a step's messages in order, as replies (lane 3).
func (b *Bot) reply(out *outbox.Batch, chatID, userID int64, lang string, replies []reply.Message) {
	b.replyOn(out, tipline.LaneReply, chatID, userID, lang, replies)
}

// replyOn queues a step's messages in order on a lane.
func (b *Bot) replyOn(out *outbox.Batch, lane tipline.Lane, chatID, userID int64, lang string, replies []reply.Message) {
	if lang == "" {
		lang = tipline.LangEnglish
	}
	for _, rep := range replies {
		for _, m := range b.render.render(lang, rep, b.render.reporterSigner(userID)) {
			out.Text(chatID, lane, m.text, m.rows(), false)
		}
	}
}

// markCodeHolder records an addition from an account that is not the
// case's reporter (it opened the case with the secret code, say on a
// phone taken from the reporter) as "followup:", so the reviewer reads
// "someone with the secret code", never "the reporter" (review M6).
func (b *Bot) markCodeHolder(ctx context.Context, e *flows.AddToCase, userID int64) error {
	c, err := b.store.Case(ctx, e.Reference)
	if errors.Is(err, tipline.ErrNotFound) {
		return nil // the store says so in turn
	}
	if err != nil {
		return fmt.Errorf("add to case: %w", err)
	}
	pseudonym, found := strings.CutPrefix(e.Addition.Actor, tipline.ReporterActor(""))
	if found && (c.Reporter == "" || !slices.Contains(b.ring.Pseudonyms(userID), c.Reporter)) {
		e.Addition.Actor = tipline.FollowUpActor(pseudonym)
	}
	return nil
}

// incoming is an update turned into what the processor needs: the chat it
// belongs to, who sent it, and the flow input.
type incoming struct {
	chatID  int64
	userID  int64
	private bool
	// callbackID is set for a button press, which must always be answered.
	callbackID string
	// pressedMessageID is the message whose button was pressed.
	pressedMessageID int
	// pressData is a press's data as it came, not yet verified: whose
	// button it is (a reviewer's or a reporter's) is known only once the
	// presser is, so verifyPress runs after the reviewer's routing.
	pressData string
	input     flows.Input
	// screened, when set, is what the store knew of the sender at the
	// claim (prefetchSessions, bot.go): then they are not looked up again.
	screened *storage.Screening
	// read, when set, is what was read for the reporter with the batch
	// (prefetchSessions, bot.go): their markers, and perhaps the message
	// limiter's verdict.
	read *reporterRead
}

// decodeUnverified turns an update into a flow input, all but the
// verification of a press: a press stays InputForgedButton (answered, never
// acted on) until verifyPress finds it signed for the presser, so a press
// nobody verified fails closed.
func decodeUnverified(u *models.Update, now time.Time) (incoming, bool) {
	in := incoming{input: flows.Input{Now: now}}
	switch {
	case u.Message != nil:
		m := u.Message
		in.chatID, in.private = m.Chat.ID, m.Chat.Type == models.ChatTypePrivate
		if m.From != nil {
			in.userID = m.From.ID
			in.input.LanguageCode = m.From.LanguageCode
		}
		messageInput(m, &in.input)
	case u.EditedMessage != nil:
		m := u.EditedMessage
		in.chatID, in.private = m.Chat.ID, m.Chat.Type == models.ChatTypePrivate
		if m.From != nil {
			in.userID = m.From.ID
			in.input.LanguageCode = m.From.LanguageCode
		}
		in.input.Kind = flows.InputEdited
		in.input.Text = script.Clean(m.Text)
	case u.CallbackQuery != nil:
		q := u.CallbackQuery
		in.callbackID = q.ID
		in.userID = q.From.ID
		in.input.LanguageCode = q.From.LanguageCode
		// The chat is chosen as rawUpdate.chat chooses it for the inbox's
		// order: the pressed message's chat, or else the presser's own.
		in.chatID, in.private = q.From.ID, true
		if m := q.Message.Message; m != nil {
			in.pressedMessageID = m.ID
			in.private = m.Chat.Type == models.ChatTypePrivate
			in.chatID = cmp.Or(m.Chat.ID, q.From.ID)
		} else if m := q.Message.InaccessibleMessage; m != nil {
			in.pressedMessageID = m.MessageID
			in.private = m.Chat.Type == models.ChatTypePrivate
			in.chatID = cmp.Or(m.Chat.ID, q.From.ID)
		}
		in.pressData = q.Data
		in.input.Kind = flows.InputForgedButton
	default:
		return in, false
	}
	return in, in.chatID != 0 && in.userID != 0
}

// verifyPress checks a press as a reporter's button: data that does not
// verify for the presser stays a forged-button input, which flows answers
// without acting on it. A reviewer's press never comes here: the reviewer's
// side verifies its own buttons (verifyReviewerButton).
func (in *incoming) verifyPress(signer buttonSigner) {
	if in.callbackID == "" {
		return
	}
	if action, err := verifyButton(signer, in.userID, in.pressData); err == nil {
		in.input.Kind, in.input.Text = flows.InputButton, action
	}
}

func messageInput(m *models.Message, in *flows.Input) {
	switch {
	case m.Text != "":
		if cmd, arg, ok := command(m); ok {
			in.Kind, in.Text, in.Arg = flows.InputCommand, cmd, arg
			return
		}
		in.Kind, in.Text = flows.InputText, script.Clean(m.Text)
	case m.Voice != nil:
		in.Kind = flows.InputVoice
		in.Attachment = &tipline.Attachment{Kind: tipline.AttachVoice, FileID: m.Voice.FileID, FileUniqueID: m.Voice.FileUniqueID, Size: m.Voice.FileSize}
	case m.Audio != nil:
		in.Kind = flows.InputVoice
		in.Attachment = &tipline.Attachment{Kind: tipline.AttachVoice, FileID: m.Audio.FileID, FileUniqueID: m.Audio.FileUniqueID, Size: m.Audio.FileSize}
	case len(m.Photo) > 0:
		p := m.Photo[len(m.Photo)-1] // the largest size
		in.Kind = flows.InputPhoto
		in.Attachment = &tipline.Attachment{Kind: tipline.AttachPhoto, FileID: p.FileID, FileUniqueID: p.FileUniqueID, Size: int64(p.FileSize)}
	case m.Video != nil:
		in.Kind = flows.InputVideo
		in.Attachment = &tipline.Attachment{Kind: tipline.AttachVideo, FileID: m.Video.FileID, FileUniqueID: m.Video.FileUniqueID, Size: m.Video.FileSize}
	case m.VideoNote != nil:
		in.Kind = flows.InputVideo
		in.Attachment = &tipline.Attachment{Kind: tipline.AttachVideo, FileID: m.VideoNote.FileID, FileUniqueID: m.VideoNote.FileUniqueID, Size: int64(m.VideoNote.FileSize)}
	case m.Location != nil:
		in.Kind = flows.InputLocation
		in.Location = &tipline.Location{Latitude: m.Location.Latitude, Longitude: m.Location.Longitude}
	case m.Sticker != nil || m.Animation != nil:
		in.Kind = flows.InputSticker
	case m.Document != nil:
		in.Kind = flows.InputDocument
	default:
		in.Kind = flows.InputUnsupported
	}
	if in.Attachment != nil {
		in.Attachment.Caption = caption(m.Caption)
	}
}

// caption is the reporter's words sent with a file, cleaned like typed
// text and kept to tipline.MaxCaption characters (Telegram's own limit).
func caption(s string) string {
	return script.Truncate(strings.TrimSpace(script.Clean(s)), tipline.MaxCaption)
}

// command reads "/name arg" or "/name@bot arg" from a message that starts
// with a bot_command entity.
func command(m *models.Message) (name, arg string, ok bool) {
	if len(m.Entities) == 0 || m.Entities[0].Type != models.MessageEntityTypeBotCommand || m.Entities[0].Offset != 0 {
		if !strings.HasPrefix(m.Text, "/") {
			return "", "", false
		}
	}
	head, rest, _ := strings.Cut(strings.TrimPrefix(m.Text, "/"), " ")
	head, _, _ = strings.Cut(head, "@")
	if head == "" || len(head) > 32 {
		return "", "", false
	}
	return strings.ToLower(head), strings.TrimSpace(rest), true
}
