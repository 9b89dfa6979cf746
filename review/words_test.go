package review

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/flows"
	"github.com/tipline/tipline/locales"
	"github.com/tipline/tipline/reply"
)

// render writes a message's lines in lang as bot does (a blank line
// between paragraphs, a line break before an item), without its buttons.
func render(cat *locales.Catalog, lang string, m reply.Message) string {
	var b strings.Builder
	for i, t := range m.Lines {
		if i > 0 {
			if t.Item {
				b.WriteString("\n")
			} else {
				b.WriteString("\n\n")
			}
		}
		b.WriteString(cat.Render(lang, t))
	}
	return b.String()
}

// TestReviewerTextFromCatalogue: what a reviewer reads of a case (the
// notification, the queue, the details) is the catalogue's, in the
// reviewer's language: no "12 min", no ISO date, no bare coordinates, no
// English label in a Khmer or Thai message, and the reviewer's own labels.
func TestReviewerTextFromCatalogue(t *testing.T) {
	cat := locales.MustLoad()
	now := time.Date(2026, 11, 22, 9, 30, 0, 0, time.UTC)
	words := []string{"ក្មេងស្រីនៅផ្ទះជិតខាង", "เด็กบ้านข้าง ๆ"} // the reporter's own words, shown as they are
	cases := []tipline.Case{
		{NewCase: tipline.NewCase{Reference: "TL-7K3Q-9XDM", Kind: tipline.KindTip, Urgency: tipline.UrgencyUrgent,
			Location: &tipline.Location{Latitude: 11.5696, Longitude: 104.921},
			Answers:  tipline.Answers{"what": words[0], "danger": "yes", "when": "ongoing", "children": "1", "ages": "12_17", "adults": words[1], "edits": words[1]}},
			Status: tipline.StatusReceived, CreatedAt: now.Add(-12 * time.Minute)},
		{NewCase: tipline.NewCase{Reference: "TL-7K3Q-9XDN", Kind: tipline.KindMissing, Urgency: tipline.UrgencyUrgent,
			Answers: tipline.Answers{"name": words[0], "age": "9", "sex": "girl", "seen_when": "2026-11-20", "seen_where": words[1],
				"relation": "parent", "police": "no", "phone": "+85512345678", "appeal": "unsure", "written": words[1]}},
			Status: tipline.StatusReceived, CreatedAt: now.Add(-50 * time.Hour)},
	}
	// A timeline in the team's time zone (UTC+7): 02:05 UTC reads 09:05.
	story := Timeline{Location: time.FixedZone("ICT", 7*3600), Names: map[int64]string{1: "Dara"}, Events: []tipline.Event{
		{At: time.Date(2026, 11, 20, 2, 5, 0, 0, time.UTC), Kind: tipline.EventReported, Actor: "reporter"},
		{At: time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC), Kind: tipline.EventClassified, Actor: "reviewer:1", Detail: "sale:high"},
		{At: time.Date(2026, 11, 20, 4, 0, 0, 0, time.UTC), Kind: tipline.EventBlocked, Actor: "reviewer:1", Detail: "spam"},
	}}
	if got := render(cat, "th", CaseDetails(cases[0], story)); !strings.Contains(got, "20/11/2569 09:05") {
		t.Errorf("th timeline: want 20/11/2569 09:05 (Buddhist era, team's time zone):\n%s", got)
	}
	english := regexp.MustCompile(`\b(?:min|h|d|years?|location|What|Reporter|Phone|Age|Name)\b`)
	for _, lang := range []string{"km", "th"} {
		for _, c := range cases {
			text := render(cat, lang, NewCase(c, 0, now)) + "\n" + render(cat, lang, CaseDetails(c, story))
			text += "\n" + cat.Text(lang, "rv_queue_line", map[string]any{
				"Reference": string(c.Reference), "Kind": "-", "Urgency": "-", "Status": "-",
				"Age": reply.Elapsed(now.Sub(c.CreatedAt)),
			})
			bare := text
			for _, w := range words {
				bare = strings.ReplaceAll(bare, w, "")
			}
			bare = regexp.MustCompile(`https://\S+|TL-[0-9A-Z-]+`).ReplaceAllString(bare, "")
			if m := english.FindString(bare); m != "" {
				t.Errorf("%s %s: %q written in English by code:\n%s", lang, c.Kind, m, text)
			}
			if m := regexp.MustCompile(`\d{4}-\d{2}-\d{2}|\d+\.\d{3,}`).FindString(bare); m != "" {
				t.Errorf("%s %s: %q formatted in code:\n%s", lang, c.Kind, m, text)
			}
			if strings.Contains(text, ": ") && lang == "km" {
				t.Errorf("km: an ASCII colon, want ៖:\n%s", text)
			}
		}
	}
	// The reviewer's own labels and the catalogue's values, in English.
	details := render(cat, "en", CaseDetails(cases[1], Timeline{})) + "\n" + render(cat, "en", CaseDetails(cases[0], Timeline{}))
	for _, want := range []string{"Reporter is: Mother or father", "Age: 9 years", "Last seen: 20/11/2026", "Phone to call: +855 12 345 678",
		"What the reporter saw: " + words[0], "Reporter's own words: " + words[1], "📍 on the map: https://maps.google.com/?q=11.56960,104.92100"} {
		if !strings.Contains(details, want) {
			t.Errorf("details lack %q:\n%s", want, details)
		}
	}
	th := render(cat, "th", CaseDetails(cases[1], Timeline{}))
	if !strings.Contains(th, "20/11/2569") || !strings.Contains(th, "9 ปี") {
		t.Errorf("th details: want a Buddhist-era date and an age in ปี:\n%s", th)
	}
	if got := render(cat, "th", NewCase(cases[0], 0, now)); !strings.Contains(got, "12 นาที") {
		t.Errorf("th notification: want 12 นาที:\n%s", got)
	}
	if got := render(cat, "en", NewCase(cases[0], 0, now)); !strings.Contains(got, "New case TL-7K3Q-9XDM") || !strings.Contains(got, "Received 12 min ago") {
		t.Errorf("en notification:\n%s", got)
	}
	// Every answer key has a reviewer's label in every language.
	for _, k := range slices.Concat(flows.Questionnaire(tipline.KindTip), flows.Questionnaire(tipline.KindMissing)) {
		for _, lang := range locales.Languages {
			if !cat.Has(lang, "rv_label_"+k) {
				t.Errorf("%s: no rv_label_%s", lang, k)
			}
		}
	}
}
