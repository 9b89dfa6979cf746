package storage

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/tipline/tipline"
)

// Timeline returns a case's story in time order, for the reviewer's
// Details: the report, what the reporter added, messages each way, notes,
// who took it, escalations, reassignments, classification, closes (with
// the partner or the older case), reopenings, links of duplicates and
// blocks, each with its time and actor and its words opened. Reporters
// appear as "reporter" or "followup", never by pseudonym. It gives
// tipline.ErrNotFound for an unknown case.
func (p *Postgres) Timeline(ctx context.Context, ref tipline.Reference) ([]tipline.Event, error) {
	c, err := p.Case(ctx, ref)
	if err != nil {
		return nil, fmt.Errorf("timeline of case %s: %w", ref, err)
	}
	notes, err := p.Notes(ctx, ref)
	if err != nil {
		return nil, fmt.Errorf("timeline of case %s: %w", ref, err)
	}
	audit, err := p.Audit(ctx, ref)
	if err != nil {
		return nil, fmt.Errorf("timeline of case %s: %w", ref, err)
	}
	return buildTimeline(c, notes, audit), nil
}

// timelineActor hides a reporter's pseudonym: "reporter:<p>" becomes
// "reporter", "followup:<p>" "followup".
func timelineActor(actor string) string {
	role, _, _ := strings.Cut(actor, ":")
	if role == "reporter" || role == "followup" {
		return role
	}
	return actor
}

// buildTimeline merges a case, its notes and its audit trail into one
// story, in time order (the report first among events at the same time).
func buildTimeline(c tipline.Case, notes []tipline.Note, audit []tipline.AuditEvent) []tipline.Event {
	report := tipline.Event{At: c.SubmittedAt, Kind: tipline.EventReported, Actor: "reporter", Text: c.Answers["what"]}
	for _, a := range c.Attachments {
		if a.Question != QuestionAddition {
			report.Attachments++
		}
	}
	events := []tipline.Event{report}
	lastClosed := -1
	for _, e := range audit {
		ev := tipline.Event{At: e.At, Actor: timelineActor(e.Actor)}
		switch a := e.Action; {
		case a == ActionAcknowledged:
			ev.Kind = tipline.EventTaken
		case a == ActionEscalated:
			ev.Kind = tipline.EventEscalated
		case strings.HasPrefix(a, ActionReassignedPrefix):
			ev.Kind, ev.Detail = tipline.EventReassigned, strings.TrimPrefix(a, ActionReassignedPrefix)
		case strings.HasPrefix(a, ActionClassifiedPrefix):
			ev.Kind, ev.Detail = tipline.EventClassified, strings.TrimPrefix(a, ActionClassifiedPrefix)
		case strings.HasPrefix(a, ActionClosedPrefix):
			ev.Kind, ev.Detail = tipline.EventClosed, strings.TrimPrefix(a, ActionClosedPrefix)
			lastClosed = len(events)
		case strings.HasPrefix(a, ActionReferredPrefix):
			if lastClosed >= 0 {
				events[lastClosed].PartnerID, _ = strconv.ParseInt(strings.TrimPrefix(a, ActionReferredPrefix), 10, 64)
			}
			continue
		case strings.HasPrefix(a, ActionDuplicateOfPrefix):
			if lastClosed >= 0 {
				events[lastClosed].Duplicate = tipline.Reference(strings.TrimPrefix(a, ActionDuplicateOfPrefix))
			}
			continue
		case strings.HasPrefix(a, ActionDuplicateLinkedPrefix):
			ev.Kind, ev.Duplicate = tipline.EventDuplicate, tipline.Reference(strings.TrimPrefix(a, ActionDuplicateLinkedPrefix))
		case a == ActionReopened:
			ev.Kind = tipline.EventReopened
		case a == ActionReporterBlocked:
			ev.Kind, ev.Detail = tipline.EventBlocked, string(tipline.BlockOther)
		case strings.HasPrefix(a, ActionReporterBlockedPrefix):
			ev.Kind, ev.Detail = tipline.EventBlocked, strings.TrimPrefix(a, ActionReporterBlockedPrefix)
		case a == ActionReporterUnblocked:
			ev.Kind = tipline.EventUnblocked
		default:
			// submitted, information_added and note_added are told by the
			// report, additions and notes themselves; attachment_stored,
			// status changes and reporter_forgotten are not part of the story.
			continue
		}
		events = append(events, ev)
	}
	for _, a := range c.Additions {
		events = append(events, tipline.Event{At: a.At, Kind: tipline.EventAdded, Actor: timelineActor(a.Actor), Text: a.Text, Attachments: len(a.Attachments)})
	}
	for _, n := range notes {
		kind := tipline.EventNote
		switch n.Kind {
		case NoteKindToReporter:
			kind = tipline.EventToReporter
		case NoteKindFromReporter:
			kind = tipline.EventFromReporter
		}
		events = append(events, tipline.Event{At: n.At, Kind: kind, Actor: timelineActor(n.Author), Text: n.Text})
	}
	// Stable: among events at the same time the report comes first, then
	// the audit trail's order.
	slices.SortStableFunc(events, func(a, b tipline.Event) int { return a.At.Compare(b.At) })
	return events
}
