package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/places"
	"github.com/tipline/tipline/report"
)

func (m *Main) report(ctx context.Context, args []string) error {
	fs := m.flags("report", "Writes the board report: one self-contained HTML file with charts (inline SVG) of cases per\n"+
		"week by kind, kind of exploitation, the reporter's language, country, urgency and outcome, missing\n"+
		"children found (safe, harmed, other), time to acknowledge (p50, p90), escalations, each\n"+
		"reviewer's load, referrals by partner and the top provinces (from the place answer or the shared\n"+
		"point, never guessed). Counts and times only, no content. Reviewers are\n"+
		"Reviewer 1, 2, ... unless --names. Dates are days in TIPLINE_TIME_ZONE; --to is included.\n"+
		"The file is written 0600 and never replaces an existing one.")
	today := time.Now()
	from := fs.String("from", "", "first day, YYYY-MM-DD (default: 90 days ago)")
	to := fs.String("to", "", "last day, YYYY-MM-DD, included (default: today)")
	out := fs.String("out", "report.html", "the file to write")
	title := fs.String("title", "Tipline", "the name at the top of the report (your organisation's)")
	withNames := fs.Bool("names", false, "name the reviewers (their names are encrypted in the database; the file is not)")
	lang := fs.String("lang", "en", "the language of the report: en, km or th")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *lang != tipline.LangEnglish && *lang != "km" && *lang != "th" {
		return errors.New("report: --lang must be en, km or th")
	}
	db, cfg, err := m.openAdminStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	loc := cfg.Location
	day := func(flag, s string, def time.Time) (time.Time, error) {
		if s == "" {
			d := def.In(loc)
			return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc), nil
		}
		t, err := time.ParseInLocation("2006-01-02", s, loc)
		if err != nil {
			return t, fmt.Errorf("report: --%s must be a date such as 2026-10-01", flag)
		}
		return t, nil
	}
	start, err := day("from", *from, today.AddDate(0, 0, -90))
	if err != nil {
		return err
	}
	last, err := day("to", *to, today)
	if err != nil {
		return err
	}
	end := last.AddDate(0, 0, 1)
	if !start.Before(end) {
		return errors.New("report: --from must not be after --to")
	}
	// The place answers are opened only to name each case's province.
	rows, err := db.ReportCases(ctx, start, end, tipline.PlaceAnswers...)
	if err != nil {
		return err
	}
	reviewers, err := db.Reviewers(ctx)
	if err != nil {
		return err
	}
	names := map[int64]string{}
	var team []int64
	for _, r := range reviewers {
		team = append(team, r.ID)
		if *withNames {
			names[r.ID] = r.Name
		}
	}
	in := report.Input{
		Title: *title, Lang: *lang, From: start, To: end, Location: loc, Reviewers: names, Team: team, Now: time.Now(), Version: version, Cases: rows,
		Deadlines: map[tipline.Urgency]time.Duration{tipline.UrgencyUrgent: cfg.AckUrgent, tipline.UrgencyNormal: cfg.AckNormal},
	}
	// Only the province goes on to the report: the place text and the
	// point stop here.
	for i := range in.Cases {
		c := &in.Cases[i]
		c.Province = province(*c)
		c.Place, c.Location = "", nil
	}
	var buf bytes.Buffer
	if err := report.Render(&buf, in); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if err := writeNew(*out, buf.Bytes()); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	fmt.Fprintf(m.Stderr, "Report on %d case(s) from %s to %s written to %s.\n", len(rows), start.Format("2006-01-02"), last.Format("2006-01-02"), *out)
	return nil
}

// province is the places key of a case's province, from its place answer
// or else its shared point; "" when neither tells.
func province(r tipline.ReportCase) string {
	var at *places.Point
	if r.Location != nil {
		at = &places.Point{Lat: r.Location.Latitude, Lon: r.Location.Longitude}
	}
	if p, ok := places.Match(r.Place, at); ok {
		return p.Key()
	}
	return ""
}

// writeNew writes data to a new file, 0600: it never replaces a file or
// follows a link left where the report goes (the report may name the
// reviewers, and may be made as root in a shared directory).
func writeNew(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("%s already exists: choose another --out (nothing is overwritten)", path)
	}
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
