package flows

import (
	"strconv"
	"strings"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/locales/script"
)

// States of a missing-child report.
const (
	StateMissingName      State = "missing.name"
	StateMissingAge       State = "missing.age"
	StateMissingSex       State = "missing.sex"
	StateMissingPhotos    State = "missing.photos"
	StateMissingSeenWhen  State = "missing.seen_when"
	StateMissingSeenWhere State = "missing.seen_where"
	StateMissingClothes   State = "missing.clothes"
	StateMissingRelation  State = "missing.relation"
	StateMissingPolice    State = "missing.police"
	StateMissingPhone     State = "missing.phone"
	StateMissingAppeal    State = "missing.appeal"
)

// missingQuestions are a family's report of a missing child, in the order
// a case worker on the phone would ask them.
var missingQuestions = []question{
	{state: StateMissingName, answer: tipline.AnswerName, maxText: shortText, optional: true},
	{state: StateMissingAge, answer: tipline.AnswerAge, options: []string{"under_6", "6_11", "12_17", "unknown"}, perRow: 3,
		maxText: shortText, parse: parseAge, invalid: "error_age"},
	{state: StateMissingSex, answer: tipline.AnswerSex, options: []string{"girl", "boy", "unknown"}, perRow: 3},
	{state: StateMissingPhotos, answer: tipline.AnswerPhotos, media: true, optional: true},
	{state: StateMissingSeenWhen, answer: tipline.AnswerSeenWhen, options: []string{"today", "yesterday", "unknown"}, perRow: 3,
		maxText: shortText, parse: parseDate, invalid: "error_date"},
	{state: StateMissingSeenWhere, answer: tipline.AnswerSeenWhere, maxText: shortText, location: true, optional: true},
	{state: StateMissingClothes, answer: tipline.AnswerClothes, maxText: longText, voice: true, optional: true},
	{state: StateMissingRelation, answer: tipline.AnswerRelation, options: []string{"parent", "grandparent", "sibling", "relative", "neighbour", "other"}, perRow: 2},
	{state: StateMissingPolice, answer: tipline.AnswerPolice, options: []string{"yes", "no"}, perRow: 2},
	{state: StateMissingPhone, answer: tipline.AnswerPhone, maxText: shortText, parse: parsePhone, invalid: "error_phone", optional: true},
	{state: StateMissingAppeal, answer: tipline.AnswerAppeal, options: []string{"yes", "no", "unsure"}, perRow: 1},
}

func parseAge(_ *run, text string) (string, bool) {
	years, ok := script.Age(text)
	if !ok {
		return "", false
	}
	return strconv.Itoa(years), true
}

func parseDate(r *run, text string) (string, bool) {
	d, ok := script.Date(text, r.in.Now, r.e.location())
	if !ok {
		return "", false
	}
	return d.Format(dateLayout), true
}

// dateLayout is how a typed day is stored in the answers: a stable form for
// code, never shown (AnswerValue writes it in the reader's way).
const dateLayout = "2006-01-02"

func parsePhone(r *run, text string) (string, bool) {
	country := "KH"
	if r.s.Lang == tipline.LangThai {
		country = "TH"
	}
	v, ok := script.Phone(text, country)
	if ok && r.s.Draft != nil {
		r.s.Draft.PhoneAsTyped = strings.TrimSpace(text)
	}
	return v, ok
}
