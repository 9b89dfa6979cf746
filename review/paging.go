package review

import (
	"strings"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/flows"
	"github.com/tipline/tipline/locales/script"
	"github.com/tipline/tipline/reply"
)

// Details never floods a reviewer's chat, however much a reporter (or a
// script posing as one) wrote or sent over a case's life: it shows each
// of the reporter's texts cut, the newest events of the timeline, and
// buttons that send the rest one part, or one page of files, per press.

const (
	// detailsQuote is how much of one text Details shows, in UTF-16 units
	// (Telegram's measure): a Khmer character may take several.
	detailsQuote = 400
	// detailsEvents is how many of the newest events Details shows.
	detailsEvents = 20
	// partUnits is how much one Read part holds, in UTF-16 units: one
	// Telegram message (4,096) with room for its labels.
	partUnits = 3500
	// filesPage is how many files one press of "Files" sends.
	filesPage = 10
)

// cut is a reporter's text as Details shows it, and whether it was cut.
func cut(s string) (string, bool) {
	head := script.Head(s, detailsQuote)
	if len(head) == len(s) {
		return s, false
	}
	return strings.TrimSpace(head) + "…", true
}

// shownEvents are the events Details lists: the newest detailsEvents.
func (tl Timeline) shownEvents() (shown []tipline.Event, earlier int) {
	if n := len(tl.Events); n > detailsEvents {
		return tl.Events[n-detailsEvents:], n - detailsEvents
	}
	return tl.Events, 0
}

// longText is one of a case's texts that Details did not show whole, with
// the line that shows a part of it.
type longText struct {
	text string
	line func(part string) reply.Text
}

// longTexts lists, in Details' order, every text Details cut or left out:
// long answers, the words kept beside them, edits, and the words of
// events (long ones, and all of those older than the events shown).
func longTexts(c tipline.Case, tl Timeline) []longText {
	var out []longText
	labelled := func(label reply.Text, v string) {
		if _, was := cut(v); was {
			out = append(out, longText{text: v, line: func(part string) reply.Text { return summaryLine(label, part) }})
		}
	}
	for _, k := range flows.Questionnaire(c.Kind) {
		if v, ok := c.Answers[k]; ok && k != tipline.AnswerHappening {
			if _, words := flows.AnswerValue(k, v).(string); words {
				labelled(reply.Text{ID: "rv_label_" + k}, v)
			}
		}
	}
	labelled(reply.Text{ID: "rv_label_written"}, c.Answers[tipline.AnswerWritten])
	labelled(reply.Text{ID: "rv_edits"}, c.Answers["edits"])
	_, earlier := tl.shownEvents()
	for i, e := range tl.Events {
		if e.Text == "" {
			continue
		}
		if _, was := cut(e.Text); was || i < earlier {
			out = append(out, longText{text: e.Text, line: func(part string) reply.Text { return tl.eventWith(e, part) }})
		}
	}
	return out
}

// readParts cuts the long texts into parts of partUnits UTF-16 units: the
// line of each part says which text it belongs to.
func readParts(c tipline.Case, tl Timeline) []reply.Text {
	var parts []reply.Text
	for _, lt := range longTexts(c, tl) {
		for _, p := range script.Split(lt.text, partUnits) {
			parts = append(parts, lt.line(p))
		}
	}
	return parts
}

// ReadPart is part page (from 0) of a case's long texts, with a button
// for the next part; a page past the end says there is no more.
func ReadPart(c tipline.Case, tl Timeline, page int) reply.Message {
	parts := readParts(c, tl)
	if page >= len(parts) {
		return Say("rv_read_none", refData(c.Reference))
	}
	m := reply.Message{Lines: []reply.Text{
		{ID: "rv_read_title", Data: map[string]any{"Reference": string(c.Reference), "Part": page + 1, "Parts": len(parts)}},
		parts[page],
	}}
	if page+1 < len(parts) {
		m.Buttons = [][]reply.Button{{button("rv_button_read_next", map[string]any{"Part": page + 2, "Parts": len(parts)},
			Press{Action: Read, Case: c.Reference, Page: page + 1}, Version(c))}}
	}
	return m
}

// caseFiles are the files of a case and of all its additions, in the
// order they came.
func caseFiles(c tipline.Case) []tipline.Attachment {
	files := append([]tipline.Attachment(nil), c.Attachments...)
	for _, a := range c.Additions {
		files = append(files, a.Attachments...)
	}
	return files
}

// filesButton offers page (from 0) of a case's n files: "📎 Files 11-20 of 34".
func filesButton(c tipline.Case, page, n int) reply.Button {
	from := page*filesPage + 1
	to := min(from+filesPage-1, n)
	return button("rv_button_files", map[string]any{"From": from, "To": to, "Total": n},
		Press{Action: Files, Case: c.Reference, Page: page}, Version(c))
}

// pagingButtons are the buttons Details adds when it cut a text or the
// case has files: read the rest, receive the first page of files.
func pagingButtons(c tipline.Case, tl Timeline) [][]reply.Button {
	var row []reply.Button
	if len(longTexts(c, tl)) > 0 {
		row = append(row, button("rv_button_read", nil, Press{Action: Read, Case: c.Reference}, Version(c)))
	}
	if n := len(caseFiles(c)); n > 0 {
		row = append(row, filesButton(c, 0, n))
	}
	if row == nil {
		return nil
	}
	return [][]reply.Button{row}
}

// FilesPage is page (from 0) of a case's files for rv, on the bulk lane,
// then a message that says which were sent, with a button for the next
// page. A page past the end says there are no more.
func FilesPage(rv tipline.Reviewer, c tipline.Case, page int) []Out {
	files := caseFiles(c)
	from := page * filesPage
	if from >= len(files) {
		return []Out{Tell(rv, Say("rv_files_none", refData(c.Reference)))}
	}
	to := min(from+filesPage, len(files))
	var outs []Out
	for i := from; i < to; i++ {
		outs = append(outs, Out{To: ToReviewer(rv), Lane: tipline.LaneBulk, Protect: true, File: &files[i]})
	}
	m := Say("rv_files_sent", map[string]any{"Reference": string(c.Reference), "From": from + 1, "To": to, "Total": len(files)})
	if to < len(files) {
		m.Buttons = [][]reply.Button{{filesButton(c, page+1, len(files))}}
	}
	// On the bulk lane too: it follows the files it counts.
	return append(outs, Out{To: ToReviewer(rv), Lane: tipline.LaneBulk, Message: m, Protect: true})
}

// summaryLine is a labelled value, as Details lists the answers.
func summaryLine(label reply.Text, value any) reply.Text {
	return reply.Text{ID: "summary_line", Item: true, Data: map[string]any{"Label": label, "Value": value}}
}
