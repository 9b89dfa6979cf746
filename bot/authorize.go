package bot

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-telegram/bot/models"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/review"
	"github.com/tipline/tipline/storage"
)

// Per-case authorisation at the Telegram edge: review.Authorize decides,
// this file says what the reviewer sees when the answer is not "allow",
// and carries out a take-over.

func actorOf(rv tipline.Reviewer) review.Actor {
	return review.Actor{ID: rv.ID, Admin: rv.Admin, Active: rv.Active}
}

// answerDecision tells a reviewer why their action on c was not carried
// out, and offers what they may do instead.
func (b *Bot) answerDecision(ctx context.Context, rv tipline.Reviewer, c tipline.Case, d review.Decision, out *batch) error {
	ref := string(c.Reference)
	version := review.Version(c)
	if d == review.Stale {
		// An old button: show the case as it is now, if they may see it.
		b.toReviewer(out, rv, storage.LaneReply, b.rtext(rv, "rv_button_old", map[string]any{"Reference": ref}), nil)
		if d = review.Authorize(actorOf(rv), review.CaseOf(c), review.Details, version); d == review.Allow {
			return b.sendDetails(ctx, rv, c, out)
		}
	}
	switch d {
	case review.OfferTake:
		b.toReviewer(out, rv, storage.LaneReply, b.rtext(rv, "rv_take_first", map[string]any{"Reference": ref}),
			[][]models.InlineKeyboardButton{{{Text: b.rtext(rv, "rv_button_ack", nil), CallbackData: b.signCase(rv.TelegramID, string(review.Take)+":"+ref, version)}}})
	case review.OfferTakeOver:
		name := b.reviewerName(ctx, c.Assignment.ReviewerID)
		b.toReviewer(out, rv, storage.LaneReply, b.rtext(rv, "rv_case_is_with", map[string]any{"Reference": ref, "Name": name}),
			[][]models.InlineKeyboardButton{{{Text: b.rtext(rv, "rv_button_take_over", map[string]any{"Name": name}), CallbackData: b.signCase(rv.TelegramID, string(review.TakeOver)+":"+ref, version)}}})
	default:
		b.toReviewer(out, rv, storage.LaneReply, b.rtext(rv, "rv_not_allowed", map[string]any{"Reference": ref}), nil)
	}
	return nil
}

// takeOver gives c to rv (audited by the store), tells the reviewer who
// had it, edits the notification copies and shows rv the case.
func (b *Bot) takeOver(ctx context.Context, rv tipline.Reviewer, c tipline.Case, out *batch) error {
	prev, err := b.store.Reassign(ctx, c.Reference, rv.ID, reviewerActor(rv), b.cfg.Now())
	if errors.Is(err, storage.ErrInvalid) {
		b.toReviewer(out, rv, storage.LaneReply, b.rtext(rv, "rv_not_allowed", map[string]any{"Reference": string(c.Reference)}), nil)
		return nil
	}
	if err != nil {
		return fmt.Errorf("take over: %w", err)
	}
	if prev != rv.ID {
		b.log.Info("a reviewer took a case over", "case", c.Reference, "reviewer", rv.ID, "from", prev)
		if prev != 0 {
			if was, err := b.store.Reviewer(ctx, prev); err == nil && was.Active {
				b.toReviewer(out, was, storage.LaneUrgent, b.rtext(was, "rv_taken_over", map[string]any{"Reference": string(c.Reference), "Name": rv.Name}), nil)
			}
		}
		if err := b.markTaken(ctx, c.Reference, rv, out); err != nil {
			return err
		}
	}
	now, err := b.store.Case(ctx, c.Reference)
	if err != nil {
		return fmt.Errorf("load case: %w", err)
	}
	return b.sendDetails(ctx, rv, now, out)
}

// authorizeTyped checks, when a reviewer's text arrives for a reply or a
// note, that they may still act on the case in the version they pressed
// for; ok=false means it was answered and the text is not used.
func (b *Bot) authorizeTyped(ctx context.Context, rv tipline.Reviewer, st reviewerState, act review.Action, out *batch) (tipline.Case, bool, error) {
	c, err := b.store.Case(ctx, st.Case)
	if errors.Is(err, tipline.ErrNotFound) {
		b.toReviewer(out, rv, storage.LaneReply, b.rtext(rv, "rv_case_gone", nil), nil)
		return c, false, nil
	}
	if err != nil {
		return c, false, fmt.Errorf("load case: %w", err)
	}
	if d := review.Authorize(actorOf(rv), review.CaseOf(c), act, st.Version); d != review.Allow {
		b.log.Info("a reviewer's text on a case was not used", "case", c.Reference, "reviewer", rv.ID, "decision", string(d))
		b.toReviewer(out, rv, storage.LaneReply, b.rtext(rv, "rv_not_sent", map[string]any{"Reference": string(c.Reference)}), nil)
		return c, false, b.answerDecision(ctx, rv, c, d, out)
	}
	return c, true, nil
}
