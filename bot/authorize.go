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
func (b *Bot) answerDecision(ctx context.Context, rv tipline.Reviewer, c tipline.Case, d review.Decision) error {
	ref := string(c.Reference)
	version := review.Version(c)
	if d == review.Stale {
		// An old button: show the case as it is now, if they may see it.
		if err := b.sendReviewer(ctx, rv, b.rtext(rv, "rv_button_old", map[string]any{"Reference": ref}), nil); err != nil {
			return err
		}
		if d = review.Authorize(actorOf(rv), review.CaseOf(c), review.Details, version); d == review.Allow {
			return b.sendDetails(ctx, rv, c)
		}
	}
	switch d {
	case review.OfferTake:
		return b.sendReviewer(ctx, rv, b.rtext(rv, "rv_take_first", map[string]any{"Reference": ref}),
			[][]models.InlineKeyboardButton{{{Text: b.rtext(rv, "rv_button_ack", nil), CallbackData: b.signCase(rv.TelegramID, string(review.Take)+":"+ref, version)}}})
	case review.OfferTakeOver:
		name := b.reviewerName(ctx, c.Assignment.ReviewerID)
		return b.sendReviewer(ctx, rv, b.rtext(rv, "rv_case_is_with", map[string]any{"Reference": ref, "Name": name}),
			[][]models.InlineKeyboardButton{{{Text: b.rtext(rv, "rv_button_take_over", map[string]any{"Name": name}), CallbackData: b.signCase(rv.TelegramID, string(review.TakeOver)+":"+ref, version)}}})
	default:
		return b.sendReviewer(ctx, rv, b.rtext(rv, "rv_not_allowed", map[string]any{"Reference": ref}), nil)
	}
}

// takeOver gives c to rv (audited by the store), tells the reviewer who
// had it, edits the notification copies and shows rv the case.
func (b *Bot) takeOver(ctx context.Context, rv tipline.Reviewer, c tipline.Case) error {
	prev, err := b.store.Reassign(ctx, c.Reference, rv.ID, reviewerActor(rv), b.cfg.Now())
	if errors.Is(err, storage.ErrInvalid) {
		return b.sendReviewer(ctx, rv, b.rtext(rv, "rv_not_allowed", map[string]any{"Reference": string(c.Reference)}), nil)
	}
	if err != nil {
		return fmt.Errorf("take over: %w", err)
	}
	if prev != rv.ID {
		b.log.Info("a reviewer took a case over", "case", c.Reference, "reviewer", rv.ID, "from", prev)
		if prev != 0 {
			if was, err := b.store.Reviewer(ctx, prev); err == nil && was.Active {
				if err := b.sendReviewer(ctx, was, b.rtext(was, "rv_taken_over", map[string]any{"Reference": string(c.Reference), "Name": rv.Name}), nil); err != nil {
					b.log.Warn("tell a reviewer their case was taken over", "case", c.Reference, "err", err)
				}
			}
		}
		b.markTaken(ctx, c.Reference, rv)
	}
	now, err := b.store.Case(ctx, c.Reference)
	if err != nil {
		return fmt.Errorf("load case: %w", err)
	}
	return b.sendDetails(ctx, rv, now)
}

// authorizeTyped checks, when a reviewer's text arrives for a reply or a
// note, that they may still act on the case in the version they pressed
// for; ok=false means it was answered and the text is not used.
func (b *Bot) authorizeTyped(ctx context.Context, rv tipline.Reviewer, st reviewerState, act review.Action) (tipline.Case, bool, error) {
	c, err := b.store.Case(ctx, st.Case)
	if errors.Is(err, tipline.ErrNotFound) {
		return c, false, b.sendReviewer(ctx, rv, b.rtext(rv, "rv_case_gone", nil), nil)
	}
	if err != nil {
		return c, false, fmt.Errorf("load case: %w", err)
	}
	if d := review.Authorize(actorOf(rv), review.CaseOf(c), act, st.Version); d != review.Allow {
		b.log.Info("a reviewer's text on a case was not used", "case", c.Reference, "reviewer", rv.ID, "decision", string(d))
		if err := b.sendReviewer(ctx, rv, b.rtext(rv, "rv_not_sent", map[string]any{"Reference": string(c.Reference)}), nil); err != nil {
			return c, false, err
		}
		return c, false, b.answerDecision(ctx, rv, c, d)
	}
	return c, true, nil
}
