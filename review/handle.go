package review

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/reply"
)

// To is who an Out is for: a reviewer, or the reporter of a case (by the
// chat id stored while they allow contact).
type To struct {
	// Reviewer is the reviewer's id; 0 for a reporter.
	Reviewer int64
	ChatID   int64
	Lang     string
}

// Reporter tells whether the Out goes to a reporter: their buttons are
// signed as a reporter's and their messages are not protected.
func (t To) Reporter() bool { return t.Reviewer == 0 }

// ToReviewer addresses a reviewer.
func ToReviewer(rv tipline.Reviewer) To {
	return To{Reviewer: rv.ID, ChatID: rv.TelegramID, Lang: rv.Lang}
}

// Edit names the message an Out replaces: the outbox entry that sent it,
// or its message id when known.
type Edit struct {
	OutboxKey string
	MessageID int
}

// Out is one thing to say: a message (or an edit of one sent before, or a
// file sent again) to one chat, on a lane. Reviewers' messages are
// protected from forwarding.
type Out struct {
	To      To
	Lane    tipline.Lane
	Message reply.Message
	Protect bool
	Edit    *Edit
	// File is a stored attachment to send again (Kind and FileID).
	File *tipline.Attachment
}

// Tell is a message to a reviewer on the reply lane, protected from
// forwarding: what the desk says back to the person who pressed or typed.
func Tell(rv tipline.Reviewer, m reply.Message) Out {
	return Out{To: ToReviewer(rv), Lane: tipline.LaneReply, Message: m, Protect: true}
}

// Store is what the reviewer's work needs of storage.
type Store interface {
	Case(ctx context.Context, ref tipline.Reference) (tipline.Case, error)
	Reviewer(ctx context.Context, id int64) (tipline.Reviewer, error)
	Acknowledge(ctx context.Context, ref tipline.Reference, reviewerID int64, now time.Time) (bool, int64, error)
	Escalate(ctx context.Context, ref tipline.Reference, reviewerID int64, toLevel int, now time.Time) error
	AddNote(ctx context.Context, ref tipline.Reference, n tipline.Note) error
	Notes(ctx context.Context, ref tipline.Reference) ([]tipline.Note, error)
	CloseCase(ctx context.Context, ref tipline.Reference, reviewerID int64, outcome tipline.Outcome, now time.Time) error
	ReopenCase(ctx context.Context, ref tipline.Reference, reviewerID int64, now time.Time) error
	Reassign(ctx context.Context, ref tipline.Reference, to int64, actor string, now time.Time) (int64, error)
	BlockReporterFor(ctx context.Context, ref tipline.Reference, reviewerID int64, reason tipline.BlockReason, now time.Time) error
	UnblockReporter(ctx context.Context, ref tipline.Reference, reviewerID int64, now time.Time) error
	Notifications(ctx context.Context, ref tipline.Reference) ([]tipline.Notification, error)
	Queue(ctx context.Context, reviewerID int64) ([]tipline.CaseSummary, error)
	Reviewers(ctx context.Context) ([]tipline.Reviewer, error)
	Classify(ctx context.Context, ref tipline.Reference, reviewerID int64, kind tipline.Exploitation, risk tipline.Risk, now time.Time) error
	Partners(ctx context.Context) ([]tipline.Partner, error)
	Partner(ctx context.Context, id int64) (tipline.Partner, error)
	Refer(ctx context.Context, ref tipline.Reference, reviewerID, partnerID int64, now time.Time) error
	LinkDuplicate(ctx context.Context, newer, older tipline.Reference, reviewerID int64, now time.Time) error
	Timeline(ctx context.Context, ref tipline.Reference) ([]tipline.Event, error)
	// RecordRead audits a read: what is storage's ReadDetails, ReadWords,
	// ReadFiles or ReadFound.
	RecordRead(ctx context.Context, ref tipline.Reference, reviewerID int64, what string) error
	RecordTakeOverWhy(ctx context.Context, ref tipline.Reference, reviewerID int64, why string) error
}

// What a reviewer read, as audited (storage.ReadDetails and the others:
// review does not import storage).
const (
	readDetails = "details"
	readWords   = "words"
	readFiles   = "files"
	readFound   = "found"
)

// recordRead audits that rv read part of a case, before it is shown:
// nothing is read without a trace, an admin's reads included, so that a
// stolen phone's reach can be listed.
func (d *Desk) recordRead(ctx context.Context, rv tipline.Reviewer, ref tipline.Reference, what string) error {
	if err := d.Store.RecordRead(ctx, ref, rv.ID, what); err != nil {
		return fmt.Errorf("audit a read: %w", err)
	}
	return nil
}

// Notifier is told when reviewers' work needs the router at once (an
// escalation); bot implements it.
type Notifier interface {
	RouteSoon()
}

// Desk carries out reviewers' actions: it authorises each on the case as
// it is now, writes to the store (every write keyed by the update, so a
// repeat after a crash changes nothing) and returns what to say.
type Desk struct {
	Store    Store
	Notifier Notifier
	Log      *slog.Logger
	Now      func() time.Time
	// Router says who is on call now (/oncall).
	Router *Router
	// Location is the team's time zone, for the times Details shows (UTC
	// when nil).
	Location *time.Location
	// Finder looks cases up for /find; nil answers that it cannot.
	Finder Finder
}

// ActorOf is the authorisation view of a reviewer.
func ActorOf(rv tipline.Reviewer) Actor { return Actor{ID: rv.ID, Admin: rv.Admin, Active: rv.Active} }

// Press carries out a verified button press p, made for the case version
// version, by rv; st is rv's state, changed in place.
func (d *Desk) Press(ctx context.Context, rv tipline.Reviewer, p Press, version string, st *State) ([]Out, error) {
	c, err := d.Store.Case(ctx, p.Case)
	if errors.Is(err, tipline.ErrNotFound) {
		return []Out{Tell(rv, Say("rv_case_gone", nil))}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load case: %w", err)
	}
	if dec := Authorize(ActorOf(rv), CaseOf(c), p.Action, version); dec != Allow {
		d.Log.Info("a reviewer action on a case was not carried out", "case", c.Reference, "reviewer", rv.ID, "action", string(p.Action), "decision", string(dec))
		return d.answer(ctx, rv, c, dec)
	}
	ref := c.Reference
	now := d.Now()
	switch p.Action {
	case TakeOver:
		if held := c.Assignment.ReviewerID; held != 0 && held != rv.ID && p.Why == "" {
			// Someone has it: nothing changes hands before a reason is given.
			return []Out{Tell(rv, TakeOverAsk(c, d.name(ctx, held), version))}, nil
		}
		return d.takeOver(ctx, rv, c, p.Why)
	case Take:
		first, by, err := d.Store.Acknowledge(ctx, ref, rv.ID, now)
		if err != nil {
			return nil, fmt.Errorf("acknowledge: %w", err)
		}
		if !first && by != rv.ID {
			return []Out{Tell(rv, Say("rv_already_taken", map[string]any{"Reference": string(ref), "Name": d.name(ctx, by)}))}, nil
		}
		if first {
			// The case as Acknowledge left it, without loading it again.
			c = taken(c, rv.ID, now)
		} else if c, err = d.Store.Case(ctx, ref); err != nil {
			// Theirs already (the update again, after a crash): as it is.
			return nil, fmt.Errorf("load case: %w", err)
		}
		d.Log.Info("case acknowledged", "case", ref, "reviewer", rv.ID)
		return d.MarkTaken(ctx, c, rv)
	case Details:
		return d.details(ctx, rv, c)
	case Read:
		return d.readPart(ctx, rv, c, p.Page)
	case Files:
		if err := d.recordRead(ctx, rv, ref, readFiles); err != nil {
			return nil, err
		}
		return FilesPage(rv, c, p.Page), nil
	case Escalate:
		alone, err := d.alone(ctx, rv)
		if err != nil {
			return nil, err
		}
		if alone {
			// Nobody else to tell: "round 2" would notify the same person.
			return []Out{Tell(rv, Say("rv_escalate_alone", refData(ref)))}, nil
		}
		if err := d.Store.Escalate(ctx, ref, rv.ID, 2, now); err != nil {
			return nil, fmt.Errorf("escalate: %w", err)
		}
		d.Log.Info("case escalated by a reviewer", "case", ref, "reviewer", rv.ID)
		if d.Notifier != nil {
			d.Notifier.RouteSoon()
		}
		return []Out{Tell(rv, Say("rv_escalated", refData(ref)))}, nil
	case Reply:
		if !c.ContactAllowed || c.ReporterChatID == 0 {
			return []Out{Tell(rv, Say("rv_no_contact", refData(ref)))}, nil
		}
		*st = State{Mode: ModeReply, Case: ref, Version: version}
		return []Out{Tell(rv, Say("rv_type_reply", refData(ref)))}, nil
	case Note:
		*st = State{Mode: ModeNote, Case: ref, Version: version}
		return []Out{Tell(rv, Say("rv_type_note", refData(ref)))}, nil
	case Close:
		return []Out{Tell(rv, CloseHow(ref, c.Kind, version))}, nil
	case Outcome:
		if p.Outcome == tipline.OutcomePartner || p.Outcome == tipline.OutcomePolice {
			// Referred to whom? A referral always names a partner (police
			// units are partners); with none listed nothing is closed.
			partners, err := d.Store.Partners(ctx)
			if err != nil {
				return nil, fmt.Errorf("list partners: %w", err)
			}
			if m := ReferWhich(ref, version, partners); len(m.Buttons) > 1 {
				return []Out{Tell(rv, m)}, nil
			}
			return []Out{Tell(rv, Say("rv_no_partners", refData(ref)))}, nil
		}
		if !p.Confirmed {
			return []Out{Tell(rv, CloseConfirm(ref, p.Outcome, version))}, nil
		}
		if err := d.Store.CloseCase(ctx, ref, rv.ID, p.Outcome, now); err != nil {
			return d.closedOr(ctx, rv, ref, err, "close case")
		}
		d.Log.Info("case closed", "case", ref, "reviewer", rv.ID, "outcome", string(p.Outcome))
		if c, err = d.Store.Case(ctx, ref); err != nil {
			return nil, fmt.Errorf("load case: %w", err)
		}
		return []Out{Tell(rv, Closed(c, p.Outcome))}, nil
	case Block:
		// Never one tap: ask why, and block only when a reason is chosen.
		return []Out{Tell(rv, BlockWhy(ref, version))}, nil
	case BlockFor:
		if err := d.Store.BlockReporterFor(ctx, ref, rv.ID, p.Reason, now); err != nil {
			return nil, fmt.Errorf("block reporter: %w", err)
		}
		d.Log.Warn("a reporter was blocked by a reviewer", "case", ref, "reviewer", rv.ID, "reason", string(p.Reason))
		return []Out{Tell(rv, Blocked(c, p.Reason))}, nil
	case Unblock:
		if err := d.Store.UnblockReporter(ctx, ref, rv.ID, now); err != nil {
			return nil, fmt.Errorf("unblock reporter: %w", err)
		}
		d.Log.Info("a reporter was unblocked by a reviewer", "case", ref, "reviewer", rv.ID)
		return []Out{Tell(rv, Unblocked(c))}, nil
	case Classify:
		if p.Exploitation == "" {
			return []Out{Tell(rv, ClassifyKind(c, version))}, nil
		}
		return []Out{Tell(rv, ClassifyRisk(ref, p.Exploitation, version))}, nil
	case SetRisk:
		if err := d.Store.Classify(ctx, ref, rv.ID, p.Exploitation, p.Risk, now); err != nil {
			return d.closedOr(ctx, rv, ref, err, "classify")
		}
		d.Log.Info("case classified", "case", ref, "reviewer", rv.ID, "exploitation", string(p.Exploitation), "risk", string(p.Risk))
		if c, err = d.Store.Case(ctx, ref); err != nil {
			return nil, fmt.Errorf("load case: %w", err)
		}
		outs := []Out{Tell(rv, Classified(c))}
		// Every copy of the notification shows the classification too.
		if holder, err := d.Store.Reviewer(ctx, c.Assignment.ReviewerID); err == nil {
			marks, err := d.MarkTaken(ctx, c, holder)
			if err != nil {
				return nil, err
			}
			outs = append(outs, marks...)
		}
		return outs, nil
	case Refer:
		if c.Status == tipline.StatusClosed && c.Assignment.Outcome != tipline.OutcomePartner {
			return []Out{Tell(rv, AlreadyClosed(c))}, nil
		}
		if p.Partner == 0 {
			// One more partner: which?
			partners, err := d.Store.Partners(ctx)
			if err != nil {
				return nil, fmt.Errorf("list partners: %w", err)
			}
			return []Out{Tell(rv, ReferWhich(ref, version, partners))}, nil
		}
		pt, err := d.Store.Partner(ctx, p.Partner)
		if errors.Is(err, tipline.ErrNotFound) {
			return []Out{Tell(rv, Say("rv_partner_gone", refData(ref)))}, nil
		}
		if err != nil {
			return nil, fmt.Errorf("load partner: %w", err)
		}
		if !p.Confirmed {
			return []Out{Tell(rv, ReferConfirm(ref, pt, version))}, nil
		}
		if err := d.Store.Refer(ctx, ref, rv.ID, pt.ID, now); err != nil {
			if errors.Is(err, tipline.ErrInvalid) {
				return []Out{Tell(rv, Say("rv_partner_gone", refData(ref)))}, nil
			}
			return d.closedOr(ctx, rv, ref, err, "refer")
		}
		d.Log.Info("case referred to a partner", "case", ref, "reviewer", rv.ID, "partner", pt.ID)
		if c, err = d.Store.Case(ctx, ref); err != nil {
			return nil, fmt.Errorf("load case: %w", err)
		}
		return []Out{Tell(rv, Referred(c, pt.Name))}, nil
	case Discard:
		return d.discard(rv, c, st), nil
	case Send:
		if st.Mode != ModeReply || st.Case != ref || st.Draft == "" {
			return []Out{Tell(rv, Say("rv_nothing_to_send", refData(ref)))}, nil
		}
		draft := *st
		*st = State{}
		return d.replyToReporter(ctx, rv, c, draft.Draft, draft.DraftKey)
	case SameAs:
		*st = State{Mode: ModeSame, Case: ref, Version: version}
		return []Out{Tell(rv, Say("rv_type_same_as", refData(ref)))}, nil
	case Reopen:
		if err := d.Store.ReopenCase(ctx, ref, rv.ID, now); err != nil {
			return nil, fmt.Errorf("reopen case: %w", err)
		}
		d.Log.Info("case reopened", "case", ref, "reviewer", rv.ID)
		if c, err = d.Store.Case(ctx, ref); err != nil {
			return nil, fmt.Errorf("load case: %w", err)
		}
		return []Out{Tell(rv, Reopened(c))}, nil
	}
	return []Out{Tell(rv, Say("error_button_not_yours", nil))}, nil
}

// Queue answers "/queue" and "/queue N": page N (from 1) of the open
// cases the reviewer may take.
func (d *Desk) Queue(ctx context.Context, rv tipline.Reviewer, arg string) ([]Out, error) {
	page, err := strconv.Atoi(strings.TrimSpace(arg))
	if err != nil {
		page = 1
	}
	list, err := d.Store.Queue(ctx, rv.ID)
	if err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	return []Out{Tell(rv, QueuePage(list, d.Now(), page))}, nil
}

// Command runs a reviewer's slash command.
func (d *Desk) Command(ctx context.Context, rv tipline.Reviewer, cmd Command, st *State) ([]Out, error) {
	switch cmd {
	case CmdQueue:
		return d.Queue(ctx, rv, "")
	case CmdOncall:
		m, err := d.Router.Oncall(ctx)
		if err != nil {
			return nil, err
		}
		return []Out{Tell(rv, m)}, nil
	case CmdCancel:
		*st = State{}
		return []Out{Tell(rv, Say("rv_cancelled", nil))}, nil
	}
	return []Out{Tell(rv, Say("rv_help", nil))}, nil
}

// Text uses a reviewer's typed words as their state says: a reply to the
// reporter or an internal note, each saved once under key (the update).
func (d *Desk) Text(ctx context.Context, rv tipline.Reviewer, text, key string, st *State) ([]Out, error) {
	typed := *st
	act := map[Mode]Action{ModeReply: Reply, ModeNote: Note, ModeSame: SameAs}[typed.Mode]
	if act == "" {
		return []Out{Tell(rv, Say("rv_help", nil))}, nil
	}
	*st = State{}
	c, outs, err := d.authorizeTyped(ctx, rv, typed, act)
	if c == nil {
		return outs, err
	}
	switch act {
	case Note:
		if err := d.Store.AddNote(ctx, c.Reference, tipline.Note{Author: tipline.ReviewerActor(rv.ID), Kind: tipline.NoteInternal, Text: text, At: d.Now(), Key: key}); err != nil {
			return d.closedOr(ctx, rv, c.Reference, err, "add note")
		}
		return []Out{Tell(rv, NoteSaved(*c))}, nil
	case SameAs:
		return d.sameAs(ctx, rv, *c, text, typed, st)
	}
	return d.draftToReporter(rv, *c, text, key, typed, st)
}

// draftToReporter keeps a reviewer's words for the reporter and shows them
// back with Send and Cancel: nothing reaches a reporter on one tap or one
// slip of the Enter key. Typing again replaces the draft.
func (d *Desk) draftToReporter(rv tipline.Reviewer, c tipline.Case, text, key string, typed State, st *State) ([]Out, error) {
	if !c.ContactAllowed || c.ReporterChatID == 0 {
		return []Out{Tell(rv, Say("rv_no_contact", refData(c.Reference)))}, nil
	}
	*st = State{Mode: ModeReply, Case: c.Reference, Version: typed.Version, Draft: text, DraftKey: key}
	return []Out{Tell(rv, ReplyConfirm(c.Reference, text, typed.Version))}, nil
}

// discard drops the message a reviewer typed for the reporter of c, if
// any, and shows the case's buttons again.
func (d *Desk) discard(rv tipline.Reviewer, c tipline.Case, st *State) []Out {
	if st.Case == c.Reference && st.Mode == ModeReply {
		*st = State{}
	}
	m := Say("rv_reply_discarded", refData(c.Reference))
	m.Buttons = CaseButtons(c)
	if c.Status == tipline.StatusClosed {
		m.Buttons = reopenButtons(c)
	}
	return []Out{Tell(rv, m)}
}

// sameAs links c, as a duplicate, to the older case whose reference the
// reviewer typed. A reference mistyped or unknown is answered kindly, and
// the next text is tried again.
func (d *Desk) sameAs(ctx context.Context, rv tipline.Reviewer, c tipline.Case, text string, typed State, st *State) ([]Out, error) {
	older, err := tipline.ParseReference(strings.ToUpper(strings.TrimSpace(text)))
	if err != nil {
		*st = typed
		return []Out{Tell(rv, Say("rv_same_as_not_reference", refData(c.Reference)))}, nil
	}
	retry := func(id string) ([]Out, error) {
		*st = typed
		return []Out{Tell(rv, Say(id, map[string]any{"Reference": string(c.Reference), "Older": string(older)}))}, nil
	}
	err = d.Store.LinkDuplicate(ctx, c.Reference, older, rv.ID, d.Now())
	switch {
	case err == nil:
	case errors.Is(err, tipline.ErrNotFound):
		return retry("rv_same_as_unknown")
	case errors.Is(err, tipline.ErrInvalid):
		return retry("rv_same_as_invalid")
	default:
		return d.closedOr(ctx, rv, c.Reference, err, "link duplicate")
	}
	d.Log.Info("case linked as a duplicate", "case", c.Reference, "older", older, "reviewer", rv.ID)
	now, err := d.Store.Case(ctx, c.Reference)
	if err != nil {
		return nil, fmt.Errorf("load case: %w", err)
	}
	m := Say("rv_duplicate_linked", map[string]any{"Reference": string(c.Reference), "Older": string(older)})
	m.Buttons = reopenButtons(now)
	return []Out{Tell(rv, m)}, nil
}

// closedOr answers a storage error: a closed case (tipline.ErrClosed) is
// the reviewer's answer "already closed: reopen first", not a failure.
func (d *Desk) closedOr(ctx context.Context, rv tipline.Reviewer, ref tipline.Reference, err error, what string) ([]Out, error) {
	if !errors.Is(err, tipline.ErrClosed) {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	c, lerr := d.Store.Case(ctx, ref)
	if lerr != nil {
		return nil, fmt.Errorf("load case: %w", lerr)
	}
	return []Out{Tell(rv, AlreadyClosed(c))}, nil
}

// alone tells whether rv is the only active reviewer: nobody else could
// hear of an escalation.
func (d *Desk) alone(ctx context.Context, rv tipline.Reviewer) (bool, error) {
	all, err := d.Store.Reviewers(ctx)
	if err != nil {
		return false, fmt.Errorf("list reviewers: %w", err)
	}
	for _, r := range all {
		if r.Active && r.ID != rv.ID {
			return false, nil
		}
	}
	return true, nil
}

// replyToReporter sends a reviewer's words to the reporter, signed only
// "the Tipline team", with a button to answer. The words are saved as a
// note (keyed by the update) in the same step that queues them, so a
// failure to send loses nothing: the outbox keeps trying.
func (d *Desk) replyToReporter(ctx context.Context, rv tipline.Reviewer, c tipline.Case, text, key string) ([]Out, error) {
	ref := c.Reference
	if !c.ContactAllowed || c.ReporterChatID == 0 {
		return []Out{Tell(rv, Say("rv_no_contact", refData(ref)))}, nil
	}
	if err := d.Store.AddNote(ctx, ref, tipline.Note{Author: tipline.ReviewerActor(rv.ID), Kind: tipline.NoteToReporter, Text: text, At: d.Now(), Key: key}); err != nil {
		return nil, fmt.Errorf("save reply: %w", err)
	}
	d.Log.Info("a reviewer wrote to a reporter", "case", ref, "reviewer", rv.ID)
	return []Out{
		{To: To{ChatID: c.ReporterChatID, Lang: c.Lang}, Lane: tipline.LaneReply, Message: TeamMessage(ref, text)},
		Tell(rv, ReplySent(c)),
	}, nil
}

// authorizeTyped checks, when a reviewer's text arrives for a reply or a
// note, that they may still act on the case in the version they pressed
// for; a nil case means it was answered and the text is not used.
func (d *Desk) authorizeTyped(ctx context.Context, rv tipline.Reviewer, st State, act Action) (*tipline.Case, []Out, error) {
	c, err := d.Store.Case(ctx, st.Case)
	if errors.Is(err, tipline.ErrNotFound) {
		return nil, []Out{Tell(rv, Say("rv_case_gone", nil))}, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("load case: %w", err)
	}
	if dec := Authorize(ActorOf(rv), CaseOf(c), act, st.Version); dec != Allow {
		d.Log.Info("a reviewer's text on a case was not used", "case", c.Reference, "reviewer", rv.ID, "decision", string(dec))
		outs, err := d.answer(ctx, rv, c, dec)
		return nil, append([]Out{Tell(rv, Say("rv_not_sent", refData(c.Reference)))}, outs...), err
	}
	return &c, nil, nil
}

// answer tells a reviewer why their action on c was not carried out, and
// offers what they may do instead.
func (d *Desk) answer(ctx context.Context, rv tipline.Reviewer, c tipline.Case, dec Decision) ([]Out, error) {
	var outs []Out
	if dec == Stale {
		// An old button: show the case as it is now, if they may see it.
		outs = append(outs, Tell(rv, Say("rv_button_old", refData(c.Reference))))
		if dec = Authorize(ActorOf(rv), CaseOf(c), Details, Version(c)); dec == Allow {
			more, err := d.details(ctx, rv, c)
			return append(outs, more...), err
		}
	}
	switch dec {
	case ReopenFirst:
		outs = append(outs, Tell(rv, AlreadyClosed(c)))
	case OfferTake:
		outs = append(outs, Tell(rv, TakeFirst(c)))
	case OfferTakeOver:
		outs = append(outs, Tell(rv, CaseIsWith(c, d.name(ctx, c.Assignment.ReviewerID))))
	default:
		outs = append(outs, Tell(rv, Say("rv_not_allowed", refData(c.Reference))))
	}
	return outs, nil
}

// takeOver gives c to rv (audited by the store, with why), tells the
// reviewer who had it and every other admin at once, edits the
// notification copies and shows rv the case.
func (d *Desk) takeOver(ctx context.Context, rv tipline.Reviewer, c tipline.Case, why TakeOverWhy) ([]Out, error) {
	prev, err := d.Store.Reassign(ctx, c.Reference, rv.ID, tipline.ReviewerActor(rv.ID), d.Now())
	if errors.Is(err, tipline.ErrInvalid) {
		return []Out{Tell(rv, Say("rv_not_allowed", refData(c.Reference)))}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("take over: %w", err)
	}
	now, err := d.Store.Case(ctx, c.Reference)
	if err != nil {
		return nil, fmt.Errorf("load case: %w", err)
	}
	var outs []Out
	if prev != rv.ID {
		d.Log.Info("a reviewer took a case over", "case", c.Reference, "reviewer", rv.ID, "from", prev)
		if prev != 0 {
			told, err := d.tellTakeOver(ctx, rv, c.Reference, prev, why)
			if err != nil {
				return nil, err
			}
			outs = append(outs, told...)
		}
		marks, err := d.MarkTaken(ctx, now, rv)
		if err != nil {
			return nil, err
		}
		outs = append(outs, marks...)
	}
	more, err := d.details(ctx, rv, now)
	return append(outs, more...), err
}

// tellTakeOver records why rv took ref from the reviewer prev, and tells
// prev and every other active admin at once, so that a take-over by a
// stolen phone is seen while it happens.
func (d *Desk) tellTakeOver(ctx context.Context, rv tipline.Reviewer, ref tipline.Reference, prev int64, why TakeOverWhy) ([]Out, error) {
	if why == "" {
		why = WhyOther
	}
	if err := d.Store.RecordTakeOverWhy(ctx, ref, rv.ID, string(why)); err != nil {
		return nil, fmt.Errorf("take over: %w", err)
	}
	var outs []Out
	if was, err := d.Store.Reviewer(ctx, prev); err == nil && was.Active {
		outs = append(outs, Out{To: ToReviewer(was), Lane: tipline.LaneUrgent, Message: TakenOver(ref, rv.Name, why), Protect: true})
	}
	all, err := d.Store.Reviewers(ctx)
	if err != nil {
		return nil, fmt.Errorf("list reviewers: %w", err)
	}
	from := d.name(ctx, prev)
	for _, a := range all {
		if a.Admin && a.Active && a.ID != rv.ID && a.ID != prev {
			outs = append(outs, Out{To: ToReviewer(a), Lane: tipline.LaneUrgent, Message: TakenOverAdmin(ref, rv.Name, from, why), Protect: true})
		}
	}
	return outs, nil
}

// taken is c as Store.Acknowledge leaves it when reviewerID takes it at
// now: acknowledged, theirs since now (to the microsecond, as stored), so
// that the taker's buttons carry the version the store now has.
func taken(c tipline.Case, reviewerID int64, now time.Time) tipline.Case {
	now = now.Round(0).Truncate(time.Microsecond)
	c.Status, c.UpdatedAt = tipline.StatusAcknowledged, now
	c.Assignment.ReviewerID, c.Assignment.AcknowledgedAt = reviewerID, now
	return c
}

// MarkTaken edits every reviewer's copy of the notifications of c, as it
// is now that by has it: by gets the working buttons, the others "taken
// by NAME". The reviewers are loaded in one call, however many copies.
func (d *Desk) MarkTaken(ctx context.Context, c tipline.Case, by tipline.Reviewer) ([]Out, error) {
	ns, err := d.Store.Notifications(ctx, c.Reference)
	if err != nil {
		return nil, fmt.Errorf("list notifications: %w", err)
	}
	if len(ns) == 0 {
		return nil, nil
	}
	all, err := d.Store.Reviewers(ctx)
	if err != nil {
		return nil, fmt.Errorf("list reviewers: %w", err)
	}
	team := byID(all)
	var outs []Out
	for _, n := range ns {
		if o, ok := markOne(team, c, by, n); ok {
			outs = append(outs, o)
		}
	}
	return outs, nil
}

// byID indexes reviewers by id.
func byID(all []tipline.Reviewer) map[int64]tipline.Reviewer {
	m := make(map[int64]tipline.Reviewer, len(all))
	for _, rv := range all {
		m[rv.ID] = rv
	}
	return m
}

// markOne is the edit of one copy of a notification after the case was
// taken by by; ok=false when its reviewer is gone.
func markOne(team map[int64]tipline.Reviewer, c tipline.Case, by tipline.Reviewer, n tipline.Notification) (Out, bool) {
	rv, ok := team[n.ReviewerID]
	if !ok || !rv.Active {
		// A disabled reviewer's copy is left as it is: the edit would tell
		// whoever holds their phone now who took the case, and its kind.
		return Out{}, false
	}
	return Out{
		To:      To{Reviewer: rv.ID, ChatID: n.ChatID, Lang: rv.Lang},
		Lane:    tipline.LaneUrgent,
		Message: TakenBy(c, by.Name, rv.ID == by.ID),
		Protect: true,
		Edit:    &Edit{OutboxKey: n.OutboxKey, MessageID: n.MessageID},
	}, true
}

// details is a case for a reviewer: its answers and newest events, cut to
// one or a few messages, with buttons for the rest and for its files
// (paging.go). It never sends files: a case's files grow over its life,
// and Details is pressed again and again (take-over, stale buttons, Cancel).
func (d *Desk) details(ctx context.Context, rv tipline.Reviewer, c tipline.Case) ([]Out, error) {
	if err := d.recordRead(ctx, rv, c.Reference, readDetails); err != nil {
		return nil, err
	}
	tl, err := d.timeline(ctx, c)
	if err != nil {
		return nil, err
	}
	return []Out{Tell(rv, CaseDetails(c, tl))}, nil
}

// readPart is one part of a case's long texts for rv (Read).
func (d *Desk) readPart(ctx context.Context, rv tipline.Reviewer, c tipline.Case, page int) ([]Out, error) {
	if err := d.recordRead(ctx, rv, c.Reference, readWords); err != nil {
		return nil, err
	}
	tl, err := d.timeline(ctx, c)
	if err != nil {
		return nil, err
	}
	return []Out{Tell(rv, ReadPart(c, tl, page))}, nil
}

// timeline is a case's events with the names of the reviewers and
// partners they name, as Details shows them.
func (d *Desk) timeline(ctx context.Context, c tipline.Case) (Timeline, error) {
	events, err := d.Store.Timeline(ctx, c.Reference)
	if err != nil {
		return Timeline{}, fmt.Errorf("timeline: %w", err)
	}
	tl := Timeline{Events: events, Names: map[int64]string{}, Partners: map[int64]string{}, Location: d.Location}
	for _, e := range events {
		if id, ok := tipline.ReviewerOf(e.Actor); ok {
			if _, seen := tl.Names[id]; !seen {
				tl.Names[id] = d.name(ctx, id)
			}
		}
		if e.PartnerID != 0 {
			if pt, err := d.Store.Partner(ctx, e.PartnerID); err == nil {
				tl.Partners[pt.ID] = pt.Name
			}
		}
	}
	return tl, nil
}

// Details is the case c in full for rv, as Details shows it.
func (d *Desk) Details(ctx context.Context, rv tipline.Reviewer, c tipline.Case) ([]Out, error) {
	return d.details(ctx, rv, c)
}

// Added tells the reviewer who has a case that the reporter added to it
// or answered: their words, then their files, on the urgent lane. When
// that reviewer was disabled (a closed case stays theirs), every active
// admin is told instead: "the child is being moved tonight" must reach
// someone. Words sent by someone who opened the case with its secret code
// say so.
func (d *Desk) Added(ctx context.Context, ref tipline.Reference, a tipline.Addition) ([]Out, error) {
	c, err := d.Store.Case(ctx, ref)
	if err != nil {
		return nil, fmt.Errorf("load case: %w", err)
	}
	if c.Assignment.ReviewerID == 0 {
		return nil, nil
	}
	to, err := d.toldOfAddition(ctx, c)
	if err != nil {
		return nil, err
	}
	if len(to) == 0 {
		// Stored, but nobody would hear of it: say so loudly, never drop
		// it silently.
		d.Log.Error("information was added to a case whose reviewer is disabled, and no admin is active: give it to someone with 'tipline cases reassign' or reopen it",
			"case", ref, "status", c.Status)
		return nil, nil
	}
	role, _ := tipline.ParseActor(a.Actor)
	byCode := role == tipline.RoleFollowUp
	m := ReporterAdded(c, a.Text, byCode)
	if c.Status == tipline.StatusClosed {
		// Kept on the closed case: its reviewer hears of it, and may reopen.
		m = AddedToClosed(c, a.Text, byCode)
	}
	var outs []Out
	for _, rv := range to {
		outs = append(outs, Out{To: ToReviewer(rv), Lane: tipline.LaneUrgent, Message: m, Protect: true})
		for _, f := range a.Attachments {
			outs = append(outs, Out{To: ToReviewer(rv), Lane: tipline.LaneUrgent, Protect: true, File: &f})
		}
	}
	return outs, nil
}

// toldOfAddition is who hears of an addition to c: the reviewer who has
// it while active, else every active admin.
func (d *Desk) toldOfAddition(ctx context.Context, c tipline.Case) ([]tipline.Reviewer, error) {
	rv, err := d.Store.Reviewer(ctx, c.Assignment.ReviewerID)
	if err == nil && rv.Active {
		return []tipline.Reviewer{rv}, nil
	}
	all, err := d.Store.Reviewers(ctx)
	if err != nil {
		return nil, fmt.Errorf("list reviewers: %w", err)
	}
	var admins []tipline.Reviewer
	for _, r := range all {
		if r.Admin && r.Active {
			admins = append(admins, r)
		}
	}
	return admins, nil
}

func (d *Desk) name(ctx context.Context, id int64) string {
	r, err := d.Store.Reviewer(ctx, id)
	if err != nil {
		return "?"
	}
	return r.Name
}
