// Package export writes cases in the forms a partner organisation can
// load: PFIF 1.4 (the People Finder Interchange Format) for missing
// children, CSV for tips. It is pure: cases in, bytes out. It writes only
// the fields listed here; the reporter's pseudonym, chat, phone number and
// relation to the child, follow-up codes, attachments and the reviewers'
// notes never leave. Encryption is the caller's (cmd/tipline encrypts
// every export to the partner's age key).
package export

import (
	"encoding/csv"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/flows"
)

// PFIFNamespace is the XML namespace of PFIF 1.4.
const PFIFNamespace = "http://zesty.ca/pfif/1.4"

// Source names the tip line in exported records.
type Source struct {
	// Domain makes record ids "Domain/TL-…" as PFIF asks (a domain the NGO
	// controls, e.g. tipline.example.org).
	Domain string
	// Name is the author and source name of the records, e.g. the NGO's name.
	Name string
}

// PersonFields and NoteFields are every PFIF field an export may hold;
// the tests hold the output to these lists.
var (
	PersonFields = []string{"person_record_id", "entry_date", "source_name", "source_date", "full_name",
		"description", "sex", "age", "note"}
	NoteFields = []string{"note_record_id", "person_record_id", "entry_date", "author_name", "source_date",
		"status", "last_known_location", "text"}
)

type pfifDoc struct {
	XMLName xml.Name     `xml:"pfif:pfif"`
	NS      string       `xml:"xmlns:pfif,attr"`
	Persons []pfifPerson `xml:"pfif:person"`
}

type pfifPerson struct {
	RecordID    string   `xml:"pfif:person_record_id"`
	EntryDate   string   `xml:"pfif:entry_date"`
	SourceName  string   `xml:"pfif:source_name"`
	SourceDate  string   `xml:"pfif:source_date"`
	FullName    string   `xml:"pfif:full_name"`
	Description string   `xml:"pfif:description,omitempty"`
	Sex         string   `xml:"pfif:sex,omitempty"`
	Age         string   `xml:"pfif:age,omitempty"`
	Note        pfifNote `xml:"pfif:note"`
}

type pfifNote struct {
	RecordID          string `xml:"pfif:note_record_id"`
	PersonRecordID    string `xml:"pfif:person_record_id"`
	EntryDate         string `xml:"pfif:entry_date"`
	AuthorName        string `xml:"pfif:author_name"`
	SourceDate        string `xml:"pfif:source_date"`
	Status            string `xml:"pfif:status"`
	LastKnownLocation string `xml:"pfif:last_known_location,omitempty"`
	Text              string `xml:"pfif:text"`
}

// pfifTime is PFIF's time format: UTC, whole seconds, a Z.
func pfifTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// ageRanges turn the age buttons into PFIF's "N-M".
var ageRanges = map[string]string{"under_6": "0-5", "6_11": "6-11", "12_17": "12-17"}

var sexes = map[string]string{"girl": "female", "boy": "male"}

var seenWhen = map[string]string{"today": "today (the day of the report)", "yesterday": "the day before the report", "unknown": "unknown"}

// PFIF writes missing-child cases as one PFIF 1.4 document: for each case
// a person record (the child) holding one note (last seen, where, whether
// the police know and whether the family agrees to a public appeal). now
// is the entry date. Cases of another kind are refused.
func PFIF(w io.Writer, cases []tipline.Case, src Source, now time.Time) error {
	doc := pfifDoc{NS: PFIFNamespace}
	for _, c := range cases {
		if c.Kind != tipline.KindMissing {
			return fmt.Errorf("export %s: PFIF is for missing-child cases, this is a %s", c.Reference, c.Kind)
		}
		a := c.Answers
		id := src.Domain + "/" + string(c.Reference)
		p := pfifPerson{
			RecordID: id, EntryDate: pfifTime(now), SourceName: src.Name, SourceDate: pfifTime(c.SubmittedAt),
			FullName: strings.TrimSpace(a[flows.AnswerName]),
			Sex:      sexes[a[flows.AnswerSex]],
			Age:      ageRanges[a[flows.AnswerAge]],
		}
		if p.FullName == "" {
			p.FullName = "(name not given)"
		}
		if p.Age == "" && isDigits(a[flows.AnswerAge]) {
			p.Age = a[flows.AnswerAge]
		}
		desc := []string{"Missing child reported to " + src.Name + ", case " + string(c.Reference) + "."}
		if clothes := strings.TrimSpace(a[flows.AnswerClothes]); clothes != "" {
			desc = append(desc, "Clothes and appearance: "+clothes)
		}
		p.Description = strings.Join(desc, "\n")

		when := a[flows.AnswerSeenWhen]
		if w, ok := seenWhen[when]; ok {
			when = w
		}
		text := []string{"Last seen: " + orUnknown(when) + "."}
		text = append(text, "Police informed: "+orUnknown(a[flows.AnswerPolice])+".")
		text = append(text, "The family agrees to a public appeal: "+orUnknown(a[flows.AnswerAppeal])+".")
		loc := strings.TrimSpace(a[flows.AnswerSeenWhere])
		if c.Location != nil {
			// PFIF 1.4: decimal latitude, longitude.
			coords := strconv.FormatFloat(c.Location.Latitude, 'f', 5, 64) + "," + strconv.FormatFloat(c.Location.Longitude, 'f', 5, 64)
			if loc == "" {
				loc = coords
			} else {
				text = append(text, "Location shared: "+coords+".")
			}
		}
		p.Note = pfifNote{
			RecordID: id + ".1", PersonRecordID: id, EntryDate: pfifTime(now), AuthorName: src.Name,
			SourceDate: pfifTime(c.SubmittedAt), Status: "information_sought", LastKnownLocation: loc,
			Text: strings.Join(text, "\n"),
		}
		doc.Persons = append(doc.Persons, p)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("export pfif: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// CSVColumns are the columns of a tips export, in order.
var CSVColumns = []string{"reference", "submitted_at", "urgency", "status", "outcome",
	"child_in_danger_now", "where", "latitude", "longitude", "when", "children", "ages", "what", "adults", "added_later"}

// CSV writes tips, one row per case. Text a reporter typed is written so
// that a spreadsheet shows it and never runs it as a formula.
func CSV(w io.Writer, cases []tipline.Case) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVColumns); err != nil {
		return err
	}
	for _, c := range cases {
		if c.Kind != tipline.KindTip {
			return fmt.Errorf("export %s: CSV is for tips, this is a %s", c.Reference, c.Kind)
		}
		a := c.Answers
		lat, lon := "", ""
		if c.Location != nil {
			lat = strconv.FormatFloat(c.Location.Latitude, 'f', 5, 64)
			lon = strconv.FormatFloat(c.Location.Longitude, 'f', 5, 64)
		}
		var added []string
		for _, ad := range c.Additions {
			if t := strings.TrimSpace(ad.Text); t != "" {
				added = append(added, ad.At.UTC().Format(time.RFC3339)+": "+t)
			}
		}
		row := []string{string(c.Reference), c.SubmittedAt.UTC().Format(time.RFC3339), string(c.Urgency), string(c.Status),
			string(c.Assignment.Outcome), a[flows.AnswerDanger], a[flows.AnswerWhere], lat, lon, a[flows.AnswerWhen],
			a[flows.AnswerChildren], a[flows.AnswerAges], a[flows.AnswerWhat], a[flows.AnswerAdults], strings.Join(added, "\n")}
		for i := range row {
			row[i] = safeCell(row[i])
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// safeCell keeps a spreadsheet from reading a cell as a formula (CSV
// injection): text starting with = + - @ or a tab or carriage return gets
// a leading apostrophe.
func safeCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func orUnknown(s string) string {
	if strings.TrimSpace(s) == "" {
		return "unknown"
	}
	return s
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
