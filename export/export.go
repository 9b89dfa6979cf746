// Package export writes cases in the forms a partner organisation can
// load: PFIF 1.4 (the People Finder Interchange Format) for missing
// children, CSV for tips. It is pure: cases in, bytes out (the words come
// from the embedded catalogue). It writes only the fields listed here:
// the reporter's pseudonym and chat, follow-up codes, files and the
// reviewers' notes never leave; a family's phone number leaves only when
// the family agreed to be contacted, and a missing child's photo only when
// the family agreed to a public appeal (AppealPhoto). Encryption is the caller's
// (cmd/tipline encrypts every export to the partner's age key).
package export

import (
	"archive/tar"
	"encoding/csv"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/flows"
	"github.com/tipline/tipline/locales"
	"github.com/tipline/tipline/reply"
)

// Options say how an export reads for its partner.
type Options struct {
	// Lang is the language of the CSV's headers and words (en, km, th);
	// English when empty.
	Lang string
	// Location is the time zone dates are written in (UTC when nil).
	Location *time.Location
	// ExportedAt is when each case last went to this partner (an export
	// by partner): what was added after it is marked as new.
	ExportedAt map[tipline.Reference]time.Time
}

func (o Options) lang() string {
	if o.Lang == "" {
		return tipline.LangEnglish
	}
	return o.Lang
}

func (o Options) loc() *time.Location {
	if o.Location == nil {
		return time.UTC
	}
	return o.Location
}

// catalog is the catalogue the words of an export come from.
var catalog = locales.MustLoad()

// PFIFNamespace is the XML namespace of PFIF 1.4.
const PFIFNamespace = "http://zesty.ca/pfif/1.4"

// Source names the tip line in exported records.
type Source struct {
	// Domain makes record ids "Domain/TL-…" as PFIF asks (a domain the NGO
	// controls, e.g. tipline.example.org).
	Domain string
	// Name is the author and source name of the records, e.g. the NGO's name.
	Name string
	// Photos are the paths, inside the export's archive, of the photos of
	// children whose family agreed to a public appeal (PhotoPath): their
	// records' photo_url.
	Photos map[tipline.Reference]string
}

// PersonFields and NoteFields are every PFIF field an export may hold;
// the tests hold the output to these lists.
var (
	PersonFields = []string{"person_record_id", "entry_date", "source_name", "source_date", "full_name",
		"description", "sex", "age", "photo_url", "note"}
	NoteFields = []string{"note_record_id", "person_record_id", "entry_date", "author_name", "source_date",
		"status", "last_known_location", "text"}
)

type pfifDoc struct {
	XMLName xml.Name     `xml:"pfif:pfif"`
	NS      string       `xml:"xmlns:pfif,attr"`
	Persons []pfifPerson `xml:"pfif:person"`
}

type pfifPerson struct {
	RecordID    string     `xml:"pfif:person_record_id"`
	EntryDate   string     `xml:"pfif:entry_date"`
	SourceName  string     `xml:"pfif:source_name"`
	SourceDate  string     `xml:"pfif:source_date"`
	FullName    string     `xml:"pfif:full_name"`
	Description string     `xml:"pfif:description,omitempty"`
	Sex         string     `xml:"pfif:sex,omitempty"`
	Age         string     `xml:"pfif:age,omitempty"`
	PhotoURL    string     `xml:"pfif:photo_url,omitempty"`
	Notes       []pfifNote `xml:"pfif:note"`
}

type pfifNote struct {
	RecordID          string `xml:"pfif:note_record_id"`
	PersonRecordID    string `xml:"pfif:person_record_id"`
	EntryDate         string `xml:"pfif:entry_date"`
	AuthorName        string `xml:"pfif:author_name"`
	SourceDate        string `xml:"pfif:source_date"`
	Status            string `xml:"pfif:status,omitempty"`
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
// a person record (the child) holding a first note (last seen, where,
// who reported, whether the police know, whether the family agrees to a
// public appeal, and how to reach the family when they agreed to be
// contacted), then one note for each thing the family added later, with
// its date. now is the entry date. Cases of another kind are refused.
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
			FullName: strings.TrimSpace(a[tipline.AnswerName]),
			Sex:      sexes[a[tipline.AnswerSex]],
			Age:      ageRanges[a[tipline.AnswerAge]],
		}
		if p.FullName == "" {
			p.FullName = "(name not given)"
		}
		if a[tipline.AnswerAppeal] == "yes" {
			p.PhotoURL = src.Photos[c.Reference] // only with the family's yes
		}
		if p.Age == "" && isDigits(a[tipline.AnswerAge]) {
			p.Age = a[tipline.AnswerAge]
		}
		desc := []string{"Missing child reported to " + src.Name + ", case " + string(c.Reference) + "."}
		if clothes := strings.TrimSpace(a[tipline.AnswerClothes]); clothes != "" {
			desc = append(desc, "Clothes and appearance: "+clothes)
		}
		for _, f := range c.Attachments {
			if f.Caption != "" {
				desc = append(desc, "Written with a "+f.Kind+": "+f.Caption)
			}
		}
		p.Description = strings.Join(desc, "\n")

		when := a[tipline.AnswerSeenWhen]
		if w, ok := seenWhen[when]; ok {
			when = w
		}
		text := []string{"Last seen: " + orUnknown(when) + "."}
		if rel := a[tipline.AnswerRelation]; rel != "" {
			text = append(text, "Reported by: "+english(flows.AnswerValue(tipline.AnswerRelation, rel))+".")
		}
		text = append(text, "Police informed: "+orUnknown(a[tipline.AnswerPolice])+".")
		text = append(text, "The family agrees to a public appeal: "+orUnknown(a[tipline.AnswerAppeal])+".")
		text = append(text, contactLine(c, src))
		loc := strings.TrimSpace(a[tipline.AnswerSeenWhere])
		if c.Location != nil {
			// PFIF 1.4: decimal latitude, longitude.
			coords := strconv.FormatFloat(c.Location.Latitude, 'f', 5, 64) + "," + strconv.FormatFloat(c.Location.Longitude, 'f', 5, 64)
			if loc == "" {
				loc = coords
			} else {
				text = append(text, "Location shared: "+coords+".")
			}
		}
		// The same answers in the family's language, as they gave them,
		// for a partner who reads Khmer or Thai.
		if local := reporterLines(c); len(local) > 0 {
			text = append(text, "")
			text = append(text, local...)
		}
		p.Notes = append(p.Notes, pfifNote{
			RecordID: id + ".1", PersonRecordID: id, EntryDate: pfifTime(now), AuthorName: src.Name,
			SourceDate: pfifTime(c.SubmittedAt), Status: "information_sought", LastKnownLocation: loc,
			Text: strings.Join(text, "\n"),
		})
		// What the family added later (often the best lead) as notes of
		// their own, each with its date.
		for i, ad := range c.Additions {
			words := additionWords(ad)
			if words == "" {
				continue
			}
			p.Notes = append(p.Notes, pfifNote{
				RecordID: id + "." + strconv.Itoa(i+2), PersonRecordID: id, EntryDate: pfifTime(now), AuthorName: src.Name,
				SourceDate: pfifTime(ad.At), Text: "Added later by the family: " + words,
			})
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

// reporterLines are a missing child's answers in the reporter's language
// (Khmer or Thai), one "label: value" line each, with the catalogue's
// labels and words; none for an English report. The phone number is left
// to the contact line, which gives it only with the family's agreement.
func reporterLines(c tipline.Case) []string {
	if c.Lang == "" || c.Lang == tipline.LangEnglish {
		return nil
	}
	var out []string
	for _, k := range flows.Questionnaire(c.Kind) {
		v := c.Answers[k]
		if v == "" || k == tipline.AnswerPhone || k == tipline.AnswerPhotos {
			continue
		}
		out = append(out, word(c.Lang, reply.Text{ID: "rv_label_" + k})+": "+word(c.Lang, flows.AnswerValue(k, v)))
	}
	return out
}

// contactLine says how a partner reaches the family: the phone number
// they gave, only when they agreed to be contacted; otherwise through the
// tip line, quoting the case.
func contactLine(c tipline.Case, src Source) string {
	if phone := c.Answers[tipline.AnswerPhone]; phone != "" && c.ContactAllowed {
		return "Contact: the family agreed to be contacted; phone " + locales.FormatPhone(phone) + "."
	}
	return "Contact: the family did not agree to be contacted directly; ask " + src.Name + ", quoting case " + string(c.Reference) + "."
}

// additionWords are the words of an addition and of its files' captions.
func additionWords(ad tipline.Addition) string {
	var words []string
	if t := strings.TrimSpace(ad.Text); t != "" {
		words = append(words, t)
	}
	for _, f := range ad.Attachments {
		if f.Caption != "" {
			words = append(words, "("+f.Kind+") "+f.Caption)
		}
	}
	return strings.Join(words, "\n")
}

// english is a catalogue text in English, for PFIF's English lines.
func english(v any) string { return word(tipline.LangEnglish, v) }

// word writes a value as the catalogue says it in lang: a message, a
// value of reply's, or words as they are.
func word(lang string, v any) string {
	switch v := v.(type) {
	case reply.Text:
		return catalog.Render(lang, v)
	case string:
		return v
	}
	if s, ok := catalog.Value(lang, v); ok {
		return s
	}
	return fmt.Sprint(v)
}

// CSVColumns are the columns of a tips export, in order; the header row
// names them in the partner's language (csvHeaders).
var CSVColumns = []string{"reference", "submitted_at", "kind", "urgency", "status", "outcome",
	"reporter_says_happening", "child_in_danger_now", "exploitation", "risk", "reporter_language",
	"where", "latitude", "longitude", "when", "children", "ages", "what", "adults", "file_words",
	"added_later", "added_since_last_export"}

// csvHeaders are the catalogue messages that name CSVColumns.
var csvHeaders = map[string]string{
	"reference": "export_col_reference", "submitted_at": "export_col_submitted", "kind": "export_col_kind",
	"urgency": "export_col_urgency", "status": "export_col_status", "outcome": "export_col_outcome",
	"reporter_says_happening": "rv_label_happening", "child_in_danger_now": "rv_label_danger",
	"exploitation": "export_col_exploitation", "risk": "export_col_risk", "reporter_language": "rv_label_language",
	"where": "rv_label_where", "latitude": "export_col_latitude", "longitude": "export_col_longitude",
	"when": "rv_label_when", "children": "rv_label_children", "ages": "rv_label_ages", "what": "rv_label_what",
	"adults": "rv_label_adults", "file_words": "export_col_file_words", "added_later": "export_col_added",
	"added_since_last_export": "export_col_added_since",
}

// CSVHeader is the header row of a tips export in lang.
func CSVHeader(lang string) []string {
	out := make([]string, len(CSVColumns))
	for i, c := range CSVColumns {
		out[i] = catalog.Text(lang, csvHeaders[c], nil)
	}
	return out
}

// bom starts a CSV file so that Excel on Windows reads it as UTF-8 (Khmer
// and Thai, not mojibake); LibreOffice and other readers skip it.
const bom = "\ufeff"

// csvTime is how a date and time is written: ISO order, which every
// spreadsheet reads as a date.
const csvTime = "2006-01-02 15:04"

// CSV writes tips, one row per case, in the partner's language: the
// catalogue's words instead of codes, the reviewer's classification beside
// the reporter's answers, dates as dates in the team's time zone, and
// what was added later (with its date) in one cell, what is new since
// the last export to this partner in another. Text a reporter typed is
// written so that a spreadsheet shows it and never runs it as a formula.
func CSV(w io.Writer, cases []tipline.Case, o Options) error {
	lang, loc := o.lang(), o.loc()
	if _, err := io.WriteString(w, bom); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader(lang)); err != nil {
		return err
	}
	say := func(v any) string { return word(lang, v) }
	code := func(prefix, v string) string {
		if v == "" {
			return ""
		}
		return say(reply.Text{ID: prefix + v})
	}
	answer := func(a tipline.Answers, k string) string {
		if v := a[k]; v != "" {
			return say(flows.AnswerValue(k, v))
		}
		return ""
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
		var fileWords, added, fresh []string
		for _, f := range c.Attachments {
			if f.Caption != "" {
				fileWords = append(fileWords, f.Caption)
			}
		}
		last := o.ExportedAt[c.Reference]
		for _, ad := range c.Additions {
			words := additionWords(ad)
			if words == "" {
				continue
			}
			line := ad.At.In(loc).Format(csvTime) + ": " + words
			added = append(added, line)
			if !last.IsZero() && ad.At.After(last) {
				fresh = append(fresh, line)
			}
		}
		outcome := ""
		if c.Status == tipline.StatusClosed {
			outcome = code("outcome_", string(c.Assignment.Outcome))
		}
		reporterLang := ""
		if c.Lang != "" {
			reporterLang = code("language_name_", c.Lang)
		}
		row := []string{string(c.Reference), c.SubmittedAt.In(loc).Format(csvTime), code("kind_", string(c.Kind)),
			code("rv_urgency_", string(c.Urgency)), code("status_", string(c.Status)), outcome,
			code("exploitation_", a[tipline.AnswerHappening]), answer(a, tipline.AnswerDanger),
			code("exploitation_", string(c.Classification.Exploitation)), code("risk_", string(c.Classification.Risk)), reporterLang,
			a[tipline.AnswerWhere], lat, lon, answer(a, tipline.AnswerWhen),
			answer(a, tipline.AnswerChildren), answer(a, tipline.AnswerAges), a[tipline.AnswerWhat], a[tipline.AnswerAdults],
			strings.Join(fileWords, "\n"), strings.Join(added, "\n"), strings.Join(fresh, "\n")}
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

// AppealPhoto is the photo of a missing child that may go to a partner: the
// first photo given with the report, and only when the family agreed to a
// public appeal; ok=false otherwise.
func AppealPhoto(c tipline.Case) (tipline.Attachment, bool) {
	if c.Kind != tipline.KindMissing || c.Answers[tipline.AnswerAppeal] != "yes" {
		return tipline.Attachment{}, false
	}
	for _, a := range c.Attachments {
		if a.Kind == tipline.AttachPhoto {
			return a, true
		}
	}
	return tipline.Attachment{}, false
}

// PhotoPath is where a case's appeal photo goes in an export's archive,
// and what its record's photo_url says.
func PhotoPath(ref tipline.Reference) string { return "photos/" + string(ref) + ".jpg" }

// File is one file of an export's archive.
type File struct {
	Name string
	Data []byte
}

// Archive writes files as one tar archive (what tar -xf opens on any
// system), for an export that holds more than its XML: the photos beside
// it.
func Archive(w io.Writer, files []File, modTime time.Time) error {
	tw := tar.NewWriter(w)
	for _, f := range files {
		hdr := &tar.Header{Name: f.Name, Mode: 0o600, Size: int64(len(f.Data)), ModTime: modTime, Typeflag: tar.TypeReg, Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("export archive: %w", err)
		}
		if _, err := tw.Write(f.Data); err != nil {
			return fmt.Errorf("export archive: %w", err)
		}
	}
	return tw.Close()
}
