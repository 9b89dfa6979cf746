package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/report"
)

func (m *Main) report(ctx context.Context, args []string) error {
	fs := m.flags("report", "Writes the board report: one self-contained HTML file with charts (inline SVG) of cases per\n"+
		"week by kind, urgency and outcome, time to acknowledge (p50, p90), escalations and each\n"+
		"reviewer's load. Counts and times only, no content. Dates are days in TIPLINE_TIME_ZONE;\n"+
		"--to is included.")
	today := time.Now()
	from := fs.String("from", "", "first day, YYYY-MM-DD (default: 90 days ago)")
	to := fs.String("to", "", "last day, YYYY-MM-DD, included (default: today)")
	out := fs.String("out", "report.html", "the file to write")
	title := fs.String("title", "Tipline", "the name at the top of the report (your organisation's)")
	noNames := fs.Bool("no-names", false, "show reviewers as Reviewer 1, 2, ... instead of their names")
	if err := fs.Parse(args); err != nil {
		return err
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
	rows, err := db.ReportCases(ctx, start, end)
	if err != nil {
		return err
	}
	reviewers, err := db.Reviewers(ctx)
	if err != nil {
		return err
	}
	names := map[int64]string{}
	for i, r := range reviewers {
		names[r.ID] = r.Name
		if *noNames {
			names[r.ID] = fmt.Sprintf("Reviewer %d", i+1)
		}
	}
	in := report.Input{
		Title: *title, From: start, To: end, Location: loc, Reviewers: names, Now: time.Now(), Version: version,
		Deadlines: map[tipline.Urgency]time.Duration{tipline.UrgencyUrgent: cfg.AckUrgent, tipline.UrgencyNormal: cfg.AckNormal},
	}
	for _, r := range rows {
		in.Cases = append(in.Cases, report.Case{
			Kind: r.Kind, Urgency: r.Urgency, Status: r.Status, Outcome: r.Outcome, SubmittedAt: r.SubmittedAt,
			AcknowledgedAt: r.AcknowledgedAt, Assignee: r.Assignee, Escalations: r.Escalations, Partner: r.PartnerName,
		})
	}
	var buf bytes.Buffer
	if err := report.Render(&buf, in); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if err := os.WriteFile(*out, buf.Bytes(), 0o640); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	fmt.Fprintf(m.Stderr, "Report on %d case(s) from %s to %s written to %s.\n", len(rows), start.Format("2006-01-02"), last.Format("2006-01-02"), *out)
	return nil
}
