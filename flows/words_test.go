package flows

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/locales"
	"github.com/tipline/tipline/reply"
)

// Every word a user reads comes from locales/: a message of the catalogue,
// or a value (a date, an age, a duration, a phone number) that the
// catalogue writes in the reader's language (locales.Value). checkWords
// runs on every reply of every conversation these tests drive, so a value
// formatted in Go ("12 min", "2026-11-20", "location 11.5, 104.9") fails
// here, in the language it leaks into.

// dataStrings are the only message data that may be a plain string, each
// with what it must look like: ours to show as is, in no language.
var dataStrings = map[string]*regexp.Regexp{
	"Reference": regexp.MustCompile(`^TL-[0-9A-Z]{4}-[0-9A-Z]{4}$`),
	"Code":      regexp.MustCompile(`^\d{4}( \d{4}){3}$`),
	"Number":    regexp.MustCompile(`^\+?[\d ]+$`), // an emergency number, as the operator wrote it
}

// checkWords fails the test for a Text whose message is missing in a
// language, or whose data is neither a Text, a value of reply's, a count, one
// of dataStrings nor the reporter's own words.
func (c *conversation) checkWords(r reply.Message) { checkWords(c.t, c, r) }

func checkWords(tb testing.TB, c *conversation, r reply.Message) {
	tb.Helper()
	var check func(where string, t reply.Text)
	check = func(where string, t reply.Text) {
		for _, lang := range locales.Languages {
			if !c.cat.Has(lang, t.ID) {
				tb.Errorf("%s: message %q is not in %s.toml", where, t.ID, lang)
			}
		}
		for k, v := range t.Data {
			at := fmt.Sprintf("%s %s.%s", where, t.ID, k)
			if locales.IsValue(v) {
				continue
			}
			switch v := v.(type) {
			case reply.Text:
				check(at, v)
			case int:
			case string:
				if re, ok := dataStrings[k]; ok && re.MatchString(v) {
					continue
				}
				if k == "Value" && c.typedByReporter(v) {
					continue
				}
				tb.Errorf("%s = %q: a string built in code; make it a message or a value of reply's", at, v)
			default:
				tb.Errorf("%s = %T %v: not something the catalogue writes", at, v, v)
			}
		}
	}
	for _, l := range r.Lines {
		check("line", l)
	}
	for _, row := range r.Buttons {
		for _, b := range row {
			check("button", b.Label)
		}
	}
	checkRendered(tb, c, c.render(r))
}

// typedByReporter tells whether s is (a shortening of) the reporter's own words.
func (c *conversation) typedByReporter(s string) bool {
	s = strings.TrimSuffix(s, "…")
	return slices.ContainsFunc(c.typed, func(t string) bool { return strings.Contains(t, s) })
}

var (
	isoDateRE    = regexp.MustCompile(`\d{4}-\d{2}-\d{2}`)
	coordinateRE = regexp.MustCompile(`\d+\.\d{3,}`)
	referenceRE  = regexp.MustCompile(`TL-[0-9A-Z]{4}-[0-9A-Z]{4}`)
	commandRE    = regexp.MustCompile(`/[a-z_]+`)
	latinWordRE  = regexp.MustCompile(`[A-Za-z]+`)
)

// latinInKhmerAndThai are the Latin words a Khmer or Thai reader may see:
// names, and Telegram's own menu items (see locales' latinAllowed).
var latinInKhmerAndThai = []string{"Tipline", "Telegram", "Location", "Delete", "iPhone", "English"}

// checkRendered looks at a message as the reporter reads it, without the
// reporter's own words: no date, point or unit written by code in any
// language, and no English in a Khmer or Thai message.
func checkRendered(tb testing.TB, c *conversation, text string) {
	tb.Helper()
	for _, t := range c.typed {
		text = strings.ReplaceAll(text, t, "")
	}
	if m := isoDateRE.FindString(text); m != "" {
		tb.Errorf("%s: a date written by code: %q in %q", c.s.Lang, m, text)
	}
	if m := coordinateRE.FindString(text); m != "" {
		tb.Errorf("%s: coordinates shown to a reporter: %q in %q", c.s.Lang, m, text)
	}
	if c.s.Lang == "en" || c.s.Lang == "" {
		return
	}
	text = commandRE.ReplaceAllString(referenceRE.ReplaceAllString(text, ""), "")
	for _, w := range latinWordRE.FindAllString(text, -1) {
		if !slices.Contains(latinInKhmerAndThai, w) {
			tb.Errorf("%s: English %q in a message: written by code, or untranslated? %q", c.s.Lang, w, text)
		}
	}
}

// TestCheckWordsCatchesCodeText: the check fails on the leaks it is for.
func TestCheckWordsCatchesCodeText(t *testing.T) {
	leaks := []reply.Message{
		{Lines: []reply.Text{{ID: "summary_line", Data: map[string]any{"Label": reply.Text{ID: "summary_age"}, "Value": "9 years"}}}},
		{Lines: []reply.Text{{ID: "mine_line", Data: map[string]any{
			"Reference": "TL-7K3Q-9XDM", "Kind": reply.Text{ID: "kind_tip"}, "Status": reply.Text{ID: "status_received"}, "Date": "2026-11-20",
		}}}},
		{Lines: []reply.Text{{ID: "summary_line", Data: map[string]any{"Label": reply.Text{ID: "summary_where"}, "Value": "location 11.56960, 104.92100"}}}},
		{Lines: []reply.Text{{ID: "no_such_message"}}},
		{Lines: []reply.Text{{ID: "summary_count", Data: map[string]any{"Count": 12.5}}}},
	}
	cat := locales.MustLoad()
	for i, leak := range leaks {
		for _, lang := range []string{"en", "km", "th"} {
			rec := &recorder{TB: t}
			checkWords(rec, &conversation{cat: cat, s: Session{Lang: lang}}, leak)
			if !rec.failed {
				t.Errorf("leak %d in %s was not caught: %+v", i, lang, leak.Lines[0])
			}
		}
	}
	// And what the catalogue writes passes.
	rec := &recorder{TB: t}
	checkWords(rec, &conversation{cat: cat, s: Session{Lang: "th"}, typed: []string{"Sokha"}}, reply.Message{Lines: []reply.Text{
		{ID: "summary_line", Data: map[string]any{"Label": reply.Text{ID: "summary_age"}, "Value": reply.Years(9)}},
		{ID: "summary_line", Data: map[string]any{"Label": reply.Text{ID: "summary_name"}, "Value": "Sokha"}},
		{ID: "summary_line", Data: map[string]any{"Label": reply.Text{ID: "summary_seen_when"}, "Value": AnswerValue(tipline.AnswerSeenWhen, "2026-11-20")}},
		{ID: "summary_line", Data: map[string]any{"Label": reply.Text{ID: "summary_phone"}, "Value": AnswerValue(tipline.AnswerPhone, "+66812345678")}},
	}})
	if rec.failed {
		t.Errorf("values written by the catalogue were refused: %s", rec.msgs)
	}
}

// recorder is a testing.TB that notes failures instead of failing.
type recorder struct {
	testing.TB
	failed bool
	msgs   []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.failed = true
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}

// TestAnswerValueIsNeverCodeText: every stored answer of every question
// reads through the catalogue, except the reporter's own words.
func TestAnswerValueIsNeverCodeText(t *testing.T) {
	stored := map[string]string{tipline.AnswerAge: "9", tipline.AnswerSeenWhen: "2026-11-20", tipline.AnswerPhone: "+85512345678"}
	for _, qs := range [][]question{tipQuestions, missingQuestions} {
		for _, q := range qs {
			for _, o := range q.options {
				if _, ok := AnswerValue(q.answer, o).(reply.Text); !ok {
					t.Errorf("%s %s: not a button label", q.answer, o)
				}
			}
			if v, ok := stored[q.answer]; ok {
				if !locales.IsValue(AnswerValue(q.answer, v)) {
					t.Errorf("%s %q: not written by the catalogue", q.answer, v)
				}
			}
		}
	}
	if got := AnswerValue(tipline.AnswerName, "Sokha"); got != "Sokha" {
		t.Errorf("a name = %v, want the reporter's words", got)
	}
}
