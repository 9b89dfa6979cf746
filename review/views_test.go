package review

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/internal/golden"
	"github.com/tipline/tipline/locales"
	"github.com/tipline/tipline/oncall"
	"github.com/tipline/tipline/reply"
)

// viewCases are the cases the golden views show: a new urgent tip nobody
// has, a missing child taken by Dara with an addition and notes, and a
// closed case.
func viewCases(now time.Time) (open, taken, closed tipline.Case) {
	open = tipline.Case{NewCase: tipline.NewCase{Reference: "TL-7K3Q-9XDM", Kind: tipline.KindTip, Urgency: tipline.UrgencyUrgent,
		Location: &tipline.Location{Latitude: 11.5696, Longitude: 104.921},
		Answers:  tipline.Answers{"what": "A girl is kept in the back room", "danger": "yes", "when": "ongoing", "children": "1", "ages": "12_17"}},
		Status: tipline.StatusReceived, CreatedAt: now.Add(-12 * time.Minute)}
	taken = tipline.Case{NewCase: tipline.NewCase{Reference: "TL-7K3Q-9XDN", Kind: tipline.KindMissing, Urgency: tipline.UrgencyNormal,
		ReporterChatID: 4242, ContactAllowed: true,
		Answers: tipline.Answers{"name": "Sokha", "age": "9", "sex": "girl", "seen_when": "2026-11-20", "seen_where": "Psar Thmei",
			"relation": "parent", "police": "no", "phone": "+85512345678", "appeal": "unsure"},
		Attachments: []tipline.Attachment{{Kind: tipline.AttachPhoto, FileID: "F1", Caption: "Sokha at school, last month"}}},
		Status: tipline.StatusAcknowledged, CreatedAt: now.Add(-50 * time.Hour),
		Assignment: tipline.Assignment{ReviewerID: 1, AcknowledgedAt: now.Add(-49 * time.Hour)},
		Additions: []tipline.Addition{{Text: "She wore a blue dress",
			Attachments: []tipline.Attachment{{Kind: tipline.AttachVoice, FileID: "F2", Caption: "her aunt's voice"}}}}}
	closed = taken
	closed.Reference = "TL-7K3Q-9XDP"
	closed.Status = tipline.StatusClosed
	closed.Assignment.ClosedAt = now.Add(-time.Hour)
	return open, taken, closed
}

// TestViewsGolden writes every view in English, Khmer and Thai, with its
// buttons (label → action @version), to testdata/views_LANG.golden.
func TestViewsGolden(t *testing.T) {
	cat := locales.MustLoad()
	now := time.Date(2026, 11, 22, 9, 30, 0, 0, time.UTC)
	open, taken, closed := viewCases(now)
	// The team works in Phnom Penh's time (UTC+7): 09:30 UTC reads 16:30.
	ict := time.FixedZone("ICT", 7*3600)
	classified := taken
	classified.Classification = tipline.Classification{Exploitation: tipline.ExploitLabour, Risk: tipline.RiskHigh, ReviewerID: 1}
	classified.Answers = tipline.Answers{"name": "Sokha", tipline.AnswerHappening: "begging"}
	classified.Lang = "km"
	at := func(h int) time.Time { return now.Add(time.Duration(h-50) * time.Hour) }
	story := Timeline{Location: ict, Names: map[int64]string{1: "Dara", 2: "Sophea"}, Partners: map[int64]string{5: "APLE Cambodia"}, Events: []tipline.Event{
		{At: at(0), Kind: tipline.EventReported, Actor: "reporter", Attachments: 2},
		{At: at(1), Kind: tipline.EventTaken, Actor: "reviewer:1"},
		{At: at(2), Kind: tipline.EventToReporter, Actor: "reviewer:1", Text: "Thank you, we are on it"},
		{At: at(3), Kind: tipline.EventFromReporter, Actor: "reporter", Text: "She is at the bus station"},
		{At: at(4), Kind: tipline.EventAdded, Actor: "reporter", Text: "She wore a blue dress", Attachments: 1},
		{At: at(5), Kind: tipline.EventNote, Actor: "reviewer:1", Text: "Called the hotline"},
		{At: at(6), Kind: tipline.EventEscalated, Actor: "reviewer:1"},
		{At: at(7), Kind: tipline.EventReassigned, Actor: "reviewer:2", Detail: "2"},
		{At: at(8), Kind: tipline.EventClassified, Actor: "reviewer:2", Detail: "labour:high"},
		{At: at(8), Kind: tipline.EventMadeUrgent, Actor: "reviewer:2"},
		{At: at(9), Kind: tipline.EventDuplicate, Actor: "reviewer:2", Duplicate: "TL-4ACF-9XDN"},
		{At: at(10), Kind: tipline.EventBlocked, Actor: "reviewer:2", Detail: "threats"},
		{At: at(11), Kind: tipline.EventUnblocked, Actor: "reviewer:2"},
		{At: at(12), Kind: tipline.EventClosed, Actor: "reviewer:2", Detail: "partner", PartnerID: 5},
		{At: at(12), Kind: tipline.EventReferred, Actor: "reviewer:2", PartnerID: 5},
		{At: at(13), Kind: tipline.EventReopened, Actor: "reviewer:2"},
		{At: at(14), Kind: tipline.EventClosed, Actor: "reviewer:2", Detail: "duplicate", Duplicate: "TL-4ACF-9XDM"},
		{At: at(15), Kind: tipline.EventBlocked, Actor: "reviewer:2", Detail: "spam"},
	}}
	closed.Assignment.Outcome = tipline.OutcomeDuplicate
	flooded := taken
	flooded.Reference = "TL-7K3Q-9XDQ"
	flooded.Answers = tipline.Answers{"name": "Sokha", tipline.AnswerWritten: strings.Repeat("I saw her again near the market. ", 150)}
	for i := range 34 {
		flooded.Attachments = append(flooded.Attachments, tipline.Attachment{Kind: tipline.AttachPhoto, FileID: fmt.Sprint("F", i)})
	}
	flooded.Attachments = append(flooded.Attachments, tipline.Attachment{Kind: tipline.AttachVideo, FileID: "BIG", Size: 25 << 20}) // over the Bot API's download limit
	declined := taken
	declined.ContactAllowed = false
	partners := []tipline.Partner{
		{ID: 5, Name: "APLE Cambodia", Kind: tipline.PartnerNGO, Country: "KH", Active: true},
		{ID: 6, Name: "Old unit", Kind: tipline.PartnerPolice, Country: "KH"},
		{ID: 7, Name: "1300 Hotline", Kind: tipline.PartnerHotline, Country: "TH", Active: true},
	}
	primary, err := oncall.ParseShifts("1:mon-fri@08:00-18:00", ict)
	if err != nil {
		t.Fatal(err)
	}
	secondary, err := oncall.ParseShifts("2:daily@00:00-24:00", ict)
	if err != nil {
		t.Fatal(err)
	}
	rota := oncall.Rota{TimeZone: "Asia/Phnom_Penh", Primary: primary, Secondary: secondary}
	team := []tipline.Reviewer{{ID: 1, Name: "Dara", Active: true}, {ID: 2, Name: "Sophea", Active: true}}
	views := []struct {
		name string
		m    reply.Message
	}{
		{"on call", OnCall(rota, now, ict, team)},
		{"on call, no rota", OnCall(oncall.Rota{}, now, ict, team)},
		{"on call, the primary unreachable", OnCall(rota, now, ict, []tipline.Reviewer{{ID: 1, Name: "Dara", Active: true, Unreachable: now}, team[1]})},
		{"a reviewer unreachable, to admins", ReviewerUnreachable(team[0])},
		{"a reviewer reachable again, to admins", ReviewerReachable(team[0])},
		{"new case", NewCase(open, 0, now)},
		{"new case, escalated", NewCase(open, 2, now)},
		{"taken by, the taker's copy", TakenBy(taken, "Dara", true)},
		{"taken by, another's copy", TakenBy(taken, "Dara", false)},
		{"taken by, classified", TakenBy(classified, "Dara", false)},
		{"details of an open case", CaseDetails(open, Timeline{})},
		{"details of a taken case, its timeline in the team's time zone", CaseDetails(classified, Timeline{Location: ict, Names: story.Names, Events: story.Events[:6]})},
		{"details of a closed case, the whole timeline, reporter blocked", CaseDetails(closed, story)},
		{"details of a case with long words and many files: cut, with buttons", CaseDetails(flooded, Timeline{})},
		{"read all, part 1", ReadPart(flooded, Timeline{}, 0)},
		{"read all, the last part", ReadPart(flooded, Timeline{}, 1)},
		{"read all, past the end", ReadPart(flooded, Timeline{}, 2)},
		{"files, after the second page", lastMessage(FilesPage(tipline.Reviewer{ID: 1}, flooded, 1))},
		{"block: why?", BlockWhy(taken.Reference, Version(taken))},
		{"blocked", Blocked(taken, tipline.BlockThreats)},
		{"unblocked", Unblocked(taken)},
		{"classify: which kind?", ClassifyKind(classified, Version(classified))},
		{"classify: which risk?", ClassifyRisk(taken.Reference, tipline.ExploitSale, Version(taken))},
		{"classified", Classified(classified)},
		{"refer: which partner?", ReferWhich(taken.Reference, Version(taken), partners)},
		{"refer: no partners listed, nothing closed", Say("rv_no_partners", map[string]any{"Reference": string(taken.Reference)})},
		{"refer: are you sure?", ReferConfirm(taken.Reference, partners[0], Version(taken))},
		{"close: are you sure?", CloseConfirm(taken.Reference, tipline.OutcomeNoAction, Version(taken))},
		{"reply: read it again, then send", ReplyConfirm(taken.Reference, "Thank you. Can you tell us the name of the shop?", Version(taken))},
		{"referred", Referred(closed, "APLE Cambodia")},
		{"already closed", AlreadyClosed(closed)},
		{"added to a closed case", AddedToClosed(closed, "He came back today", false)},
		{"added to a closed case by someone with the secret code", AddedToClosed(closed, "It was a misunderstanding", true)},
		{"found", FoundCases([]tipline.Found{
			{CaseSummary: tipline.CaseSummary{Reference: open.Reference, Kind: open.Kind, Urgency: open.Urgency, Status: open.Status, CreatedAt: open.CreatedAt}},
			{CaseSummary: tipline.CaseSummary{Reference: closed.Reference, Kind: closed.Kind, Urgency: closed.Urgency, Status: closed.Status, CreatedAt: closed.CreatedAt,
				Exploitation: tipline.ExploitLabour, Risk: tipline.RiskHigh}},
		}, tipline.FindQuery{Place: "market"}, now)},
		{"found by reference", FoundCases([]tipline.Found{
			{CaseSummary: tipline.CaseSummary{Reference: closed.Reference, Kind: closed.Kind, Urgency: closed.Urgency, Status: closed.Status, CreatedAt: closed.CreatedAt}},
		}, tipline.FindQuery{Reference: closed.Reference}, now)},
		{"found near a location", FoundCases([]tipline.Found{
			{CaseSummary: tipline.CaseSummary{Reference: open.Reference, Kind: open.Kind, Urgency: open.Urgency, Status: open.Status, CreatedAt: open.CreatedAt}, DistanceKm: 1.24},
		}, tipline.FindQuery{Near: &tipline.Location{Latitude: 11.56, Longitude: 104.92}, WithinKm: tipline.FindKm}, now)},
		{"found nothing by place: open cases only", FoundCases(nil, tipline.FindQuery{Place: "market"}, now)},
		{"found nothing by reference", FoundCases(nil, tipline.FindQuery{Reference: closed.Reference}, now)},
		{"queue", Queue([]tipline.CaseSummary{
			{Reference: open.Reference, Kind: open.Kind, Urgency: open.Urgency, Status: open.Status, CreatedAt: open.CreatedAt},
			{Reference: taken.Reference, Kind: taken.Kind, Urgency: taken.Urgency, Status: taken.Status, CreatedAt: taken.CreatedAt,
				Exploitation: tipline.ExploitSexual, Risk: tipline.RiskImmediate},
		}, now)},
		{"queue, empty", Queue(nil, now)},
		{"close how", CloseHow(open.Reference, open.Kind, Version(open))},
		{"close how, a missing child: found?", CloseHow(taken.Reference, taken.Kind, Version(taken))},
		{"closed", Closed(closed, tipline.OutcomeNoAction)},
		{"reopened", Reopened(taken)},
		{"reporter declined contact: no Write to reporter", Reopened(declined)},
		{"note saved", NoteSaved(taken)},
		{"reply sent", ReplySent(taken)},
		{"team message (the reporter's)", TeamMessage(taken.Reference, "Thank you. Can you tell us more?")},
		{"reporter added", ReporterAdded(taken, "She was seen again today", false)},
		{"someone with the secret code added", ReporterAdded(taken, "It was a misunderstanding, they are our relatives", true)},
		{"take first", TakeFirst(open)},
		{"case is with", CaseIsWith(taken, "Dara")},
		{"take over: why?", TakeOverAsk(taken, "Dara", Version(taken))},
		{"taken over", TakenOver(taken.Reference, "Sophea", WhyUnreachable)},
		{"taken over, an admin's copy", TakenOverAdmin(taken.Reference, "Sophea", "Dara", WhyUrgent)},
		{"retention warning", RetentionWarning(closed.Reference, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))},
		{"welcome", Welcome("Dara")},
	}
	for _, lang := range locales.Languages {
		var b strings.Builder
		for _, v := range views {
			fmt.Fprintf(&b, "=== %s\n%s\n", v.name, render(cat, lang, v.m))
			for _, row := range v.m.Buttons {
				var cells []string
				for _, btn := range row {
					cells = append(cells, fmt.Sprintf("[%s → %s @%s]", cat.Render(lang, btn.Label), btn.Action, btn.Version))
				}
				b.WriteString(strings.Join(cells, " ") + "\n")
			}
			b.WriteString("\n")
		}
		golden.Check(t, "views_"+lang, b.String())
	}
}

// lastMessage is the message of the last Out.
func lastMessage(outs []Out) reply.Message { return outs[len(outs)-1].Message }
