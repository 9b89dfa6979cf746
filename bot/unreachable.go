package bot

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/outbox"
	"github.com/tipline/tipline/reply"
	"github.com/tipline/tipline/review"
)

// An unreachable reviewer costs seconds (G17). When Telegram refuses a
// message for good because the chat cannot be reached (403: the person
// blocked the bot or the account is gone; 400: chat not found), or tells
// us the person blocked the bot (my_chat_member), a reviewer is marked
// unreachable: the cases sent to them move to the next level at once,
// routing passes them over, and the admins are told. Writing to the bot
// again, or unblocking it, lifts the mark.

// chatGone handles a chat Telegram will not reach: a reviewer's is marked
// unreachable. A reporter's chat needs nothing here: what was queued to it
// is set aside entry by entry.
func (b *Bot) chatGone(ctx context.Context, chatID int64) error {
	rv, err := b.store.ReviewerByTelegram(ctx, chatID)
	if errors.Is(err, tipline.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("find reviewer: %w", err)
	}
	if !rv.Active {
		return nil // a disabled reviewer is sent nothing anyway
	}
	return b.reviewerGone(ctx, rv)
}

// reviewerGone marks a reviewer unreachable, moves their waiting cases on
// and tells the admins, once however many refusals come in.
func (b *Bot) reviewerGone(ctx context.Context, rv tipline.Reviewer) error {
	now := b.cfg.Now()
	notices, err := b.adminNotices(ctx, rv, review.ReviewerUnreachable(rv),
		"unreachable:"+strconv.FormatInt(rv.ID, 10)+":"+strconv.FormatInt(now.UnixMicro(), 10))
	if err != nil {
		return err
	}
	marked, moved, err := b.store.MarkUnreachable(ctx, rv.ID, now, notices.Entries)
	if err != nil {
		return fmt.Errorf("mark reviewer unreachable: %w", err)
	}
	if marked {
		b.log.Warn("a reviewer cannot be reached in Telegram; routing passes them over until they write again",
			"reviewer", rv.ID, "admins_told", len(notices.Entries))
		b.sender.Wake()
	}
	if len(moved) > 0 {
		b.log.Warn("cases sent to an unreachable reviewer move to the next level now", "reviewer", rv.ID, "cases", len(moved))
		b.RouteSoon()
	}
	return nil
}

// reviewerBack lifts a reviewer's unreachable mark when they write to (or
// unblock) the bot, and tells the admins in out.
func (b *Bot) reviewerBack(ctx context.Context, rv tipline.Reviewer, out *outbox.Batch) error {
	was, err := b.store.MarkReachable(ctx, rv.ID)
	if err != nil {
		return fmt.Errorf("mark reviewer reachable: %w", err)
	}
	if !was {
		return nil
	}
	b.log.Info("an unreachable reviewer can be reached again", "reviewer", rv.ID)
	notices, err := b.adminNotices(ctx, rv, review.ReviewerReachable(rv), out.Prefix()+":reachable")
	if err != nil {
		return err
	}
	out.Entries = append(out.Entries, notices.Entries...)
	return nil
}

// adminNotices queues m to every active, reachable admin but rv, on the
// urgent lane: who can be told about a person the team is missing.
func (b *Bot) adminNotices(ctx context.Context, rv tipline.Reviewer, m reply.Message, prefix string) (*outbox.Batch, error) {
	all, err := b.store.Reviewers(ctx)
	if err != nil {
		return nil, fmt.Errorf("list reviewers: %w", err)
	}
	out := b.newBatch(prefix)
	var outs []review.Out
	for _, a := range all {
		if a.Admin && a.Active && a.Reachable() && a.ID != rv.ID {
			outs = append(outs, review.Out{To: review.ToReviewer(a), Lane: tipline.LaneUrgent, Message: m, Protect: true})
		}
	}
	if len(outs) == 0 {
		b.log.Error("no admin can be told about an unreachable reviewer; see 'tipline reviewers list'", "reviewer", rv.ID)
	}
	b.queueOuts(out, outs)
	return out, nil
}
