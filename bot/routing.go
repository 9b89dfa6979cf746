package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/flows"
	"github.com/tipline/tipline/oncall"
	"github.com/tipline/tipline/reply"
	"github.com/tipline/tipline/review"
	"github.com/tipline/tipline/storage"
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
				if rerr := b.store.ReleaseJob(jctx, j.ID, b.owner); rerr != nil {
					b.log.Error("release routing job", "err", rerr)
				}
			}
			cancel()
		}
	}
}

// runJob notifies the reviewers of a job's level and schedules the next
// level, queueing the notifications in the transaction that completes the
// job: a job run twice (a crash, a take-over) notifies once.
func (b *Bot) runJob(ctx context.Context, j tipline.Job) error {
	complete := func(next *tipline.Job, entries []storage.OutboxEntry) error {
		err := b.store.CompleteJob(ctx, j.ID, b.owner, next, entries)
		if errors.Is(err, storage.ErrNotHolder) {
			return nil // another process has it now
		}
		return err
	}
	c, err := b.store.Case(ctx, j.Reference)
	if errors.Is(err, tipline.ErrNotFound) {
		return complete(nil, nil)
	}
	if err != nil {
		return fmt.Errorf("load case: %w", err)
	}
	if c.Status != tipline.StatusReceived {
		return complete(nil, nil)
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
	out := b.newBatch("job:" + strconv.FormatInt(j.ID, 10))
	var keys []string
	for _, rv := range to {
		text := newCaseText(b.render, rv.Lang, c, now)
		if j.Level > 0 {
			text = b.rtext(rv, "rv_escalation", map[string]any{"Level": j.Level}) + "\n" + text
		}
		key := b.toReviewer(out, rv, storage.LaneUrgent, text, b.caseButtons(rv, c))
		n := tipline.Notification{ReviewerID: rv.ID, ChatID: rv.TelegramID, OutboxKey: key}
		if err := b.store.AddNotification(ctx, c.Reference, n); err != nil {
			return fmt.Errorf("record notification: %w", err)
		}
		keys = append(keys, key)
	}
	var next *tipline.Job
	if lvl, after, ok := b.cfg.Policy.Next(j.Level, c.Urgency); ok {
		next = &tipline.Job{Reference: c.Reference, Level: lvl, RunAt: now.Add(after)}
	}
	if err := complete(next, out.entries); err != nil {
		return err
	}
	signal(b.outWake)
	b.log.Info("reviewers notified", "case", c.Reference, "level", j.Level, "who", reason, "count", len(to))
	// Taken while this was decided? The taker's edits may have missed these
	// copies (they list the copies recorded when they ran): edit them too.
	if now, err := b.store.Case(ctx, c.Reference); err == nil && now.Assignment.ReviewerID != 0 {
		if by, err := b.store.Reviewer(ctx, now.Assignment.ReviewerID); err == nil {
			late := b.newBatch("job:" + strconv.FormatInt(j.ID, 10) + ":taken")
			ns, err := b.store.Notifications(ctx, c.Reference)
			if err == nil {
				for _, n := range ns {
					if slices.Contains(keys, n.OutboxKey) {
						b.markOne(ctx, now, by, n, late)
					}
				}
				if err := b.store.OutboxAdd(ctx, late.entries); err != nil {
					b.log.Warn("could not mark late notifications as taken", "case", c.Reference, "err", err)
				}
			}
		}
	}
	return nil
}

// newCaseText is the notification of a new case, in a reviewer's language.
func newCaseText(r renderer, lang string, c tipline.Case, now time.Time) string {
	return r.text(lang, flows.Text{ID: "rv_new_case", Data: map[string]any{
		"Reference": string(c.Reference),
		"Kind":      flows.Text{ID: "kind_" + string(c.Kind)},
		"Urgency":   flows.Text{ID: "rv_urgency_" + string(c.Urgency)},
		"Area":      area(c),
		"Age":       reply.Elapsed(now.Sub(c.CreatedAt)),
	}})
}

// area is where a case happened, as far as a short notification may say:
// the typed place, cut short, or a map link to the point shared.
func area(c tipline.Case) any {
	for _, k := range []string{flows.AnswerWhere, flows.AnswerSeenWhere} {
		if v := c.Answers[k]; v != "" {
			return flows.Quote(v, 40)
		}
	}
	if c.Location != nil {
		return reply.MapLink{Lat: c.Location.Latitude, Lon: c.Location.Longitude}
	}
	return flows.Text{ID: "summary_skipped"}
}

// caseAnswerLines are a case's answers as a reviewer reads them: labels of
// their own ("What the reporter saw", not "What you saw"), the buttons'
// words, ages, dates and phone numbers written in the reviewer's language
// by the catalogue, the reporter's words as they are, and a map link.
func caseAnswerLines(r renderer, lang string, c tipline.Case) []string {
	line := func(label string, value any) string {
		return r.text(lang, flows.Text{ID: "summary_line", Data: map[string]any{"Label": flows.Text{ID: label}, "Value": value}})
	}
	var lines []string
	for _, k := range flows.Questionnaire(c.Kind) {
		if v, ok := c.Answers[k]; ok {
			lines = append(lines, line("rv_label_"+k, flows.AnswerValue(k, v)))
		}
	}
	if w := c.Answers[flows.AnswerWritten]; w != "" {
		lines = append(lines, line("rv_label_written", w))
	}
	if e := c.Answers["edits"]; e != "" {
		lines = append(lines, line("rv_edits", e))
	}
	if c.Location != nil {
		lines = append(lines, r.cat.Render(lang, reply.Text{ID: "format_map_link", Data: map[string]any{"URL": reply.MapURL(c.Location.Latitude, c.Location.Longitude)}}))
	}
	return lines
}

func (b *Bot) rota(ctx context.Context) (oncall.Rota, error) {
	doc, err := b.store.LoadRota(ctx)
	if errors.Is(err, tipline.ErrNotFound) {
		return oncall.Rota{}, nil
	}
	if err != nil {
		return oncall.Rota{}, fmt.Errorf("load rota: %w", err)
	}
	return oncall.DecodeRota(doc)
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
	return rota.Describe(b.cfg.Now(), all), nil
}

// markTaken queues edits of every reviewer's copy of a case's
// notifications: the one who took it gets the working buttons, the others
// "taken by NAME".
func (b *Bot) markTaken(ctx context.Context, ref tipline.Reference, by tipline.Reviewer, out *batch) error {
	c, err := b.store.Case(ctx, ref)
	if err != nil {
		return fmt.Errorf("load case: %w", err)
	}
	ns, err := b.store.Notifications(ctx, ref)
	if err != nil {
		return fmt.Errorf("list notifications: %w", err)
	}
	for _, n := range ns {
		b.markOne(ctx, c, by, n, out)
	}
	return nil
}

// markOne queues the edit of one copy of a notification after the case
// was taken.
func (b *Bot) markOne(ctx context.Context, c tipline.Case, by tipline.Reviewer, n tipline.Notification, out *batch) {
	ref := c.Reference
	rv, err := b.store.Reviewer(ctx, n.ReviewerID)
	if err != nil {
		return
	}
	text := b.rtext(rv, "rv_taken_by", map[string]any{"Reference": string(ref), "Name": by.Name})
	var rows [][]models.InlineKeyboardButton
	if rv.ID == by.ID {
		rows = b.caseButtons(rv, c)
	}
	out.edit(n.ChatID, storage.LaneUrgent, n.OutboxKey, n.MessageID, text, rows)
}

// sendDetails queues every answer of a case and its files for a reviewer,
// all protected from forwarding: the words first, the files after, on the
// bulk lane, each its own outbox entry so a failure resumes where it was.
func (b *Bot) sendDetails(ctx context.Context, rv tipline.Reviewer, c tipline.Case, out *batch) error {
	var lines []string
	lines = append(lines, b.rtext(rv, "rv_details_title", map[string]any{
		"Reference": string(c.Reference),
		"Kind":      b.rtext(rv, "kind_"+string(c.Kind), nil),
		"Urgency":   b.rtext(rv, "rv_urgency_"+string(c.Urgency), nil),
		"Status":    b.rtext(rv, "status_"+string(c.Status), nil),
	}))
	lines = append(lines, caseAnswerLines(b.render, rv.Lang, c)...)
	contact := "rv_contact_no"
	if c.ContactAllowed && c.ReporterChatID != 0 {
		contact = "rv_contact_yes"
	}
	lines = append(lines, b.rtext(rv, contact, nil))
	for _, a := range c.Additions {
		if a.Text != "" {
			lines = append(lines, b.rtext(rv, "summary_line", map[string]any{"Label": b.rtext(rv, "rv_addition", nil), "Value": a.Text}))
		}
	}
	notes, err := b.store.Notes(ctx, c.Reference)
	if err != nil {
		return fmt.Errorf("notes: %w", err)
	}
	for _, n := range notes {
		lines = append(lines, b.rtext(rv, "summary_line", map[string]any{"Label": b.rtext(rv, "rv_note_"+n.Kind, nil), "Value": n.Text}))
	}
	rows := b.caseButtons(rv, c)
	if c.Status == tipline.StatusClosed {
		rows = [][]models.InlineKeyboardButton{{{Text: b.rtext(rv, "rv_button_reopen", nil), CallbackData: b.signCase(rv.TelegramID, "reopen:"+string(c.Reference), review.Version(c))}}}
	}
	parts := splitLong(strings.Join(lines, "\n"))
	for i, part := range parts {
		var r [][]models.InlineKeyboardButton
		if i == len(parts)-1 {
			r = rows
		}
		b.toReviewer(out, rv, storage.LaneReply, part, r)
	}
	files := c.Attachments
	for _, a := range c.Additions {
		files = append(files, a.Attachments...)
	}
	for _, a := range files {
		out.file(rv.TelegramID, storage.LaneBulk, a.Kind, a.FileID)
	}
	return nil
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
func (b *Bot) notifyAssigned(ctx context.Context, ref tipline.Reference, a tipline.Addition, out *batch) error {
	c, err := b.store.Case(ctx, ref)
	if err != nil {
		return fmt.Errorf("load case: %w", err)
	}
	if c.Assignment.ReviewerID == 0 {
		return nil
	}
	rv, err := b.store.Reviewer(ctx, c.Assignment.ReviewerID)
	if err != nil || !rv.Active {
		// Stored, but nobody would hear of it: say so loudly, never drop
		// it silently (a disabled reviewer's open cases go back to routing;
		// a closed one stays theirs).
		b.log.Error("information was added to a case whose reviewer is disabled: give it to someone with 'tipline cases reassign' or reopen it",
			"case", ref, "status", c.Status)
		return nil
	}
	text := b.rtext(rv, "rv_reporter_added", map[string]any{"Reference": string(ref)})
	if a.Text != "" {
		text += "\n\n" + flows.Quote(a.Text, 3000)
	}
	b.toReviewer(out, rv, storage.LaneUrgent, text, b.caseButtons(rv, c))
	for _, f := range a.Attachments {
		out.file(rv.TelegramID, storage.LaneUrgent, f.Kind, f.FileID)
	}
	return nil
}
