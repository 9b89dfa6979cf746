package review

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/flows"
	"github.com/tipline/tipline/locales"
	"github.com/tipline/tipline/storage"
)

// khmer4096 is one Telegram message of 4,096 Khmer letters, numbered.
func khmer4096(n int) string {
	letters := []rune("កខគឃងចឆជឈញដឋឌឍណតថទធនបផពភមយរលវសហឡអ")
	rs := make([]rune, 0, 4096)
	for i := 0; len(rs) < 4090; i++ {
		rs = append(rs, letters[(i+n)%len(letters)])
	}
	return string(rs) + fmt.Sprintf("#%05d", n)
}

// floodedCase is the security review's H1 case at its bounds: words kept
// at flows' limit, every word answer a whole Telegram message, and a
// hundred additions of 4,096 letters with three files each.
func floodedCase() (tipline.Case, Timeline) {
	words := strings.Repeat("ក្មេងស្រី ", flows.DefaultLimits.WordsBytes/len("ក្មេងស្រី "))
	c := tipline.Case{NewCase: tipline.NewCase{Reference: "TL-7K3Q-9XDM", Kind: tipline.KindTip, Urgency: tipline.UrgencyUrgent,
		Answers: tipline.Answers{"what": words, tipline.AnswerWritten: words, "where": khmer4096(0), "adults": khmer4096(1), "edits": words}},
		Status: tipline.StatusAcknowledged, Assignment: tipline.Assignment{ReviewerID: 1}}
	var tl Timeline
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for i := range 100 {
		files := []tipline.Attachment{{Kind: tipline.AttachPhoto, FileID: fmt.Sprint("a", i)}, {Kind: tipline.AttachVideo, FileID: fmt.Sprint("b", i)}, {Kind: tipline.AttachVoice, FileID: fmt.Sprint("c", i)}}
		c.Additions = append(c.Additions, tipline.Addition{Text: khmer4096(i), Attachments: files, At: at})
		tl.Events = append(tl.Events, tipline.Event{At: at, Kind: tipline.EventAdded, Actor: "reporter", Text: khmer4096(i), Attachments: 3})
	}
	return c, tl
}

// telegramMessages is how many messages of 4,096 UTF-16 units a text
// takes at least.
func telegramMessages(s string) int {
	return (len(utf16.Encode([]rune(s))) + 4095) / 4096
}

// TestDetailsBounded: Details on a case at every bound takes a handful of
// messages and sends no file; "Read all" reaches every word, one message
// per press; the files come ten per press, 300 of them in 30 pages.
func TestDetailsBounded(t *testing.T) {
	cat := locales.MustLoad()
	c, tl := floodedCase()
	rv := tipline.Reviewer{ID: 1, Lang: "km"}
	for _, lang := range locales.Languages {
		if n := telegramMessages(render(cat, lang, CaseDetails(c, tl))); n > 5 {
			t.Errorf("%s: Details takes %d messages, want at most 5", lang, n)
		}
	}
	parts := readParts(c, tl)
	var all strings.Builder
	for _, p := range parts {
		all.WriteString(cat.Render("km", p))
	}
	for i := range 100 {
		if !strings.Contains(all.String(), fmt.Sprintf("#%05d", i)) {
			t.Fatalf("the words of addition %d are in no part", i)
		}
	}
	for _, i := range []int{0, len(parts) / 2, len(parts) - 1} {
		m := ReadPart(c, tl, i)
		if n := telegramMessages(render(cat, "km", m)); n != 1 {
			t.Fatalf("part %d takes %d messages, want 1", i+1, n)
		}
		if (i+1 < len(parts)) != (len(m.Buttons) == 1) {
			t.Fatalf("part %d of %d: %d buttons, want Next on every part but the last", i+1, len(parts), len(m.Buttons))
		}
	}
	files := 0
	for page := 0; ; page++ {
		outs := FilesPage(rv, c, page)
		last := outs[len(outs)-1]
		if len(outs)-1 > filesPage {
			t.Fatalf("page %d sends %d files, want at most %d", page, len(outs)-1, filesPage)
		}
		files += len(outs) - 1
		if len(last.Message.Buttons) == 0 {
			break
		}
	}
	if files != 300 {
		t.Errorf("the pages sent %d files, want all 300", files)
	}
}

// TestQueuePaged is the security review's L10: during a flood /queue lists
// ten cases a message, each with its button, says which of how many, and
// how to see the next ten; it never makes a message Telegram refuses.
func TestQueuePaged(t *testing.T) {
	cat := locales.MustLoad()
	now := time.Date(2026, 11, 22, 9, 30, 0, 0, time.UTC)
	var list []tipline.CaseSummary
	for i := range 34 {
		list = append(list, tipline.CaseSummary{Reference: tipline.Reference(fmt.Sprintf("TL-7K3Q-%04d", 2222+i)), Kind: tipline.KindTip,
			Urgency: tipline.UrgencyNormal, Status: tipline.StatusReceived, CreatedAt: now.Add(-time.Hour)})
	}
	for _, tc := range []struct {
		page, buttons int
		title, more   string
	}{
		{1, 10, "Open cases 1-10 of 34:", "More: /queue 2"},
		{3, 10, "Open cases 21-30 of 34:", "More: /queue 4"},
		{4, 4, "Open cases 31-34 of 34:", ""},
		{99, 4, "Open cases 31-34 of 34:", ""},
	} {
		m := QueuePage(list, now, tc.page)
		text := render(cat, "en", m)
		if len(m.Buttons) != tc.buttons || !strings.HasPrefix(text, tc.title) {
			t.Errorf("page %d: %d buttons, %q; want %d, %q", tc.page, len(m.Buttons), strings.SplitN(text, "\n", 2)[0], tc.buttons, tc.title)
		}
		if tc.more != "" && !strings.HasSuffix(text, tc.more) || tc.more == "" && strings.Contains(text, "/queue") {
			t.Errorf("page %d ends %q, want %q", tc.page, text[max(0, len(text)-20):], tc.more)
		}
	}
	if m := QueuePage(list[:3], now, 1); len(m.Buttons) != 3 || m.Lines[0].ID != "rv_queue_title" {
		t.Errorf("a short queue: %d buttons, title %s", len(m.Buttons), m.Lines[0].ID)
	}
}

// TestFloodedReportDetails is the measure, end to end through the
// flows and the desk on the in-memory store: one reporter types 600
// messages of 4,096 Khmer letters at the menu and reports them; the
// session stays under its bound, and a Details press on the case queues
// one message of a few Telegram messages, and no file.
func TestFloodedReportDetails(t *testing.T) {
	ctx := context.Background()
	n := 0
	e := &flows.Engine{
		NewDraftID:      func() string { n++; return fmt.Sprint("draft-", n) },
		NewReference:    func() tipline.Reference { return "TL-7K3Q-9XDQ" },
		NewFollowUpCode: func() string { return "1234567812345678" },
		Limits:          flows.DefaultLimits,
		Emergency:       flows.DefaultEmergency,
	}
	s := flows.Session{Lang: "km", State: flows.StateMenu}
	step := func(in flows.Input) {
		in.Now, in.Reporter = t0, "pseudo"
		s = e.Step(s, in).Session
	}
	for i := range 600 {
		step(flows.Input{Kind: flows.InputText, Text: khmer4096(i)})
	}
	data, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) > storage.MaxSessionBytes/4 {
		t.Fatalf("the session is %d bytes after 600 long messages, want well under the %d bound", len(data), storage.MaxSessionBytes)
	}
	step(flows.Input{Kind: flows.InputButton, Text: "typed:tip"})
	if s.Draft == nil {
		t.Fatalf("no draft after choosing a tip (state %s)", s.State)
	}
	f := newFixture(t)
	ref := tipline.Reference("TL-7K3Q-9XDQ")
	if _, _, err := f.store.SubmitCase(ctx, tipline.NewCase{DraftID: s.Draft.ID, Reference: ref, Kind: tipline.KindTip, Urgency: tipline.UrgencyNormal,
		Lang: "km", Reporter: "pseudo", Answers: s.Draft.Answers, SubmittedAt: t0}); err != nil {
		t.Fatal(err)
	}
	c, err := f.store.Case(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	outs, err := f.desk.Press(ctx, f.rvs[0], On(Details, ref), Version(c), new(State))
	if err != nil {
		t.Fatal(err)
	}
	if len(outs) != 1 || outs[0].File != nil {
		t.Fatalf("Details queued %d outs, want one message", len(outs))
	}
	if n := telegramMessages(render(locales.MustLoad(), "km", outs[0].Message)); n > 3 {
		t.Errorf("Details takes %d Telegram messages, want at most 3", n)
	}
}

// BenchmarkDetailsFlooded is Details on a case at every bound (the time a
// reviewer's press costs the bot, not a limit the tests assert).
func BenchmarkDetailsFlooded(b *testing.B) {
	c, tl := floodedCase()
	for b.Loop() {
		CaseDetails(c, tl)
	}
}
