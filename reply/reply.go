// Package reply is what the program says, as data: message IDs with their
// data, buttons and the values a reader reads in their own language (a
// duration, a day, an age, a phone number, a map point). flows and review
// return it; locales writes it in a language; bot turns it into Bot API
// calls. It imports nothing.
package reply

import (
	"strconv"
	"time"
)

// Text is one localized piece of a message: a message ID and its data. A
// Text in the data is rendered in the same language first.
type Text struct {
	ID   string
	Data map[string]any
	// Item marks a line of a list: it follows the line before it directly,
	// without the blank line that separates paragraphs.
	Item bool
	// Lang, when set, is the language this piece is written in whatever
	// the reader's: the language picker says "choose your language" in
	// each language, for a reader whose language we do not know yet.
	Lang string
}

// Button is an inline button: its label and the action it sends back.
type Button struct {
	Label  Text
	Action string
	// Version is the version of the case a reviewer's button acts on (see
	// review.Version); "" means any version (a button that only shows a
	// case) and is what every reporter's button carries.
	Version string
}

// Message is one message to send: its lines, joined with blank lines (or a
// line break before an Item), and its buttons, row by row.
type Message struct {
	Lines   []Text
	Buttons [][]Button
}

// Elapsed is how long ago something happened, short, for reviewers' lists:
// "12 min", "3 h", "2 d" in English, and the same in Khmer and Thai words.
// Under two days it counts hours, then days.
type Elapsed time.Duration

// Years is a child's age in whole years: "9 years", "9 ឆ្នាំ", "9 ปี".
type Years int

// Day is a calendar day, written day/month/year as reporters type dates
// (15/11/2026); Thai readers count years in the Buddhist era (2569).
type Day time.Time

// Moment is a time of day on a calendar day, already in the team's time
// zone, for a case's timeline: "15/11/2026 14:05" (Thai in the Buddhist era).
type Moment time.Time

// Distance is a distance in kilometres, as /find shows how far a case is.
type Distance float64

// PhoneNumber is a phone number in E.164 ("+85512345678"), written in the
// groups people say it in: "+855 12 345 678".
type PhoneNumber string

// MapLink is a point a reporter shared, written for reviewers as a link
// that opens a map app on their phone.
type MapLink struct{ Lat, Lon float64 }

// URL is the link to the point. Five decimals are about a metre.
func (m MapLink) URL() string { return MapURL(m.Lat, m.Lon) }

// MapURL is a link to a point on a map, which phones open in their map app.
func MapURL(lat, lon float64) string {
	return "https://maps.google.com/?q=" + strconv.FormatFloat(lat, 'f', 5, 64) + "," + strconv.FormatFloat(lon, 'f', 5, 64)
}
