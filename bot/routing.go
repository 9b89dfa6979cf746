package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/flows"
	"github.com/tipline/tipline/oncall"
	"github.com/tipline/tipline/review"
)

// Routing: a submitted case has a job from the moment it is stored (in the
// same transaction). A job notifies the reviewers of its level and
// schedules the next level; an acknowledgement deletes the pending jobs. A
// periodic check makes sure no open case is left without a job (G4).

func (b *Bot) routeSoon() {
	select {
	case b.routeWake <- struct{}{}:
	default:
	}
}

// routeLoop runs due routing jobs until ctx ends.
func (b *Bot) routeLoop(ctx context.Context) {
	lastCheck := time.Time{}
	for ctx.Err() == nil {
		b.RunDueJobs(ctx)
		if now := b.cfg.Now(); now.Sub(lastCheck) >= b.cfg.UnroutedCheck {
			lastCheck = now
			b.CheckUnrouted(ctx)
		}
		select {
		case <-ctx.Done():
			return
		case <-b.routeWake:
		case <-time.After(b.cfg.RouteTick):
		}
	}
}

// RunDueJobs runs the routing jobs that are due now, once.
func (b *Bot) RunDueJobs(ctx context.Context) {
	for ctx.Err() == nil {
		jobs, err := b.store.ClaimDueJobs(ctx, b.owner, b.cfg.Now(), b.cfg.Lease, 10)
		if err != nil {
			if ctx.Err() == nil {
				b.log.Error("cannot read routing jobs; retrying", "err", err)
			}
			return
		}
		if len(jobs) == 0 {
			return
		}
		for _, j := range jobs {
			jctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), b.cfg.Lease)
			if err := b.runJob(jctx, j); err != nil {
				b.log.Error("routing job failed; it will be retried", "case", j.Reference, "level", j.Level, "err", err)
				if rerr := b.store.ReleaseJob(jctx, j.ID); rerr != nil {
					b.log.Error("release routing job", "err", rerr)
				}
			}
			cancel()
		}
	}
}

func (b *Bot) runJob(ctx context.Context, j tipline.Job) error {
	c, err := b.store.Case(ctx, j.Reference)
	if errors.Is(err, tipline.ErrNotFound) {
		return b.store.CompleteJob(ctx, j.ID, nil)
	}
	if err != nil {
		return fmt.Errorf("load case: %w", err)
	}
	if c.Status != tipline.StatusReceived {
		return b.store.CompleteJob(ctx, j.ID, nil)
	}
	rota, err := b.rota(ctx)
	if err != nil {
		return err
	}
	all, err := b.store.Reviewers(ctx)
	if err != nil {
		return fmt.Errorf("list reviewers: %w", err)
	}
	now := b.cfg.Now()
	to, reason := oncall.Recipients(rota, j.Level, now, all)
	if len(to) == 0 {
		b.log.Error("NO REVIEWERS: a case is stored but nobody can be notified; register reviewers with 'tipline reviewers invite'",
			"case", c.Reference, "urgency", c.Urgency)
	}
	for _, rv := range to {
		text := b.rtext(rv, "rv_new_case", map[string]any{
			"Reference": string(c.Reference),
			"Kind":      b.rtext(rv, "kind_"+string(c.Kind), nil),
			"Urgency":   b.rtext(rv, "rv_urgency_"+string(c.Urgency), nil),
			"Area":      area(c),
			"Age":       age(now.Sub(c.CreatedAt)),
		})
		if j.Level > 0 {
			text = b.rtext(rv, "rv_escalation", map[string]any{"Level": j.Level}) + "\n" + text
		}
		id, err := b.sendProtected(ctx, rv.TelegramID, text, b.caseButtons(rv, c))
		if err != nil {
			if errors.Is(err, tgbot.ErrorForbidden) {
				b.log.Error("a reviewer cannot be reached (blocked the bot?)", "reviewer", rv.ID)
				continue
			}
			return fmt.Errorf("notify reviewer %d: %w", rv.ID, err)
		}
		n := tipline.Notification{ReviewerID: rv.ID, ChatID: rv.TelegramID, MessageID: id}
		if err := b.store.AddNotification(ctx, c.Reference, n); err != nil {
			return fmt.Errorf("record notification: %w", err)
		}
		// Taken while this went out? The taker's edit may have missed this
		// copy (it lists the copies recorded when it ran): edit it now.
		if now, err := b.store.Case(ctx, c.Reference); err == nil && now.Assignment.ReviewerID != 0 {
			if by, err := b.store.Reviewer(ctx, now.Assignment.ReviewerID); err == nil {
				b.markOne(ctx, now, by, n)
			}
		}
	}
	b.log.Info("reviewers notified", "case", c.Reference, "level", j.Level, "who", reason, "count", len(to))
	var next *tipline.Job
	if lvl, after, ok := b.cfg.Policy.Next(j.Level, c.Urgency); ok {
		next = &tipline.Job{Reference: c.Reference, Level: lvl, RunAt: now.Add(after)}
	}
	return b.store.CompleteJob(ctx, j.ID, next)
}

// area is where a case happened, as far as a short notification may say:
// the typed place, cut short, or "location shared".
func area(c tipline.Case) string {
	for _, k := range []string{flows.AnswerWhere, flows.AnswerSeenWhere} {
		if v := c.Answers[k]; v != "" {
			return flows.Quote(v, 40)
		}
	}
	if c.Location != nil {
		return fmt.Sprintf("📍 %.3f, %.3f", c.Location.Latitude, c.Location.Longitude)
	}
	return "—"
}

func (b *Bot) rota(ctx context.Context) (oncall.Rota, error) {
	var r oncall.Rota
	doc, err := b.store.LoadRota(ctx)
	if errors.Is(err, tipline.ErrNotFound) {
		return r, nil
	}
	if err != nil {
		return r, fmt.Errorf("load rota: %w", err)
	}
	if err := json.Unmarshal(doc, &r); err != nil {
		return r, fmt.Errorf("load rota: %w", err)
	}
	return r, nil
}

// oncallText says who is on call now, for /oncall and `tipline oncall show`.
func (b *Bot) oncallText(ctx context.Context) (string, error) {
	rota, err := b.rota(ctx)
	if err != nil {
		return "", err
	}
	all, err := b.store.Reviewers(ctx)
	if err != nil {
		return "", fmt.Errorf("list reviewers: %w", err)
	}
	names := map[int64]string{}
	for _, r := range all {
		names[r.ID] = r.Name
	}
	return rota.Describe(b.cfg.Now(), names), nil
}

// markTaken edits every reviewer's copy of a case's notifications: the one
// who took it gets the working buttons, the others "taken by NAME".
func (b *Bot) markTaken(ctx context.Context, ref tipline.Reference, by tipline.Reviewer) {
	c, err := b.store.Case(ctx, ref)
	if err != nil {
		b.log.Error("load case", "case", ref, "err", err)
		return
	}
	ns, err := b.store.Notifications(ctx, ref)
	if err != nil {
		b.log.Error("list notifications", "case", ref, "err", err)
		return
	}
	for _, n := range ns {
		b.markOne(ctx, c, by, n)
	}
}

// markOne edits one copy of a notification after the case was taken.
func (b *Bot) markOne(ctx context.Context, c tipline.Case, by tipline.Reviewer, n tipline.Notification) {
	ref := c.Reference
	rv, err := b.store.Reviewer(ctx, n.ReviewerID)
	if err != nil {
		return
	}
	text := b.rtext(rv, "rv_taken_by", map[string]any{"Reference": string(ref), "Name": by.Name})
	var markup *models.InlineKeyboardMarkup
	if rv.ID == by.ID {
		markup = &models.InlineKeyboardMarkup{InlineKeyboard: b.caseButtons(rv, c)}
	}
	err = b.send.call(ctx, "editMessageText", n.ChatID, func(ctx context.Context) error {
		p := &tgbot.EditMessageTextParams{ChatID: n.ChatID, MessageID: n.MessageID, Text: text}
		if markup != nil {
			p.ReplyMarkup = markup
		}
		_, err := b.api.EditMessageText(ctx, p)
		return err
	})
	if err != nil && !notModified(err) {
		b.log.Warn("edit a notification", "case", ref, "err", err)
	}
}

// sendDetails sends a reviewer every answer of a case and its files, all
// protected from forwarding.
func (b *Bot) sendDetails(ctx context.Context, rv tipline.Reviewer, c tipline.Case) error {
	var lines []string
	lines = append(lines, b.rtext(rv, "rv_details_title", map[string]any{
		"Reference": string(c.Reference),
		"Kind":      b.rtext(rv, "kind_"+string(c.Kind), nil),
		"Urgency":   b.rtext(rv, "rv_urgency_"+string(c.Urgency), nil),
		"Status":    b.rtext(rv, "status_"+string(c.Status), nil),
	}))
	for _, k := range flows.AnswerOrder(c.Kind) {
		v, ok := c.Answers[k]
		if !ok {
			continue
		}
		if id := "answer_" + k + "_" + v; b.render.cat.Has(rv.Lang, id) {
			v = b.rtext(rv, id, nil)
		}
		lines = append(lines, b.rtext(rv, "summary_"+k, nil)+": "+v)
	}
	if e := c.Answers["edits"]; e != "" {
		lines = append(lines, b.rtext(rv, "rv_edits", nil)+": "+e)
	}
	if c.Location != nil {
		lines = append(lines, fmt.Sprintf("📍 %.5f, %.5f", c.Location.Latitude, c.Location.Longitude))
	}
	contact := "rv_contact_no"
	if c.ContactAllowed && c.ReporterChatID != 0 {
		contact = "rv_contact_yes"
	}
	lines = append(lines, b.rtext(rv, contact, nil))
	for _, a := range c.Additions {
		if a.Text != "" {
			lines = append(lines, b.rtext(rv, "rv_addition", nil)+": "+a.Text)
		}
	}
	notes, err := b.store.Notes(ctx, c.Reference)
	if err != nil {
		return fmt.Errorf("notes: %w", err)
	}
	for _, n := range notes {
		lines = append(lines, b.rtext(rv, "rv_note_"+n.Kind, nil)+": "+n.Text)
	}
	rows := b.caseButtons(rv, c)
	if c.Status == tipline.StatusClosed {
		rows = [][]models.InlineKeyboardButton{{{Text: b.rtext(rv, "rv_button_reopen", nil), CallbackData: b.signCase(rv.TelegramID, "reopen:"+string(c.Reference), review.Version(c))}}}
	}
	for i, part := range splitLong(strings.Join(lines, "\n")) {
		var r [][]models.InlineKeyboardButton
		if i == len(splitLong(strings.Join(lines, "\n")))-1 {
			r = rows
		}
		if _, err := b.sendProtected(ctx, rv.TelegramID, part, r); err != nil {
			return err
		}
	}
	files := c.Attachments
	for _, a := range c.Additions {
		files = append(files, a.Attachments...)
	}
	for _, a := range files {
		if err := b.sendFile(ctx, rv.TelegramID, a); err != nil {
			b.log.Warn("re-send a file to a reviewer", "case", c.Reference, "err", err)
		}
	}
	return nil
}

func (b *Bot) sendFile(ctx context.Context, chatID int64, a tipline.Attachment) error {
	file := &models.InputFileString{Data: a.FileID}
	return b.send.call(ctx, "send"+a.Kind, chatID, func(ctx context.Context) error {
		var err error
		switch a.Kind {
		case tipline.AttachVoice:
			_, err = b.api.SendVoice(ctx, &tgbot.SendVoiceParams{ChatID: chatID, Voice: file, ProtectContent: true})
		case tipline.AttachVideo:
			_, err = b.api.SendVideo(ctx, &tgbot.SendVideoParams{ChatID: chatID, Video: file, ProtectContent: true})
		default:
			_, err = b.api.SendPhoto(ctx, &tgbot.SendPhotoParams{ChatID: chatID, Photo: file, ProtectContent: true})
		}
		return err
	})
}

// CheckUnrouted finds open, unacknowledged cases with no notification
// scheduled (G4), says so loudly, and notifies everyone about them.
func (b *Bot) CheckUnrouted(ctx context.Context) {
	refs, err := b.store.UnroutedCases(ctx)
	if err != nil {
		if ctx.Err() == nil {
			b.log.Error("check for forgotten cases", "err", err)
		}
		return
	}
	for _, ref := range refs {
		b.log.Error("FORGOTTEN CASE: open and unacknowledged with nothing scheduled; notifying everyone", "case", ref)
		if err := b.store.ScheduleJob(ctx, tipline.Job{Reference: ref, Level: int(oncall.Everyone), RunAt: b.cfg.Now()}); err != nil {
			b.log.Error("schedule a forgotten case", "case", ref, "err", err)
		}
	}
	if len(refs) > 0 {
		b.routeSoon()
	}
}

// notifyAssigned tells the reviewer who has a case that the reporter added
// to it or answered.
func (b *Bot) notifyAssigned(ctx context.Context, ref tipline.Reference, a tipline.Addition) {
	c, err := b.store.Case(ctx, ref)
	if err != nil || c.Assignment.ReviewerID == 0 {
		return
	}
	rv, err := b.store.Reviewer(ctx, c.Assignment.ReviewerID)
	if err != nil || !rv.Active {
		// Stored, but nobody would hear of it: say so loudly, never drop
		// it silently (a disabled reviewer's open cases go back to routing;
		// a closed one stays theirs).
		b.log.Error("information was added to a case whose reviewer is disabled: give it to someone with 'tipline cases reassign' or reopen it",
			"case", ref, "status", c.Status)
		return
	}
	text := b.rtext(rv, "rv_reporter_added", map[string]any{"Reference": string(ref)})
	if a.Text != "" {
		text += "\n\n" + flows.Quote(a.Text, 3000)
	}
	if err := b.sendReviewer(ctx, rv, text, b.caseButtons(rv, c)); err != nil {
		b.log.Warn("tell the reviewer of an addition", "case", ref, "err", err)
	}
	for _, f := range a.Attachments {
		if err := b.sendFile(ctx, rv.TelegramID, f); err != nil {
			b.log.Warn("forward an added file to the reviewer", "case", ref, "err", err)
		}
	}
}
