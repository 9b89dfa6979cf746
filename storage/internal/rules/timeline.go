package rules

import (
	"slices"
	"strconv"
	"strings"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
)

// TimelineActor hides a reporter's pseudonym: "reporter:<p>" becomes
// "reporter", "followup:<p>" "followup".
func TimelineActor(actor string) string {
	role, _ := tipline.ParseActor(actor)
	if role == tipline.RoleReporter || role == tipline.RoleFollowUp {
		return role
	}
	return actor
}

// BuildTimeline merges a case, its notes and its audit trail into one
// story, in time order (the report first among events at the same time).
func BuildTimeline(c tipline.Case, notes []tipline.Note, audit []tipline.AuditEvent) []tipline.Event {
	report := tipline.Event{At: c.SubmittedAt, Kind: tipline.EventReported, Actor: tipline.RoleReporter, Text: c.Answers[tipline.AnswerWhat]}
	for _, a := range c.Attachments {
		if a.Question != storage.QuestionAddition {
			report.Attachments++
		}
	}
	events := []tipline.Event{report}
	lastClosed := -1
	for _, e := range audit {
		ev := tipline.Event{At: e.At, Actor: TimelineActor(e.Actor)}
		switch a := e.Action; {
		case a == storage.ActionAcknowledged:
			ev.Kind = tipline.EventTaken
		case a == storage.ActionEscalated:
			ev.Kind = tipline.EventEscalated
		case strings.HasPrefix(a, storage.ActionReassignedPrefix):
			ev.Kind, ev.Detail = tipline.EventReassigned, strings.TrimPrefix(a, storage.ActionReassignedPrefix)
		case strings.HasPrefix(a, storage.ActionClassifiedPrefix):
			ev.Kind, ev.Detail = tipline.EventClassified, strings.TrimPrefix(a, storage.ActionClassifiedPrefix)
		case strings.HasPrefix(a, storage.ActionClosedPrefix):
			ev.Kind, ev.Detail = tipline.EventClosed, strings.TrimPrefix(a, storage.ActionClosedPrefix)
			lastClosed = len(events)
		case strings.HasPrefix(a, storage.ActionReferredPrefix):
			id, _ := strconv.ParseInt(strings.TrimPrefix(a, storage.ActionReferredPrefix), 10, 64)
			if lastClosed >= 0 && events[lastClosed].Detail == string(tipline.OutcomePartner) && events[lastClosed].PartnerID == 0 {
				events[lastClosed].PartnerID = id
				continue
			}
			// One more partner, after the close.
			ev.Kind, ev.PartnerID = tipline.EventReferred, id
		case strings.HasPrefix(a, storage.ActionDuplicateOfPrefix):
			if lastClosed >= 0 {
				events[lastClosed].Duplicate = tipline.Reference(strings.TrimPrefix(a, storage.ActionDuplicateOfPrefix))
			}
			continue
		case strings.HasPrefix(a, storage.ActionDuplicateLinkedPrefix):
			ev.Kind, ev.Duplicate = tipline.EventDuplicate, tipline.Reference(strings.TrimPrefix(a, storage.ActionDuplicateLinkedPrefix))
		case a == storage.ActionUrgencyRaised:
			ev.Kind = tipline.EventMadeUrgent
		case a == storage.ActionReopened:
			ev.Kind = tipline.EventReopened
		case a == storage.ActionReporterBlocked:
			ev.Kind, ev.Detail = tipline.EventBlocked, string(tipline.BlockOther)
		case strings.HasPrefix(a, storage.ActionReporterBlockedPrefix):
			ev.Kind, ev.Detail = tipline.EventBlocked, strings.TrimPrefix(a, storage.ActionReporterBlockedPrefix)
		case a == storage.ActionReporterUnblocked:
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
		events = append(events, tipline.Event{At: a.At, Kind: tipline.EventAdded, Actor: TimelineActor(a.Actor), Text: a.Text, Attachments: len(a.Attachments)})
	}
	for _, n := range notes {
		kind := tipline.EventNote
		switch n.Kind {
		case tipline.NoteToReporter:
			kind = tipline.EventToReporter
		case tipline.NoteFromReporter:
			kind = tipline.EventFromReporter
		}
		events = append(events, tipline.Event{At: n.At, Kind: kind, Actor: TimelineActor(n.Author), Text: n.Text})
	}
	// Stable: among events at the same time the report comes first, then
	// the audit trail's order.
	slices.SortStableFunc(events, func(a, b tipline.Event) int { return a.At.Compare(b.At) })
	return events
}
